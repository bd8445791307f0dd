// Automations on the home screen: run one, switch it on or off, see its last trace, and open
// its recent runs as readable traces (trace.js, loaded when first opened) with the way to edit
// it in the form or as YAML.
import { $, api, el, hooks, toast } from "./core.js";

function ago(seconds) {
  const delta = Math.max(0, Date.now() / 1000 - seconds);
  if (delta < 60) return "just now";
  if (delta < 3600) return `${Math.round(delta / 60)} min ago`;
  if (delta < 86400) return `${Math.round(delta / 3600)} h ago`;
  return `${Math.round(delta / 86400)} d ago`;
}

const opened = new Set();  // the automations whose runs are shown; a refresh keeps them open

function toggleTraces(automation, box) {
  if (opened.has(automation.id)) { opened.delete(automation.id); box.replaceChildren(); return; }
  opened.add(automation.id);
  showTraces(automation, box);
}

async function showTraces(automation, box) {
  const id = encodeURIComponent(automation.id);
  const tools = el("div", { class: "tools" },
    el("button", { type: "button", class: "scene", id: `edit-${automation.id}`, text: "Edit", "aria-label": `edit ${automation.alias || automation.id}`,
      onclick: () => hooks.go(`#automation=${id}`) }),
    el("button", { type: "button", class: "scene", id: `yaml-${automation.id}`, text: "YAML", "aria-label": `YAML of ${automation.alias || automation.id}`,
      onclick: () => hooks.go(`#yaml=${id}`) }));
  try {
    const [{ renderTrace }, { traces }] = await Promise.all([import("./trace.js"), api("GET", `/api/automations/${id}/traces`)]);
    box.replaceChildren(tools, ...(traces.length ? traces.slice(0, 5).map(renderTrace) : [el("p", { class: "muted", text: "No runs yet." })]));
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
      el("button", { type: "button", class: "what", "aria-label": `runs of ${name}`, onclick: () => toggleTraces(a, runs) },
        el("span", { text: name }), el("small", { class: "trace", text: last, title: last })),
      el("button", { type: "button", class: "run", text: "Run", "aria-label": `run ${name}`,
        onclick: () => api("POST", `${path}/run`).then(() => toast(`${name}: started`)).catch((err) => toast(err.message)) }),
      el("input", { type: "checkbox", role: "switch", class: "switch", checked: a.enabled, "aria-label": `enable ${name}`,
        onchange: (e) => api("POST", `${path}/${e.target.checked ? "enable" : "disable"}`)
          .then(() => renderAutomations()).catch((err) => { e.target.checked = !e.target.checked; toast(err.message); }) }),
      runs);
  }));
  for (const a of automations) if (opened.has(a.id)) showTraces(a, $(`t-${a.id}`));
}

let soon = null;
export function refreshAutomationsSoon() {
  clearTimeout(soon);
  soon = setTimeout(() => renderAutomations().catch(() => {}), 300);
}
