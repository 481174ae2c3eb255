// What the test host page needs of ext-apps' host side, bundled (with the MCP TypeScript SDK and zod
// it imports) into one browser module by scripts/install-browser-tools.sh.
export { AppBridge, PostMessageTransport, getToolUiResourceUri } from "@modelcontextprotocol/ext-apps/app-bridge";
