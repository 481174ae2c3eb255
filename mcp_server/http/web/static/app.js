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
          ${list.name} <span class="count" aria-hidden="true">${list.open}</span>
          <span class="visually-hidden">${list.open} open, ${list.done} done</span>
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

function queryOf(filters, cursor = null) {
  const query = new URLSearchParams({ limit: "100" });
  if (cursor) query.set("cursor", cursor);
  if (filters.view) query.set("status", filters.view);
  for (const name of ["list", "priority", "tag", "due_after", "due_before", "search"]) {
    const value = filters[name].trim();
    if (value) query.set(name, value);
  }
  return query;
}

const LIVE_LABELS = {
  live: "Live",
  connecting: "Connecting…",
  reconnecting: "Reconnecting…",
  forbidden: "Not live: this key may not read tasks",
};

function Tasks({ onSignedOut }) {
  const [filters, setFilters] = useState(NO_FILTERS);
  const [tasks, setTasks] = useState(null);
  const [next, setNext] = useState(null); // the cursor of the page after the ones shown
  const [lists, setLists] = useState([]);
  const [problem, setProblem] = useState(""); // what the last action said
  const [readProblem, setReadProblem] = useState(""); // why the last read failed, until one succeeds
  const [live, setLive] = useState("connecting");
  const [changes, setChanges] = useState(0); // counts bursts of change events: each one reads again
  const [generation, setGeneration] = useState(0); // counts reads: what is folded reads again with them
  const settle = useRef(null);
  const reads = useRef(0); // typing a search sends a read a key: only the latest one is shown

  const failed = (error) => {
    if (error instanceof Unauthorized) onSignedOut(error.message);
    else setProblem(error.message);
  };

  const load = useCallback(async () => {
    const read = ++reads.current;
    try {
      const [page, listed] = await Promise.all([
        api("GET", `/v1/tasks?${queryOf(filters)}`),
        api("GET", "/v1/lists"),
      ]);
      if (read !== reads.current) return;
      setTasks(page.tasks);
      setNext(page.next_cursor);
      setLists(listed.lists);
      setReadProblem("");
      setGeneration((n) => n + 1);
    } catch (error) {
      if (read !== reads.current) return;
      if (error instanceof Unauthorized) onSignedOut(error.message);
      else setReadProblem(error.message);
    }
  }, [filters]);

  const loadMore = async () => {
    const read = reads.current;
    try {
      const page = await api("GET", `/v1/tasks?${queryOf(filters, next)}`);
      if (read !== reads.current) return; // the list was read again meanwhile: that read wins
      setTasks((shown) => [...shown, ...page.tasks]);
      setNext(page.next_cursor);
    } catch (error) {
      failed(error);
    }
  };

  useEffect(() => {
    load();
  }, [load, changes]);

  useEffect(
    () =>
      watchChanges(
        () => {
          // At most one read per SETTLE_MS however fast the changes come (an agent at work).
          if (settle.current !== null) return;
          settle.current = setTimeout(() => {
            settle.current = null;
            setChanges((n) => n + 1);
          }, SETTLE_MS);
        },
        (state) => (state === "unauthorized" ? onSignedOut("sign in again") : setLive(state)),
      ),
    [],
  );

  // Runs one request; the answer (or true) when it succeeded, false when it did not. The change
  // stream brings the new state, and a read here too keeps the page right where no stream is open.
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

  // A list_tasks sentence ("my high priority tasks at work") becomes the page's filters.
  const showAsked = (params) => {
    const asked = { ...NO_FILTERS, view: params.status ?? "open" };
    for (const name of ["list", "priority", "tag", "search"]) if (params[name]) asked[name] = params[name];
    for (const name of ["due_after", "due_before"]) if (params[name]) asked[name] = params[name].slice(0, 10); // the day
    setFilters(asked);
  };

  return html`
    <header>
      <h1>Tasks</h1>
      <span class=${`live ${live}`} role="status" data-testid="live">${LIVE_LABELS[live]}</span>
      ${credential() && html`<button type="button" onClick=${() => onSignedOut("")}>Sign out</button>`}
    </header>
    <${AddTask} act=${act} list=${filters.list} showAsked=${showAsked} />
    <${Lists} lists=${lists} chosen=${filters.list} choose=${(list) => setFilters({ ...filters, list })} />
    <${Filters} filters=${filters} change=${setFilters} />
    <p class="error" role="status" aria-live="polite">${[readProblem, problem].filter(Boolean).join(" ")}</p>
    ${tasks === null
      ? html`<p>Loading…</p>`
      : tasks.length === 0
        ? html`<p>No tasks here.</p>`
        : html`<${TaskList} tasks=${tasks} view=${filters.view} act=${act} generation=${generation} />`}
    ${next && html`<button type="button" class="more" onClick=${loadMore}>Show more</button>`}
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
