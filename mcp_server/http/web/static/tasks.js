// One task as a row of the list: complete, edit, delete or restore it, read its history, and open
// its subtasks, which stay folded under it until asked for.
import { html, useEffect, useState } from "./vendor/htm-preact.js";
import { api } from "./api.js";

const PRIORITIES = ["low", "normal", "high", "urgent"];
const FREQUENCIES = {
  DAILY: ["daily", "days"],
  WEEKLY: ["weekly", "weeks"],
  MONTHLY: ["monthly", "months"],
  YEARLY: ["yearly", "years"],
};

export function repeats(rule) {
  // "weekly", "every 2 days"...: enough to mark a recurring task; the rule itself is its tooltip.
  const parts = Object.fromEntries(rule.split(";").map((part) => part.split("=")));
  const every = Number(parts.INTERVAL ?? 1);
  const [once, many] = FREQUENCIES[parts.FREQ] ?? ["on a schedule", "times"];
  return every > 1 ? `every ${every} ${many}` : once;
}

export function when(iso) {
  if (!iso) return "";
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(iso);
  const at = new Date(dateOnly ? `${iso}T00:00:00` : iso);
  if (Number.isNaN(at.getTime())) return iso;
  return dateOnly
    ? at.toLocaleDateString(undefined, { weekday: "short", month: "short", day: "numeric" })
    : at.toLocaleString(undefined, { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
}

function EditForm({ task, save, cancel }) {
  // What the form opened with, and the version it was read at: Save sends only the fields the
  // person changed, held to that version, so a change made elsewhere meanwhile is a conflict the
  // page shows, never something Save quietly undoes.
  const [opened] = useState(() => ({
    version: task.version,
    fields: {
      title: task.title,
      description: task.description ?? "",
      due: task.due ?? "",
      priority: task.priority,
      list: task.list,
      tags: task.tags.join(", "),
    },
  }));
  const [fields, setFields] = useState(opened.fields);
  const set = (name) => (event) => setFields({ ...fields, [name]: event.target.value });
  const submit = (event) => {
    event.preventDefault();
    const sent = {
      title: () => fields.title.trim(),
      description: () => fields.description.trim() || null,
      due: () => fields.due.trim() || null,
      priority: () => fields.priority,
      list: () => fields.list.trim() || "inbox",
      tags: () => fields.tags.split(",").map((tag) => tag.trim()).filter(Boolean),
    };
    const patch = {};
    for (const [name, value] of Object.entries(sent)) if (fields[name] !== opened.fields[name]) patch[name] = value();
    save(patch, opened.version);
  };
  const id = (name) => `edit-${task.id}-${name}`;
  return html`<form class="edit" onSubmit=${submit} aria-label=${`Edit ${task.title}`}>
    <label for=${id("title")}>Title</label>
    <input id=${id("title")} required maxlength="500" value=${fields.title} onInput=${set("title")} />
    <label for=${id("description")}>Notes</label>
    <textarea id=${id("description")} rows="2" value=${fields.description} onInput=${set("description")} />
    <label for=${id("due")}>Due (date or date and time)</label>
    <input id=${id("due")} placeholder="2026-12-24 or 2026-12-24T09:00:00+01:00" value=${fields.due} onInput=${set("due")} />
    <label for=${id("priority")}>Priority</label>
    <select id=${id("priority")} value=${fields.priority} onChange=${set("priority")}>
      ${PRIORITIES.map((p) => html`<option value=${p}>${p}</option>`)}
    </select>
    <label for=${id("list")}>List</label>
    <input id=${id("list")} value=${fields.list} onInput=${set("list")} />
    <label for=${id("tags")}>Tags (comma separated)</label>
    <input id=${id("tags")} value=${fields.tags} onInput=${set("tags")} />
    <div class="actions">
      <button class="primary" type="submit">Save</button>
      <button type="button" onClick=${cancel}>Cancel</button>
    </div>
  </form>`;
}

function describeChange(name, change) {
  const shown = (value) => (value === null || value === undefined || value === "" ? "nothing" : JSON.stringify(value));
  return `${name}: ${shown(change.old)} → ${shown(change.new)}`;
}

function History({ task }) {
  const [history, setHistory] = useState(null);
  useEffect(() => {
    let current = true; // an older answer arriving after a newer one is dropped
    api("GET", `/v1/tasks/${task.id}/history`).then(
      (found) => current && setHistory(found),
      (error) => current && setHistory({ error: error.message }),
    );
    return () => {
      current = false;
    };
  }, [task.version]);
  if (history === null) return html`<p>Loading history…</p>`;
  if (history.error) return html`<p class="error" role="alert">${history.error}</p>`;
  return html`<ol class="history" aria-label=${`History of ${task.title}`}>
    ${history.entries.map((entry) => html`<li>
      <time datetime=${entry.at}>${when(entry.at)}</time> <strong>${entry.kind}</strong>
      ${Object.entries(entry.changes).map(([name, change]) => html`<span class="change">${describeChange(name, change)}</span>`)}
    </li>`)}
    ${history.truncated && html`<li>Older changes are not shown.</li>`}
  </ol>`;
}

function Subtasks({ task, act, view, generation }) {
  const [children, setChildren] = useState(null);
  const [open, setOpen] = useState(false);
  const { open: todo, done } = task.subtasks;
  useEffect(() => {
    if (!open) return undefined;
    let current = true;
    const query = new URLSearchParams({ parent_id: String(task.id), limit: "100" });
    api("GET", `/v1/tasks?${query}`).then(
      (page) => current && setChildren(page.tasks),
      (error) => current && setChildren({ error: error.message }),
    );
    return () => {
      current = false;
    };
  }, [open, task.version, todo, done, generation]); // a change anywhere may be a child's
  return html`<details class="subtasks" onToggle=${(event) => setOpen(event.target.open)}>
    <summary>Subtasks <span class="meta">${done} of ${todo + done} done</span></summary>
    ${children === null
      ? html`<p>Loading…</p>`
      : children.error
        ? html`<p class="error" role="alert">${children.error}</p>`
        : html`<ul class="tasks">${children.map((child) => html`<${TaskRow} key=${child.id} task=${child} act=${act} view=${view} generation=${generation} />`)}</ul>`}
  </details>`;
}

export function TaskRow({ task, view, act, generation, parentShown = true }) {
  const [mode, setMode] = useState("view");
  const done = task.status === "done";
  const name = html`<span class="visually-hidden"> ${task.title}</span>`;
  const meta = html`
    ${task.due && html`<span class="meta due">due <time datetime=${task.due}>${when(task.due)}</time></span>`}
    ${task.recurrence && html`<span class="meta repeats" title=${task.recurrence}>↻ repeats ${repeats(task.recurrence)}</span>`}
    ${task.priority !== "normal" && html`<span class=${`meta priority ${task.priority}`}>${task.priority}</span>`}
    ${task.list !== "inbox" && html`<span class="meta list">${task.list}</span>`}
    ${task.tags.map((tag) => html`<span class="meta tag">#${tag}</span>`)}
    ${!parentShown && task.parent_id && html`<span class="meta">subtask of #${task.parent_id}</span>`}`;
  if (view === "deleted") {
    return html`<li class="task" data-id=${task.id}>
      <div class="line"><span class="title">${task.title}</span>${meta}
        <button type="button" onClick=${() => act("POST", `/v1/tasks/${task.id}/restore`)}>Restore${name}</button></div>
    </li>`;
  }
  const save = async (patch, version) => {
    if (Object.keys(patch).length === 0) return setMode("view"); // nothing changed: nothing to send
    if (await act("PATCH", `/v1/tasks/${task.id}?expected_version=${version}`, patch)) setMode("view");
  };
  return html`<li class=${done ? "task done" : "task"} data-id=${task.id}>
    <div class="line">
      <input type="checkbox" id=${`done-${task.id}`} checked=${done} disabled=${done}
        onChange=${() => act("POST", `/v1/tasks/${task.id}/complete`)} />
      <label class="title" for=${`done-${task.id}`}>${task.title}</label>
      ${meta}
      <span class="buttons">
        <button type="button" aria-expanded=${mode === "edit"} onClick=${() => setMode(mode === "edit" ? "view" : "edit")}>Edit${name}</button>
        <button type="button" aria-expanded=${mode === "history"} onClick=${() => setMode(mode === "history" ? "view" : "history")}>History${name}</button>
        <button type="button" onClick=${() => act("DELETE", `/v1/tasks/${task.id}`)}>Delete${name}</button>
      </span>
    </div>
    ${task.description && mode !== "edit" && html`<p class="notes">${task.description}</p>`}
    ${mode === "edit" && html`<${EditForm} task=${task} save=${save} cancel=${() => setMode("view")} />`}
    ${mode === "history" && html`<${History} task=${task} />`}
    ${task.subtasks.open + task.subtasks.done > 0 && html`<${Subtasks} task=${task} act=${act} view=${view} generation=${generation} />`}
  </li>`;
}

// The page of tasks with each subtask folded under its parent when the parent is on the page too.
export function TaskList({ tasks, view, act, generation }) {
  const here = new Set(tasks.map((task) => task.id));
  const top = tasks.filter((task) => !(task.parent_id && here.has(task.parent_id)));
  return html`<ul class="tasks" aria-label="Tasks">
    ${top.map((task) => html`<${TaskRow} key=${task.id} task=${task} view=${view} act=${act} generation=${generation} parentShown=${false} />`)}
  </ul>`;
}
