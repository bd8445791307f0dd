// An automation's runs as words: what triggered it, what each condition saw and answered,
// what each action did, devices by name. Runs that did not fire (a condition said no, already
// running) are shown too, saying why.
import { el, state } from "./core.js";

const nameOf = (id) => (state.devices.get(id) || { name: id }).name;
const said = (value) => (value === true ? "on" : value === false ? "off" : value === null || value === undefined ? "nothing" : String(value));
const words = (text) => String(text).replace(/_/g, " ");
const SHOWN = ["platform", "device", "feature", "value", "event", "at", "id", "from", "data"];

const OUTCOME = {
  done: "ran to the end",
  conditions_failed: "did not run: a condition said no",
  skipped: "did not run",
  running: "running",
  queued: "waiting for the run before it",
  stopped: "stopped by a stop action",
  error: "failed",
  cancelled: "cancelled (a newer run restarted it)",
  interrupted: "interrupted (the hub stopped)",
};

const PLATFORMS = { manual: "run by hand", loop_guard: "the loop guard (it ran too often)" };

export function triggerWords(data) {
  const parts = [PLATFORMS[data.platform] || data.platform || "run"];
  if (data.device) parts.push(nameOf(data.device));
  if (data.feature) parts.push(words(data.feature));
  if (data.value !== undefined) parts.push(`= ${said(data.value)}`);
  if (data.from !== undefined && data.from !== null) parts.push(`(was ${said(data.from)})`);
  if (data.event) parts.push(words(data.event));
  if (data.at) parts.push(`at ${new Date(data.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`);
  for (const [key, value] of Object.entries(data)) {
    if (!SHOWN.includes(key) && (typeof value !== "object" || value === null)) parts.push(`${words(key)} ${said(value)}`);
  }
  if (data.data && typeof data.data === "object") {
    for (const [key, value] of Object.entries(data.data)) parts.push(`${words(key)} ${said(value)}`);
  }
  return parts.join(" ");
}

function what(step) {
  const kind = step.condition || step.action || "step";
  switch (kind) {
    case "scene": return `scene ${step.scene}`;
    case "notify": return `notify "${step.message || ""}"`;
    case "delay": return `wait ${step.seconds} s`;
    case "enable": case "disable": return `${kind} ${step.automation}`;
    case "publish": return `publish to ${step.topic}`;
    case "call": return `call ${nameOf(step.device)} ${words(step.feature)}`;
    default: break;
  }
  return [kind, step.device ? nameOf(step.device) : null, step.feature ? words(step.feature) : null,
    step.value !== undefined ? `to ${said(step.value)}` : null].filter(Boolean).join(" ");
}

export function stepWords(step) {
  const saw = step.saw !== undefined ? ` saw ${said(step.saw)}` : "";
  const result = step.result === true ? "yes" : step.result === false ? "no" : words(step.result ?? "not reached");
  const took = typeof step.ms === "number" && step.ms >= 1 ? ` in ${Math.round(step.ms)} ms` : "";
  return `${what(step)}:${saw} → ${result}${took}${step.error ? ` (${step.error})` : ""}`;
}

function steps(prefix, list, depth = 0) {
  const out = [];
  for (const step of list || []) {
    out.push(el("p", { class: `step${step.result === false || step.error ? " said-no" : ""}`, style: null, "data-depth": depth || null,
      text: `${prefix} ${stepWords(step)}` }));
    if (step.conditions) out.push(...steps("If", step.conditions, depth + 1));
    if (step.actions) out.push(...steps("Then", step.actions, depth + 1));
  }
  return out;
}

/** One trace as a block of sentences. */
export function renderTrace(trace) {
  const outcome = OUTCOME[trace.result] || words(trace.result);
  const took = typeof trace.ms === "number" ? ` · ${trace.ms < 1 ? "<1" : Math.round(trace.ms)} ms` : "";
  const fired = trace.result !== "conditions_failed" && trace.result !== "skipped";
  return el("div", { class: `run-trace${fired ? "" : " not-fired"}`, id: `trace-${trace.id}` },
    el("strong", { text: `${new Date(trace.started * 1000).toLocaleTimeString()} · ${words(trace.result)}${took}` }),
    el("p", { class: "outcome", text: outcome }),
    el("p", { text: `When ${triggerWords(trace.trigger || {})}` }),
    ...steps("If", trace.conditions),
    ...steps("Then", trace.actions),
    trace.error ? el("p", { class: "trouble", text: trace.error }) : null);
}
