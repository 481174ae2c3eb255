// A minimal MCP Apps host, as a chat client embeds a view: ext-apps' own AppBridge, the view's HTML
// in an iframe sandboxed to an opaque origin under the spec's default Content-Security-Policy (as a
// <meta> in the document; a web host proper puts the view behind a sandbox proxy on another origin), the
// tool's input and result sent once the view says it is initialized, and the view's tools/call
// handed to window.callServerTool (the test's real MCP client) when the tool allows the app to call.
import { AppBridge, PostMessageTransport } from "./built/app-bridge.js";

// The extension's default policy for a view that declares no domains (ext-apps spec, "Security").
const DEFAULT_CSP = [
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "media-src 'self' data:",
  "connect-src 'none'",
  "frame-src 'none'",
  "object-src 'none'",
  "base-uri 'self'",
].join("; ");

window.hostLog = [];

function appMayCall(tool) {
  // A tool the server listed, whose visibility (default: model and app) includes the app.
  return tool !== undefined && (tool._meta?.ui?.visibility ?? ["model", "app"]).includes("app");
}

window.openView = async ({ html, tool, tools, toolArguments, toolResult, said, proxiesTools = true }) => {
  document.getElementById("said").textContent = said;
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.title = `${tool.title ?? tool.name} view`;
  document.getElementById("view").replaceChildren(frame);
  const bridge = new AppBridge(
    null,
    { name: "test-host", version: "1.0.0" },
    proxiesTools ? { serverTools: {}, updateModelContext: { text: {} }, logging: {} } : { logging: {} },
    {
      hostContext: {
        toolInfo: { tool },
        theme: "light",
        displayMode: "inline",
        platform: "web",
        locale: "en-GB",
        timeZone: "UTC",
      },
    },
  );
  bridge.oncalltool = async (params) => {
    window.hostLog.push(["tools/call", params.name, params.arguments ?? {}]);
    if (!appMayCall(tools.find((known) => known.name === params.name))) {
      throw new Error(`${params.name} is not callable from a view`);
    }
    return await window.callServerTool(params.name, params.arguments ?? {});
  };
  bridge.onupdatemodelcontext = async (params) => {
    window.hostLog.push(["ui/update-model-context", params]);
    return {};
  };
  bridge.onsizechange = ({ height }) => {
    if (height) frame.style.height = `${height}px`;
  };
  const initialized = new Promise((resolve) => {
    bridge.oninitialized = resolve;
  });
  await bridge.connect(new PostMessageTransport(frame.contentWindow, frame.contentWindow));
  frame.srcdoc = html.replace("<head>", `<head><meta http-equiv="Content-Security-Policy" content="${DEFAULT_CSP}">`);
  await initialized;
  window.hostLog.push(["initialized", bridge.getAppVersion()]);
  await bridge.sendToolInput({ arguments: toolArguments });
  await bridge.sendToolResult(toolResult);
  return true;
};
