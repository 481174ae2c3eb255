// Health at a glance: the model's state from /readyz (public), and the requests of the last few
// minutes from this server's own Prometheus metrics (/metrics, under the person's credential),
// sampled every few seconds: how many API requests each interval, and their mean latency.
import { html, useEffect, useState } from "./vendor/htm-preact.js";
import { headers } from "./api.js";

const SAMPLE_MS = 5000;
const SAMPLES = 24; // two minutes
const REQUESTS = "task_api_http_requests_total";
const SECONDS = "task_api_http_request_seconds";
const SERIES = new RegExp(`^(${REQUESTS}|${SECONDS}_sum|${SECONDS}_count)\\{([^}]*)\\} (\\S+)$`);

function isApiRoute(labels) {
  // The requests an agent or this page makes of the tasks: MCP and the task routes (not the
  // change stream, whose one request lasts as long as the tab, nor the metrics read itself).
  const route = /route="([^"]*)"/.exec(labels)?.[1] ?? "";
  return route === "/mcp" || route.startsWith("/v1/task");
}

export function totalsOf(exposition) {
  // Counts and summed seconds of API requests so far, from the exposition text format.
  const totals = { requests: 0, seconds: 0, timed: 0 };
  for (const line of exposition.split("\n")) {
    const match = SERIES.exec(line);
    if (!match || !isApiRoute(match[2])) continue;
    const value = Number(match[3]);
    if (match[1] === REQUESTS) totals.requests += value;
    else if (match[1].endsWith("_sum")) totals.seconds += value;
    else totals.timed += value;
  }
  return totals;
}

async function modelState() {
  const response = await fetch("/readyz", { headers: { Accept: "application/json" } });
  const report = await response.json();
  const model = report.components?.model ?? { status: "unknown" };
  return { status: model.status, detail: model.detail || model.error || "", active: model.active };
}

async function metricsTotals() {
  const response = await fetch("/metrics", { headers: headers() });
  return response.ok ? totalsOf(await response.text()) : null;
}

function Chart({ samples }) {
  const width = 240;
  const height = 60;
  const bar = width / SAMPLES;
  const most = Math.max(1, ...samples.map((s) => s.requests));
  const slowest = Math.max(1, ...samples.map((s) => s.latencyMs));
  const line = samples
    .map((s, i) => `${(i + 0.5) * bar},${height - (s.latencyMs / slowest) * (height - 4) - 2}`)
    .join(" ");
  const last = samples[samples.length - 1];
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${width} ${height}`} role="img"
      aria-label=${`API requests every ${SAMPLE_MS / 1000} seconds and their mean latency`}>
      ${samples.map((s, i) => html`<rect class="requests" x=${i * bar + 1} width=${bar - 2}
        y=${height - (s.requests / most) * height} height=${(s.requests / most) * height} />`)}
      <polyline class="latency" points=${line} fill="none" />
    </svg>
    <figcaption>
      ${last ? `${last.requests} requests in the last ${SAMPLE_MS / 1000} s, mean ${last.latencyMs.toFixed(1)} ms` : "measuring…"}
    </figcaption>
  </figure>`;
}

export function Health() {
  const [model, setModel] = useState(null);
  const [samples, setSamples] = useState([]);
  const [metrics, setMetrics] = useState(true);

  useEffect(() => {
    let previous = null;
    let stopped = false;
    async function sample() {
      try {
        setModel(await modelState());
        const totals = await metricsTotals();
        if (totals === null) return setMetrics(false);
        if (previous !== null) {
          const requests = totals.requests - previous.requests;
          const timed = totals.timed - previous.timed;
          const latencyMs = timed > 0 ? ((totals.seconds - previous.seconds) / timed) * 1000 : 0;
          if (!stopped) setSamples((kept) => [...kept, { requests, latencyMs }].slice(-SAMPLES));
        }
        previous = totals;
      } catch {
        setModel({ status: "unreachable", detail: "the server did not answer" });
      }
    }
    sample();
    const timer = setInterval(sample, SAMPLE_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  return html`<details class="health">
    <summary>Server: model <span class=${`state ${model?.status ?? ""}`} data-testid="model-state">${model?.status ?? "…"}</span></summary>
    ${model?.active && html`<p>Answering: ${model.active}</p>`}
    ${model?.detail && html`<p>${model.detail}</p>`}
    ${metrics ? html`<${Chart} samples=${samples} />` : html`<p>Metrics are not served here.</p>`}
  </details>`;
}
