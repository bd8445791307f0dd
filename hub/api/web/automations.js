// Automations on the home screen: run one, switch it on or off, see its last trace.
import { $, api, el, toast } from "./core.js";

function ago(seconds) {
  const delta = Math.max(0, Date.now() / 1000 - seconds);
  if (delta < 60) return "just now";
  if (delta < 3600) return `${Math.round(delta / 60)} min ago`;
  if (delta < 86400) return `${Math.round(delta / 3600)} h ago`;
  return `${Math.round(delta / 86400)} d ago`;
}

export async function renderAutomations() {
  const { automations } = await api("GET", "/api/automations");
  if (!automations.length) return;
  $("automations").replaceChildren(...automations.map((a) => {
    const trace = a.last_trace;
    const last = trace ? `${trace.result.replace("_", " ")} · ${ago(trace.started)}${trace.error ? ` · ${trace.error}` : ""}` : "not run yet";
    const path = `/api/automations/${encodeURIComponent(a.id)}`;
    const name = a.alias || a.id;
    return el("li", { id: `a-${a.id}`, class: a.enabled ? "" : "disabled" },
      el("div", { class: "what" }, el("span", { text: name }), el("small", { class: "trace", text: last, title: last })),
      el("button", { type: "button", class: "run", text: "Run", "aria-label": `run ${name}`,
        onclick: () => api("POST", `${path}/run`).then(() => toast(`${name}: started`)).catch((err) => toast(err.message)) }),
      el("input", { type: "checkbox", role: "switch", class: "switch", checked: a.enabled, "aria-label": `enable ${name}`,
        onchange: (e) => api("POST", `${path}/${e.target.checked ? "enable" : "disable"}`)
          .then(() => renderAutomations()).catch((err) => { e.target.checked = !e.target.checked; toast(err.message); }) }));
  }));
}

let soon = null;
export function refreshAutomationsSoon() {
  clearTimeout(soon);
  soon = setTimeout(() => renderAutomations().catch(() => {}), 300);
}
