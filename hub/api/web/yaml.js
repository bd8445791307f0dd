// An automation as YAML text, for everything the form does not show. The hub reads and writes
// the YAML (GET ?format=yaml, PUT as application/yaml), so the page needs no YAML library; an
// error comes back naming the line and the key, and the line is marked in the text.
import { ApiError, el, hooks, state, toast } from "./core.js";
import { screen } from "./editors.js";

const YAML = "application/yaml";

async function call(method, automationId, body) {
  const response = await fetch(`/api/automations/${encodeURIComponent(automationId)}${body ? "" : "?format=yaml"}`, {
    method, body, headers: { "Authorization": `Bearer ${state.token}`, ...(body ? { "Content-Type": YAML } : {}) } });
  if (response.status === 401) { hooks.unauthorized(); throw new ApiError(401, { message: "this phone is not paired any more" }); }
  if (!response.ok) throw new ApiError(response.status, (await response.json()).error);
  return body ? response.json() : response.text();
}

/** Select line ``number`` (1-based) of the text area, so the phone scrolls to it. */
function mark(area, number) {
  const lines = area.value.split("\n");
  const start = lines.slice(0, number - 1).reduce((sum, line) => sum + line.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + (lines[number - 1] || "").length);
}

export async function renderYaml(automationId) {
  const area = el("textarea", { id: "yaml-text", class: "yaml", spellcheck: "false", autocapitalize: "off",
    autocomplete: "off", wrap: "off", rows: "18", "aria-label": "automation as YAML" });
  area.value = await call("GET", automationId);
  const problem = el("pre", { id: "yaml-error", class: "error", role: "alert" });
  const form = el("form", { class: "card editor", id: "yaml-form", onsubmit: async (event) => {
    event.preventDefault();
    problem.textContent = "";
    try {
      const saved = await call("PUT", automationId, area.value);
      toast(`${saved.alias || saved.id}: saved`);
      history.back();
    } catch (error) {
      problem.textContent = error.message;
      const line = /^line (\d+)/.exec(error.message);
      if (line) mark(area, Number(line[1]));
    }
  } }, area, problem, el("button", { type: "submit", class: "primary", id: "yaml-save", text: "Save YAML" }));
  screen("YAML", form);
}
