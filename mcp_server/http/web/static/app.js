// The task page: a person's tasks from this server's REST API, with the filters of list_tasks,
// the lists and their counts, live updates from the change stream, and the server's health.
import { html, render, useCallback, useEffect, useRef, useState } from "./vendor/htm-preact.js";
import { Conflict, Unauthorized, api, credential, forget, remember } from "./api.js";
import { AddTask } from "./create.js";
import { Health } from "./health.js";
import { watchChanges } from "./live.js";
import { TaskList } from "./tasks.js";

const VIEWS = [
  ["open", "Open"],
  ["done", "Done"],
  ["", "All"],
  ["deleted", "Trash"],
];
const PRIORITIES = ["", "urgent", "high", "normal", "low"];
const NO_FILTERS = { view: "open", list: "", priority: "", tag: "", due_after: "", due_before: "", search: "" };
const SETTLE_MS = 150; // a burst of changes (a batch, a purge) becomes one read

function SignIn({ onSignedIn, reason }) {
  const [key, setKey] = useState("");
  const submit = (event) => {
    event.preventDefault();
    remember(key.trim());
    onSignedIn();
  };
  return html`
    <h1>Tasks</h1>
    <p>This server asks for credentials. Sign in with an API key (<code>task-api-mcp keys create</code>) or the server's token.</p>
    ${reason && html`<p class="error" role="alert">${reason}</p>`}
    <form onSubmit=${submit} aria-label="Sign in">
      <label>API key or token
        <input type="password" name="key" autocomplete="current-password" required value=${key}
          onInput=${(e) => setKey(e.target.value)} />
      </label>
      <button class="primary" type="submit">Sign in</button>
    </form>`;
}

function Lists({ lists, chosen, choose }) {
  if (lists.length === 0) return null;
  return html`<nav aria-label="Lists">
    <ul class="lists">
      <li><button type="button" aria-pressed=${chosen === ""} onClick=${() => choose("")}>All lists</button></li>
      ${lists.map((list) => html`<li>
        <button type="button" aria-pressed=${chosen === list.name} onClick=${() => choose(list.name)}>
          ${list.name} <span class="count" aria-label=${`${list.open} open, ${list.done} done`}>${list.open}</span>
        </button></li>`)}
    </ul>
  </nav>`;
}

function Filters({ filters, change }) {
  const set = (name) => (event) => change({ ...filters, [name]: event.target.value });
  return html`<form role="search" aria-label="Filter" class="filters" onSubmit=${(e) => e.preventDefault()}>
    <label>Show
      <select name="view" value=${filters.view} onChange=${set("view")}>
        ${VIEWS.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
      </select>
    </label>
    <label>Search
      <input type="search" name="search" value=${filters.search} onInput=${set("search")} />
    </label>
    <details class="more">
      <summary>More filters</summary>
      <label>Priority
        <select name="priority" value=${filters.priority} onChange=${set("priority")}>
          ${PRIORITIES.map((p) => html`<option value=${p}>${p || "any"}</option>`)}
        </select>
      </label>
      <label>Tag <input type="text" name="tag" value=${filters.tag} onInput=${set("tag")} /></label>
      <label>Due after <input type="date" name="due_after" value=${filters.due_after} onInput=${set("due_after")} /></label>
      <label>Due before <input type="date" name="due_before" value=${filters.due_before} onInput=${set("due_before")} /></label>
      <button type="button" onClick=${() => change({ ...NO_FILTERS, list: filters.list })}>Clear filters</button>
    </details>
  </form>`;
}

function queryOf(filters) {
  const query = new URLSearchParams({ limit: "100" });
  if (filters.view) query.set("status", filters.view);
  for (const name of ["list", "priority", "tag", "due_after", "due_before", "search"]) {
    const value = filters[name].trim();
    if (value) query.set(name, value);
  }
  return query;
}

function Tasks({ onSignedOut }) {
  const [filters, setFilters] = useState(NO_FILTERS);
  const [tasks, setTasks] = useState(null);
  const [lists, setLists] = useState([]);
  const [problem, setProblem] = useState("");
  const [live, setLive] = useState("connecting");
  const [changes, setChanges] = useState(0); // counts change events: each one reads again
  const settle = useRef(null);

  const failed = (error) => {
    if (error instanceof Unauthorized) onSignedOut(error.message);
    else setProblem(error.message);
  };

  const reads = useRef(0); // typing a search sends a read a key: only the latest one is shown

  const load = useCallback(async () => {
    const read = ++reads.current;
    try {
      const [page, listed] = await Promise.all([
        api("GET", `/v1/tasks?${queryOf(filters)}`),
        api("GET", "/v1/lists"),
      ]);
      if (read !== reads.current) return;
      setTasks(page.tasks);
      setLists(listed.lists);
    } catch (error) {
      failed(error);
    }
  }, [filters]);

  useEffect(() => {
    load();
  }, [load, changes]);

  useEffect(
    () =>
      watchChanges(
        () => {
          clearTimeout(settle.current);
          settle.current = setTimeout(() => setChanges((n) => n + 1), SETTLE_MS);
        },
        (state) => (state === "unauthorized" ? onSignedOut("sign in again") : setLive(state)),
      ),
    [],
  );

  // Runs one request; true when it succeeded (the change stream brings the new state, and a read
  // here too keeps the page right where no stream is open).
  const act = async (method, path, body, onConflict = "The task was changed elsewhere; this is its new state.") => {
    try {
      const answer = await api(method, path, body);
      setProblem(answer?.success === false ? answer.message : "");
      await load();
      return answer ?? true;
    } catch (error) {
      if (error instanceof Conflict) {
        setProblem(`${error.message} ${onConflict}`.trim());
        await load();
      } else failed(error);
      return false;
    }
  };

  return html`
    <header>
      <h1>Tasks</h1>
      <span class=${`live ${live}`} role="status" data-testid="live">${live === "live" ? "Live" : live === "connecting" ? "Connecting…" : "Reconnecting…"}</span>
      ${credential() && html`<button type="button" onClick=${() => onSignedOut("")}>Sign out</button>`}
    </header>
    <${AddTask} act=${act} list=${filters.list} />
    <${Lists} lists=${lists} chosen=${filters.list} choose=${(list) => setFilters({ ...filters, list })} />
    <${Filters} filters=${filters} change=${setFilters} />
    <p class="error" role="status" aria-live="polite">${problem}</p>
    ${tasks === null
      ? html`<p>Loading…</p>`
      : tasks.length === 0
        ? html`<p>No tasks here.</p>`
        : html`<${TaskList} tasks=${tasks} view=${filters.view} act=${act} />`}
    <${Health} />`;
}

function App() {
  const [signedIn, setSignedIn] = useState(true); // try without a credential first: a personal server asks for none
  const [reason, setReason] = useState("");
  const signOut = (why) => {
    forget();
    setReason(why);
    setSignedIn(false);
  };
  return signedIn
    ? html`<${Tasks} onSignedOut=${signOut} />`
    : html`<${SignIn} reason=${reason} onSignedIn=${() => setSignedIn(true)} />`;
}

const root = document.getElementById("app");
root.textContent = "";
root.removeAttribute("aria-busy");
render(html`<${App} />`, root);
