// The task list inside the chat: renders what list_tasks answered, and completes a task through the
// host (tools/call, which the host proxies to this server), then reads the same list again. The
// page's text only ever goes in as text (textContent), never as markup.
const { App, applyDocumentTheme, applyHostStyleVariables } = globalThis.McpExtApps;

const app = new App({ name: "task-api-task-list", version: "1" });
const list = document.getElementById("tasks");
const status = document.getElementById("status");
const more = document.getElementById("more");
let shown = {}; // the list_tasks arguments of the list on screen
let cursor = null;
let context = {};
let connected = false;
let early = null; // a result that came before the handshake ended
let canCall = false;

function say(text, isError = false) {
  status.textContent = text;
  status.className = isError ? "error" : "";
}

function errorOf(result) {
  return result.content?.find((part) => part.type === "text")?.text ?? "the server refused";
}

function when(iso) {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const at = new Date(dateOnly ? `${iso}T00:00:00` : iso);
  if (Number.isNaN(at.getTime())) return iso;
  const options = { weekday: "short", month: "short", day: "numeric" };
  if (!dateOnly) Object.assign(options, { hour: "numeric", minute: "2-digit", timeZone: context.timeZone });
  try {
    return at.toLocaleString(context.locale, options);
  } catch {
    return at.toLocaleString(undefined, { ...options, timeZone: undefined }); // a zone or locale this browser lacks
  }
}

function repeats(rule) {
  const parts = Object.fromEntries(rule.split(";").map((part) => part.split("=")));
  const every = Number(parts.INTERVAL ?? 1);
  const names = { DAILY: ["daily", "days"], WEEKLY: ["weekly", "weeks"], MONTHLY: ["monthly", "months"], YEARLY: ["yearly", "years"] };
  const [once, many] = names[parts.FREQ] ?? ["on a schedule", "times"];
  return every > 1 ? `every ${every} ${many}` : once;
}

function span(className, text) {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

function row(task) {
  const item = document.createElement("li");
  item.dataset.id = task.id;
  if (task.status === "done") item.className = "done";
  const label = document.createElement("label");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.checked = task.status === "done";
  box.disabled = !canCall || task.status === "done" || Boolean(task.deleted_at);
  box.addEventListener("change", () => complete(task, box));
  label.append(box, span("title", task.title));
  item.append(label);
  if (task.due) item.append(span("meta due", `due ${when(task.due)}`));
  if (task.recurrence) item.append(Object.assign(span("meta repeats", `↻ repeats ${repeats(task.recurrence)}`), { title: task.recurrence }));
  if (task.priority !== "normal") item.append(span(`meta priority ${task.priority}`, task.priority));
  if (task.list !== "inbox") item.append(span("meta list", task.list));
  for (const tag of task.tags) item.append(span("meta tag", `#${tag}`));
  const { open, done } = task.subtasks;
  if (open + done > 0) item.append(span("meta subtasks", `subtasks ${done} of ${open + done} done`));
  return item;
}

function render(page, append = false) {
  if (!append) list.replaceChildren();
  // A subtask whose parent is on the list goes under it, indented; one whose parent is not says whose it is.
  const here = new Map(page.tasks.map((task) => [task.id, task]));
  const under = (task) => task.parent_id != null && here.has(task.parent_id);
  const place = (task, depth) => {
    const item = row(task);
    if (depth > 0) item.classList.add("subtask");
    item.style.setProperty("--depth", String(depth));
    if (task.parent_id != null && !here.has(task.parent_id)) item.append(span("meta", `subtask of #${task.parent_id}`));
    list.append(item);
    for (const child of page.tasks.filter((other) => other.parent_id === task.id)) place(child, depth + 1);
  };
  for (const task of page.tasks.filter((task) => !under(task))) place(task, 0);
  cursor = page.next_cursor ?? null;
  more.hidden = cursor === null;
  document.getElementById("empty").hidden = list.children.length > 0;
  const filters = Object.entries(shown).filter(([name, value]) => name !== "limit" && name !== "cursor" && value != null);
  const total = `${page.total}${page.total_exact === false ? "+" : ""} task${page.total === 1 ? "" : "s"}`;
  document.getElementById("summary").textContent = filters.length
    ? `${total}: ${filters.map(([name, value]) => `${name} ${value}`).join(", ")}`
    : total;
}

function show(result) {
  if (result.isError) return say(errorOf(result), true);
  if (!result.structuredContent?.tasks) return say("This result has no task list to show.", true);
  render(result.structuredContent);
}

async function call(name, args) {
  // A tool call through the host: its result, or an isError result when the host refused or failed it.
  try {
    return await app.callServerTool({ name, arguments: args });
  } catch (error) {
    return { isError: true, content: [{ type: "text", text: `the host did not run ${name}: ${error.message ?? error}` }] };
  }
}

async function reload() {
  const { cursor: _, ...from } = shown;
  show(await call("list_tasks", from));
}

async function complete(task, box) {
  box.disabled = true;
  say(`Completing ${task.title}…`);
  const result = await call("complete_task", { task_id: task.id });
  if (result.isError) {
    box.checked = false;
    box.disabled = false;
    return say(errorOf(result), true);
  }
  say(task.recurrence ? `Done: ${task.title}. Its next one is on the list.` : `Done: ${task.title}.`);
  if (app.getHostCapabilities()?.updateModelContext) {
    // So the conversation knows what the person did here, without a message of its own.
    await app.updateModelContext({ content: [{ type: "text", text: `The person completed task #${task.id} "${task.title}" in the task list.` }] });
  }
  await reload();
}

more.addEventListener("click", async () => {
  more.disabled = true; // one page at a time
  const result = await call("list_tasks", { ...shown, cursor });
  more.disabled = false;
  if (result.isError) return say(errorOf(result), true);
  render(result.structuredContent, true);
});

function adopt(changed) {
  context = { ...context, ...changed };
  if (changed.theme) applyDocumentTheme(changed.theme);
  if (changed.styles?.variables) applyHostStyleVariables(changed.styles.variables);
}

app.ontoolinput = ({ arguments: given }) => {
  shown = given ?? {};
};
app.ontoolresult = (result) => {
  if (!connected) return (early = result); // drawn once the host's context (locale, zone) is known
  show(result);
};
app.onhostcontextchanged = adopt;
await app.connect();
adopt(app.getHostContext() ?? {});
// A host that does not proxy tool calls shows the list; it cannot tick tasks off from here.
canCall = Boolean(app.getHostCapabilities()?.serverTools);
connected = true;
if (early) show(early);
if (!canCall) say("This chat shows your tasks here; complete them by asking.");
