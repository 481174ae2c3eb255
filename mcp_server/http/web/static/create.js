// Adding a task: a title as it is, or a sentence ("call the dentist tomorrow at 9") that the server
// turns into one action. A sentence is first sent as a dry run, and what the server understood is
// shown for the person to confirm before anything runs; "Do it" sends the previewed action back
// as `expected`, so the server runs it only if it reads the sentence the same way again.
import { html, useRef, useState } from "./vendor/htm-preact.js";
import { api } from "./api.js";
import { when } from "./tasks.js";

const NAMES_A_TASK = new Set(["update_task", "delete_task", "complete_task", "restore_task"]);

function shown(name, value) {
  if (name.startsWith("due") && typeof value === "string") return html`<time datetime=${value} title=${value}>${when(value)}</time>`;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function understood(preview) {
  const params = Object.entries(preview.params ?? {}).filter(([, value]) => value !== null && value !== "");
  return html`<dl class="understood">
    <dt>Action</dt><dd>${preview.action}</dd>
    ${preview.task && html`<dt>Task</dt><dd>${preview.task}</dd>`}
    ${params.map(([name, value]) => html`<dt>${name}</dt><dd>${shown(name, value)}</dd>`)}
  </dl>`;
}

async function titleOf(taskId, action) {
  // The task a sentence names, as the person knows it: its title (from the trash, for a restore).
  try {
    if (action !== "restore_task") return `#${taskId} ${(await api("GET", `/v1/tasks/${taskId}`)).title}`;
    const trash = await api("GET", "/v1/tasks?status=deleted&limit=100");
    const found = trash.tasks.find((task) => task.id === taskId);
    return found ? `#${taskId} ${found.title}` : `#${taskId}`;
  } catch {
    return `#${taskId}`;
  }
}

export function AddTask({ act, list, showAsked }) {
  const [text, setText] = useState("");
  const [inWords, setInWords] = useState(false);
  const [preview, setPreview] = useState(null);
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false); // shown: the buttons are disabled meanwhile
  const inFlight = useRef(false); // held: a second click before the page redraws sends nothing either
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const reset = () => {
    setText("");
    setPreview(null);
    setProblem("");
  };

  const once = (work) => async (event) => {
    event?.preventDefault();
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    try {
      await work();
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  const submit = once(async () => {
    const typed = text.trim();
    if (!typed) return;
    if (!inWords) {
      const body = { title: typed };
      if (list && list !== "inbox") body.list = list;
      reset(); // at once, not after the list is read again: the person may be typing the next one
      if (!(await act("POST", "/v1/tasks", body))) setText(typed);
      return;
    }
    try {
      const answer = await api("POST", "/v1/task", { command: typed, dry_run: true, timezone: zone });
      if (!answer.action) {
        setPreview(null);
        return setProblem(answer.message);
      }
      const taskId = answer.params?.task_id;
      const task = NAMES_A_TASK.has(answer.action) && taskId ? await titleOf(taskId, answer.action) : null;
      setPreview({ ...answer, task });
      setProblem("");
    } catch (error) {
      setProblem(error.message);
    }
  });

  const run = once(async () => {
    const typed = text.trim();
    const previewed = preview;
    reset(); // at once, as for a title
    if (previewed.action === "list_tasks") return showAsked(previewed.params); // a read: shown with the page's filters
    const answer = await act(
      "POST",
      "/v1/task",
      {
        command: typed,
        timezone: zone,
        confirm: previewed.action === "delete_task",
        expected: { action: previewed.action, params: previewed.params, understood_at: previewed.understood_at },
      },
      "",
    );
    if (answer === false) return setText(typed); // not run (read differently, or failed): the page says why
    if (answer.success === false) {
      setText(typed);
      setProblem(answer.message);
    }
  });

  return html`<section class="add" aria-label="Add a task">
    <form onSubmit=${submit}>
      <label for="new-task">${inWords ? "Ask in words" : "New task"}</label>
      <div class="row">
        <input id="new-task" type="text" name="title" required maxlength="2000" value=${text}
          placeholder=${inWords ? "remind me to call the dentist tomorrow at 9" : "Title"}
          onInput=${(e) => {
            setText(e.target.value);
            setPreview(null);
          }} />
        <button class="primary" type="submit" disabled=${busy}>${inWords ? "Preview" : "Add"}</button>
      </div>
      <label class="inline"><input type="checkbox" checked=${inWords}
        onChange=${(e) => {
          setInWords(e.target.checked);
          setPreview(null);
          setProblem("");
        }} /> Understand a sentence</label>
    </form>
    ${problem && html`<p class="error" role="alert">${problem}</p>`}
    ${preview && html`<div class="preview" role="region" aria-label="What was understood">
      <p>Nothing has run yet. This is what was understood:</p>
      ${understood(preview)}
      <div class="actions">
        <button class="primary" type="button" disabled=${busy} onClick=${run}>
          ${preview.action === "list_tasks" ? "Show them" : "Do it"}
        </button>
        <button type="button" onClick=${() => setPreview(null)}>Cancel</button>
      </div>
    </div>`}
  </section>`;
}
