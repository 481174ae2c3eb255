// Adding a task: a title as it is, or a sentence ("call the dentist tomorrow at 9") that the server
// turns into one action. A sentence is first sent as a dry run, and what the server understood is
// shown for the person to confirm before anything runs.
import { html, useState } from "./vendor/htm-preact.js";
import { api } from "./api.js";
import { when } from "./tasks.js";

function shown(name, value) {
  if (name === "due" && typeof value === "string") return html`<time datetime=${value} title=${value}>${when(value)}</time>`;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function understood(preview) {
  const params = Object.entries(preview.params ?? {}).filter(([, value]) => value !== null && value !== "");
  return html`<dl class="understood">
    <dt>Action</dt><dd>${preview.action}</dd>
    ${params.map(([name, value]) => html`<dt>${name}</dt><dd>${shown(name, value)}</dd>`)}
  </dl>`;
}

export function AddTask({ act, list }) {
  const [text, setText] = useState("");
  const [inWords, setInWords] = useState(false);
  const [preview, setPreview] = useState(null);
  const [problem, setProblem] = useState("");
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  const reset = () => {
    setText("");
    setPreview(null);
    setProblem("");
  };

  const submit = async (event) => {
    event.preventDefault();
    const typed = text.trim();
    if (!typed) return;
    if (!inWords) {
      const body = { title: typed };
      if (list && list !== "inbox") body.list = list;
      if (await act("POST", "/v1/tasks", body)) reset();
      return;
    }
    try {
      const answer = await api("POST", "/v1/task", { command: typed, dry_run: true, timezone: zone });
      setPreview(answer.action ? answer : null);
      setProblem(answer.action ? "" : answer.message);
    } catch (error) {
      setProblem(error.message);
    }
  };

  const run = async () => {
    // The previewed action goes along: the server runs the sentence only if it reads it the same way again.
    const answer = await act(
      "POST",
      "/v1/task",
      {
        command: text.trim(),
        timezone: zone,
        confirm: preview.action === "delete_task",
        expected: { action: preview.action, params: preview.params },
      },
      "",
    );
    if (answer === false) return setPreview(null); // not run (read differently, or failed): the page says why
    if (answer.success === false) return setProblem(answer.message);
    reset();
  };

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
        <button class="primary" type="submit">${inWords ? "Preview" : "Add"}</button>
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
        <button class="primary" type="button" onClick=${run}>Do it</button>
        <button type="button" onClick=${() => setPreview(null)}>Cancel</button>
      </div>
    </div>`}
  </section>`;
}
