// Automations on the home screen: run one, switch it on or off, see its last trace, and open
// its recent runs as readable traces (what triggered, what each condition saw, what each
// action did), devices by name.
import { $, api, el, state, toast } from "./core.js";

function ago(seconds) {
  const delta = Math.max(0, Date.now() / 1000 - seconds);
  if (delta < 60) return "just now";
  if (delta < 3600) return `${Math.round(delta / 60)} min ago`;
  if (delta < 86400) return `${Math.round(delta / 3600)} h ago`;
  return `${Math.round(delta / 86400)} d ago`;
}

const nameOf = (id) => (state.devices.get(id) || { name: id }).name;
const said = (value) => (value === true ? "on" : value === false ? "off" : String(value));
const SHOWN = ["platform", "device", "feature", "value", "event", "at", "id"];

function triggerWords(data) {
  const parts = [data.platform || "run"];
  if (data.device) parts.push(nameOf(data.device));
  if (data.feature) parts.push(data.feature.replace(/_/g, " "));
  if (data.value !== undefined) parts.push(`= ${said(data.value)}`);
  if (data.event) parts.push(data.event);
  for (const [key, value] of Object.entries(data)) {
    if (!SHOWN.includes(key) && (typeof value !== "object" || value === null)) parts.push(`${key} ${said(value)}`);
  }
  return parts.join(" ");
}

function stepWords(step) {
  const kind = step.condition || step.action || "step";
  const what = [kind, step.device ? nameOf(step.device) : null, step.feature ? step.feature.replace(/_/g, " ") : null,
    step.value !== undefined ? `to ${said(step.value)}` : null].filter(Boolean).join(" ");
  const saw = step.saw !== undefined ? ` saw ${said(step.saw)}` : "";
  const result = step.result === true ? "yes" : step.result === false ? "no" : step.result;
  return `${what}:${saw} → ${result}${step.error ? ` (${step.error})` : ""}`;
}

async function showTraces(automation, box) {
  if (box.childElementCount) { box.replaceChildren(); return; }
  try {
    const { traces } = await api("GET", `/api/automations/${encodeURIComponent(automation.id)}/traces`);
    if (!traces.length) { box.replaceChildren(el("p", { class: "muted", text: "No runs yet." })); return; }
    box.replaceChildren(...traces.slice(-5).reverse().map((trace) => el("div", { class: "run-trace" },
      el("strong", { text: `${new Date(trace.started * 1000).toLocaleTimeString()} · ${trace.result.replace(/_/g, " ")}` }),
      el("p", { text: `When ${triggerWords(trace.trigger || {})}` }),
      ...(trace.conditions || []).map((c) => el("p", { text: `If ${stepWords(c)}` })),
      ...(trace.actions || []).map((a) => el("p", { text: `Then ${stepWords(a)}` })),
      trace.error ? el("p", { class: "trouble", text: trace.error }) : null)));
  } catch (error) { toast(error.message); }
}

export async function renderAutomations() {
  const { automations } = await api("GET", "/api/automations");
  if (!automations.length) return;
  $("automations").replaceChildren(...automations.map((a) => {
    const trace = a.last_trace;
    const last = trace ? `${trace.result.replace("_", " ")} · ${ago(trace.started)}${trace.error ? ` · ${trace.error}` : ""}` : "not run yet";
    const path = `/api/automations/${encodeURIComponent(a.id)}`;
    const name = a.alias || a.id;
    const runs = el("div", { class: "traces", id: `t-${a.id}` });
    return el("li", { id: `a-${a.id}`, class: a.enabled ? "" : "disabled" },
      el("button", { type: "button", class: "what", "aria-label": `runs of ${name}`, onclick: () => showTraces(a, runs) },
        el("span", { text: name }), el("small", { class: "trace", text: last, title: last })),
      el("button", { type: "button", class: "run", text: "Run", "aria-label": `run ${name}`,
        onclick: () => api("POST", `${path}/run`).then(() => toast(`${name}: started`)).catch((err) => toast(err.message)) }),
      el("input", { type: "checkbox", role: "switch", class: "switch", checked: a.enabled, "aria-label": `enable ${name}`,
        onchange: (e) => api("POST", `${path}/${e.target.checked ? "enable" : "disable"}`)
          .then(() => renderAutomations()).catch((err) => { e.target.checked = !e.target.checked; toast(err.message); }) }),
      runs);
  }));
}

let soon = null;
export function refreshAutomationsSoon() {
  clearTimeout(soon);
  soon = setTimeout(() => renderAutomations().catch(() => {}), 300);
}
