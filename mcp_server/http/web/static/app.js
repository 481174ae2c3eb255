// The task page: the REST API of this server, with the credential the person signs in with kept in
// this tab's sessionStorage and sent as a bearer header on every fetch. No cookie is ever set, so
// no other site can act with the person's credentials (nothing for a cross-site request to borrow).
import { html, render, useCallback, useEffect, useState } from "./vendor/htm-preact.js";

const KEY_STORAGE = "task-api-credential";
const VIEWS = [
  ["open", "Open"],
  ["done", "Done"],
  ["deleted", "Trash"],
];

function credential() {
  return sessionStorage.getItem(KEY_STORAGE);
}

class Unauthorized extends Error {}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const key = credential();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) throw new Unauthorized("sign in with an API key");
  const answer = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error(answer?.error?.message ?? `${method} ${path}: HTTP ${response.status}`);
  return answer;
}

function SignIn({ onSignedIn, reason }) {
  const [key, setKey] = useState("");
  const submit = (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, key.trim());
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

function TaskRow({ task, view, act }) {
  const done = task.status === "done";
  const due = task.due ? html`<span class="meta">due ${task.due}</span>` : null;
  if (view === "deleted") {
    return html`<li class="task" data-id=${task.id}>
      <span class="title">${task.title}</span>${due}
      <button type="button" onClick=${() => act("POST", `/v1/tasks/${task.id}/restore`)}>Restore
        <span class="visually-hidden"> ${task.title}</span></button>
    </li>`;
  }
  return html`<li class=${done ? "task done" : "task"} data-id=${task.id}>
    <input type="checkbox" id=${`done-${task.id}`} checked=${done} disabled=${done}
      onChange=${() => act("POST", `/v1/tasks/${task.id}/complete`)} />
    <label class="title" for=${`done-${task.id}`}>${task.title}</label>
    ${due}${task.priority !== "normal" && html`<span class="meta">${task.priority}</span>`}
    <button type="button" onClick=${() => act("DELETE", `/v1/tasks/${task.id}`)}>Delete
      <span class="visually-hidden"> ${task.title}</span></button>
  </li>`;
}

function Tasks({ onSignedOut }) {
  const [view, setView] = useState("open");
  const [search, setSearch] = useState("");
  const [tasks, setTasks] = useState(null);
  const [title, setTitle] = useState("");
  const [problem, setProblem] = useState("");

  const load = useCallback(async () => {
    const query = new URLSearchParams({ status: view, limit: "100" });
    if (search.trim()) query.set("search", search.trim());
    try {
      setTasks((await api("GET", `/v1/tasks?${query}`)).tasks);
      setProblem("");
    } catch (error) {
      if (error instanceof Unauthorized) onSignedOut(error.message);
      else setProblem(error.message);
    }
  }, [view, search]);

  useEffect(() => {
    load();
  }, [load]);

  const act = async (method, path, body) => {
    try {
      await api(method, path, body);
      setProblem("");
    } catch (error) {
      if (error instanceof Unauthorized) return onSignedOut(error.message);
      setProblem(error.message);
    }
    return load();
  };

  const create = async (event) => {
    event.preventDefault();
    if (!title.trim()) return;
    await act("POST", "/v1/tasks", { title: title.trim() });
    setTitle("");
  };

  return html`
    <header>
      <h1>Tasks</h1>
      ${credential() && html`<button type="button" onClick=${() => onSignedOut("")}>Sign out</button>`}
    </header>
    <form onSubmit=${create} aria-label="Add a task">
      <label>New task
        <input type="text" name="title" required maxlength="500" value=${title} onInput=${(e) => setTitle(e.target.value)} />
      </label>
      <button class="primary" type="submit">Add</button>
    </form>
    <form role="search" aria-label="Filter" onSubmit=${(e) => e.preventDefault()}>
      <label>Show
        <select name="view" value=${view} onChange=${(e) => setView(e.target.value)}>
          ${VIEWS.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
        </select>
      </label>
      <label>Search
        <input type="search" name="search" value=${search} onInput=${(e) => setSearch(e.target.value)} />
      </label>
    </form>
    <p class="error" role="status" aria-live="polite">${problem}</p>
    ${tasks === null
      ? html`<p>Loading…</p>`
      : tasks.length === 0
        ? html`<p>No tasks here.</p>`
        : html`<ul class="tasks" aria-label="Tasks">${tasks.map((task) => html`<${TaskRow} key=${task.id} task=${task} view=${view} act=${act} />`)}</ul>`}`;
}

function App() {
  const [signedIn, setSignedIn] = useState(true); // try without a credential first: a personal server asks for none
  const [reason, setReason] = useState("");
  const signOut = (why) => {
    sessionStorage.removeItem(KEY_STORAGE);
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
