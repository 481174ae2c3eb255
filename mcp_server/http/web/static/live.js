// Live updates: the server's change stream (GET /v1/events, server-sent events) read with fetch,
// since EventSource cannot send the bearer header. Every event (a task changed, the lists' counts
// moved, or "resync") asks the page to read again; a dropped stream is reopened with a growing
// pause, and a read after each reconnect catches up with what happened while it was away. The
// server writes a comment line every 15 s, so a stream silent for much longer is taken for dead
// (a proxy or a network that dropped it without a word) and reopened.
import { headers } from "./api.js";

const PAUSE_MIN_MS = 1000;
const PAUSE_MAX_MS = 30000;
const SILENCE_MS = 45000;

function eventsOf(text) {
  // Complete events in `text` (blank-line separated) and the unfinished rest.
  const blocks = text.split(/\r?\n\r?\n/);
  const rest = blocks.pop();
  const events = blocks
    .map((block) => {
      const lines = block.split(/\r?\n/);
      const name = lines.find((line) => line.startsWith("event:"));
      return name ? name.slice(6).trim() : null;
    })
    .filter((name) => name !== null);
  return { events, rest };
}

// Calls onEvent(name) for each event, and onState with "live", "reconnecting", "unauthorized" (the
// credential no longer works) or "forbidden" (it may not read tasks); stop() ends it.
export function watchChanges(onEvent, onState) {
  const stopped = new AbortController();
  let pause = PAUSE_MIN_MS;

  async function readOnce() {
    const read = new AbortController();
    const stop = () => read.abort();
    stopped.signal.addEventListener("abort", stop);
    let silence = setTimeout(stop, SILENCE_MS);
    try {
      const response = await fetch("/v1/events", {
        headers: headers({ Accept: "text/event-stream" }),
        signal: read.signal,
      });
      if (response.status === 401) return "unauthorized";
      if (response.status === 403) return "forbidden";
      if (!response.ok || !response.body) return "reconnecting";
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let pending = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return "reconnecting";
        clearTimeout(silence);
        silence = setTimeout(stop, SILENCE_MS);
        const { events, rest } = eventsOf(pending + value);
        pending = rest;
        for (const name of events) {
          if (name === "ready") {
            pause = PAUSE_MIN_MS;
            onState("live");
          }
          onEvent(name);
        }
      }
    } finally {
      clearTimeout(silence);
      stopped.signal.removeEventListener("abort", stop);
    }
  }

  (async () => {
    while (!stopped.signal.aborted) {
      let state = "reconnecting";
      try {
        state = await readOnce();
      } catch {
        if (stopped.signal.aborted) return;
      }
      onState(state);
      if (state === "unauthorized" || state === "forbidden") return;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, PAUSE_MAX_MS);
    }
  })();
  return () => stopped.abort();
}
