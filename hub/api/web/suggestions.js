// Suggestions on the home screen: what the hub noticed the household doing, with its evidence.
// Accept opens the automation to edit first (its name, its time, the whole body), then creates
// it; Dismiss never shows it again; Not now hides it for a while. Loaded after the home shows.
import { $, api, el, hooks, state, toast } from "./core.js";

const nameOf = (id) => (state.devices.get(id) || { name: id }).name;
const said = (value) => (value === true ? "on" : value === false ? "off" : String(value).replace(/_/g, " "));
const DAYS = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

function whenWords(trigger) {
  if (trigger.platform === "time") return `at ${trigger.at.slice(0, 5)}`;
  const what = [nameOf(trigger.device), trigger.feature ? trigger.feature.replace(/_/g, " ") : null].filter(Boolean).join(" ");
  if (trigger.to !== undefined) return `when ${what} becomes ${said(trigger.to)}`;
  if (trigger.above !== undefined) return `when ${what} goes above ${trigger.above}`;
  if (trigger.below !== undefined) return `when ${what} goes below ${trigger.below}`;
  return `when ${what} ${trigger.event || "changes"}`;
}

function ifWords(condition) {
  if (condition.condition !== "time") return condition.condition;
  const parts = [];
  if (condition.weekdays && condition.weekdays.length) parts.push(`on ${condition.weekdays.map((d) => DAYS[d] || d).join(", ")}`);
  if (condition.after) parts.push(`after ${condition.after.slice(0, 5)}`);
  if (condition.before) parts.push(`before ${condition.before.slice(0, 5)}`);
  return parts.join(" ");
}

function thenWords(action) {
  if (action.action === "set") return `set ${nameOf(action.device)} ${action.feature.replace(/_/g, " ")} to ${said(action.value)}`;
  return [action.action, action.device ? nameOf(action.device) : null, action.feature].filter(Boolean).join(" ");
}

/** The automation in words, one line per trigger, condition and action. */
function described(automation) {
  return [
    ...(automation.trigger || []).map((t) => `When: ${whenWords(t)}`),
    ...(automation.condition || []).map((c) => `Only: ${ifWords(c)}`),
    ...(automation.action || []).map((a) => `Then: ${thenWords(a)}`),
  ];
}

function gone(li, words) {
  li.remove();
  toast(words);
  const left = $("suggestions").childElementCount;
  $("suggestions-count").textContent = left ? `(${left})` : "";
  if (!left) $("suggestions-section").hidden = true;
}

async function decide(suggestion, verb, li) {
  try {
    await api("POST", `/api/suggestions/${encodeURIComponent(suggestion.id)}/${verb}`);
    gone(li, verb === "dismiss" ? "Dismissed: it will not be suggested again" : "Not now: it will come back in a week");
  } catch (error) { toast(error.message); }
}

function editor(suggestion, li) {
  const body = suggestion.automation;
  const timed = (body.trigger || []).findIndex((t) => t.platform === "time");
  const name = el("input", { id: `sn-${suggestion.id}`, value: body.alias || suggestion.title, maxlength: "200", required: true });
  const at = timed >= 0 ? el("input", { id: `st-${suggestion.id}`, type: "time", value: body.trigger[timed].at.slice(0, 5), required: true }) : null;
  const json = el("textarea", { id: `sj-${suggestion.id}`, rows: "8", spellcheck: "false", "aria-label": "the automation as JSON" });
  json.value = JSON.stringify(body, null, 2);
  const lines = el("ul", { class: "described" }, ...described(body).map((line) => el("li", { text: line })));
  if (at) at.addEventListener("input", () => { lines.children[timed].textContent = `When: at ${at.value}`; });
  const error = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: "suggestion-form" },
    el("label", { for: name.id, text: "Name" }), name,
    at ? el("label", { for: at.id, text: "Time" }) : null, at,
    lines,
    el("details", {}, el("summary", { text: "Edit all of it" }), json),
    error,
    el("div", { class: "choices" },
      el("button", { type: "submit", class: "accept", text: "Create automation" }),
      el("button", { type: "button", text: "Cancel", onclick: () => { form.remove(); li.classList.remove("editing"); } })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    let edited;
    try { edited = JSON.parse(json.value); } catch (problem) { error.textContent = `The automation is not JSON: ${problem.message}`; return; }
    edited.alias = name.value.trim();
    if (at && edited.trigger && edited.trigger[timed]) edited.trigger[timed].at = `${at.value}:00`;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const created = await api("POST", `/api/suggestions/${encodeURIComponent(suggestion.id)}/accept`, { automation: edited });
      gone(li, `Automation created: ${created.alias || created.id}`);
      if (hooks.automationsChanged) hooks.automationsChanged();
    } catch (problem) {
      error.textContent = problem.field ? `${problem.message} (${problem.field})` : problem.message;
    } finally { button.disabled = false; }
  });
  return form;
}

function item(suggestion) {
  const sure = `${Math.round(suggestion.confidence * 100)}% sure`;
  const li = el("li", { id: `s-${suggestion.id}`, class: "suggestion" },
    el("div", { class: "what" },
      el("span", { text: suggestion.title }),
      el("small", { class: "evidence", text: `${suggestion.evidence} · ${sure}` })));
  const open = () => {
    if (li.classList.contains("editing")) return;
    li.classList.add("editing");
    li.append(editor(suggestion, li));
    li.querySelector("input").focus();
  };
  li.append(el("div", { class: "choices" },
    el("button", { type: "button", class: "accept", text: "Accept…", "aria-label": `accept: ${suggestion.title}`, onclick: open }),
    el("button", { type: "button", text: "Not now", "aria-label": `not now: ${suggestion.title}`, onclick: () => decide(suggestion, "snooze", li) }),
    el("button", { type: "button", text: "Dismiss", "aria-label": `dismiss: ${suggestion.title}`, onclick: () => decide(suggestion, "dismiss", li) })));
  return li;
}

export async function renderSuggestions() {
  const { suggestions } = await api("GET", "/api/suggestions");  // [] when habits are off
  $("suggestions-count").textContent = suggestions.length ? `(${suggestions.length})` : "";
  $("suggestions").replaceChildren(...suggestions.map(item));
  $("suggestions-section").hidden = !suggestions.length;
}
