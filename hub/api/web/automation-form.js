// The automation form, for the common cases: when a device changes or an event happens, at a
// time, or at sunrise / sunset (with an offset); only if a device is in a state or the time is
// within a window; then set a feature, call an action, activate a scene, notify or wait, in
// order. Devices are picked by room and name, never by id. An automation that uses more than
// this (several triggers, choose, repeat, mqtt...) opens in the YAML view instead.
import { $, api, el, hooks, toast } from "./core.js";
import { callable, featureRow, happens, screen, settable, watched } from "./editors.js";

const time = (text) => (text ? String(text).slice(0, 5) : "");
let scenes = [];

const TRIGGERS = {
  state: ["a device changes", (p, t) => featureRow(p, watched, { test: true, initial: { ...t, test: t.above !== undefined ? "above" : t.below !== undefined ? "below" : "to", value: t.to ?? t.above ?? t.below } }),
    (r) => { const v = r.read(); return { platform: "state", device: v.device, feature: v.feature, [v.test]: v.value }; }],
  event: ["a device event", (p, t) => featureRow(p, happens, { value: false, initial: { device: t.device, feature: t.event } }),
    (r) => { const v = r.read(); return { platform: "event", device: v.device, event: v.feature }; }],
  time: ["at a time", (p, t) => el("input", { id: `${p}-time`, type: "time", required: true, "aria-label": "at", value: time(t.at) || "07:00" }),
    (r, p) => ({ platform: "time", at: $(`${p}-time`).value })],
  sun: ["at sunrise or sunset", (p, t) => el("div", { class: "row-fields" },
    el("select", { id: `${p}-sun`, "aria-label": "sunrise or sunset" }, el("option", { value: "sunrise", text: "sunrise" }),
      el("option", { value: "sunset", text: "sunset", selected: t.event === "sunset" || null })),
    el("label", { class: "inline", for: `${p}-offset`, text: "minutes after (– before)" }),
    el("input", { id: `${p}-offset`, type: "number", step: "1", inputmode: "numeric", value: String(Math.round((t.offset || 0) / 60)) })),
  (r, p) => ({ platform: "sun", event: $(`${p}-sun`).value, offset: Number($(`${p}-offset`).value || 0) * 60 })],
};

const CONDITIONS = {
  state: ["a device is", (p, c) => featureRow(p, watched, { test: "is", initial: { ...c, test: c.above !== undefined ? "above" : c.below !== undefined ? "below" : "to", value: c.state ?? c.above ?? c.below } }),
    (r) => { const v = r.read(); return v.test === "to" ? { condition: "state", device: v.device, feature: v.feature, state: v.value }
      : { condition: "numeric", device: v.device, feature: v.feature, [v.test]: v.value }; }],
  time: ["the time is between", (p, c) => el("div", { class: "row-fields" },
    el("input", { id: `${p}-after`, type: "time", "aria-label": "after", value: time(c.after) || "18:00" }),
    el("span", { text: "and" }),
    el("input", { id: `${p}-before`, type: "time", "aria-label": "before", value: time(c.before) || "23:00" })),
  (r, p) => ({ condition: "time", after: $(`${p}-after`).value || undefined, before: $(`${p}-before`).value || undefined })],
};

const ACTIONS = {
  set: ["set", (p, a) => featureRow(p, settable, { initial: a }),
    (r) => { const v = r.read(); return { action: "set", device: v.device, feature: v.feature, value: v.value }; }],
  call: ["call an action", (p, a) => featureRow(p, callable, { value: false, initial: a }),
    (r) => { const v = r.read(); return { action: "call", device: v.device, feature: v.feature }; }],
  scene: ["activate a scene", (p, a) => el("select", { id: `${p}-scene`, "aria-label": "scene", required: true },
    ...scenes.map((s) => el("option", { value: s.id, text: s.name, selected: s.id === a.scene || null }))),
  (r, p) => ({ action: "scene", scene: $(`${p}-scene`).value })],
  notify: ["notify this phone", (p, a) => el("input", { id: `${p}-message`, required: true, maxlength: "500", "aria-label": "message", placeholder: "message", value: a.message || null }),
    (r, p) => ({ action: "notify", message: $(`${p}-message`).value })],
  delay: ["wait", (p, a) => el("div", { class: "row-fields" },
    el("input", { id: `${p}-seconds`, type: "number", min: "0", step: "1", required: true, inputmode: "numeric", "aria-label": "seconds", value: String(a.seconds ?? 30) }),
    el("span", { text: "seconds" })),
  (r, p) => ({ action: "delay", seconds: Number($(`${p}-seconds`).value) })],
};

const kindOf = (item, table) => {
  const key = item.platform || item.action || (item.condition === "numeric" ? "state" : item.condition);
  return key in table ? key : null;
};

/** A kind picker and the fields of the chosen kind; ``row.read()`` gives the item. */
function kindRow(prefix, table, item = {}, removable = false) {
  const body = el("div", { class: "kind-body" });
  let current = null;
  const draw = (kind, initial) => { current = kind; const node = table[kind][1](prefix, initial); body.replaceChildren(node); body.node = node; };
  const select = el("select", { id: `${prefix}-kind`, "aria-label": `${prefix} kind`, onchange: (e) => draw(e.target.value, {}) },
    ...Object.entries(table).map(([key, [label]]) => el("option", { value: key, text: label, selected: key === kindOf(item, table) || null })));
  const row = el("div", { class: "kind-row", id: prefix }, select, body,
    removable ? el("button", { type: "button", class: "remove", text: "✕", "aria-label": `remove ${prefix}`, onclick: () => row.remove() }) : null);
  row.read = () => table[current][2](body.node, prefix);
  draw(kindOf(item, table) || Object.keys(table)[0], item);
  return row;
}

/** What the form can show: one trigger and kinds it knows; anything else goes to YAML. */
function fits(a) {
  const empty = (v) => v === null || (typeof v === "object" && Object.keys(v).length === 0);
  const plain = (item, keys) => Object.entries(item).every(([k, v]) => keys.includes(k) || empty(v));
  const triggerOk = a.trigger.length === 1 && kindOf(a.trigger[0], TRIGGERS) && plain(a.trigger[0], ["platform", "device", "feature", "to", "above", "below", "event", "at", "offset"]);
  const conditionsOk = a.condition.every((c) => kindOf(c, CONDITIONS) && plain(c, ["condition", "device", "feature", "state", "above", "below", "after", "before"])
    && !Array.isArray(c.state));
  const actionsOk = a.action.every((x) => kindOf(x, ACTIONS) && !(x.args && Object.keys(x.args).length) && !(x.title && x.title !== "mihub"));
  return triggerOk && conditionsOk && actionsOk;
}

export async function renderAutomationForm(automationId) {
  let automation = null;
  const [list] = await Promise.all([api("GET", "/api/scenes"),
    automationId ? api("GET", `/api/automations/${encodeURIComponent(automationId)}`).then((a) => { automation = a; }) : null]);
  scenes = list.scenes;
  if (automation && !fits(automation)) {
    screen(`Edit ${automation.alias || automation.id}`, el("div", { class: "card editor" },
      el("p", { text: "This automation uses more than the form shows; edit it as YAML." }),
      el("button", { type: "button", class: "primary", text: "Open the YAML", onclick: () => hooks.go(`#yaml=${encodeURIComponent(automation.id)}`, true) })));
    return;
  }
  let ifs = 0;
  let thens = 0;
  const conditions = el("div", { class: "rows", id: "conditions" });
  const actions = el("div", { class: "rows", id: "actions" });
  const addCondition = (c) => { ifs += 1; conditions.append(kindRow(`if-${ifs}`, CONDITIONS, c, true)); };
  const addAction = (a) => { thens += 1; actions.append(kindRow(thens > 1 ? `then-${thens}` : "then", ACTIONS, a, thens > 1)); };
  const when = kindRow("when", TRIGGERS, automation ? automation.trigger[0] : {});
  const form = el("form", { class: "card editor", id: "automation-form", onsubmit: (e) => save(e, automation, when, conditions, actions) },
    el("label", { for: "automation-name", text: "Name" }),
    el("input", { id: "automation-name", required: true, maxlength: "80", placeholder: "Warm: fan on", autocomplete: "off", value: automation ? automation.alias : null }),
    el("h3", { text: "When" }), when,
    el("h3", { text: "Only if" }), conditions,
    el("button", { type: "button", class: "scene add", id: "add-condition", text: "+ Condition", onclick: () => addCondition({}) }),
    el("h3", { text: "Then" }), actions,
    el("button", { type: "button", class: "scene add", id: "add-action", text: "+ Action", onclick: () => addAction({}) }),
    el("button", { type: "submit", class: "primary", id: "automation-save", text: "Save automation" }),
    automation ? el("button", { type: "button", class: "danger", id: "automation-delete", text: "Delete automation", onclick: () => remove(automation) }) : null);
  screen(automation ? `Edit ${automation.alias || automation.id}` : "New automation", form);
  if (automation) { automation.condition.forEach(addCondition); automation.action.forEach(addAction); } else addAction({});
}

async function save(event, automation, when, conditions, actions) {
  event.preventDefault();
  const alias = $("automation-name").value.trim();
  const body = { alias, trigger: [when.read()], condition: [...conditions.children].map((r) => r.read()),
    action: [...actions.children].map((r) => r.read()) };
  if (!body.action.length) { toast("Add at least one action"); return; }
  try {
    if (automation) {
      const { id, description, enabled, mode, max, max_rate: maxRate } = automation;
      await api("PUT", `/api/automations/${encodeURIComponent(id)}`, { id, description, enabled, mode, max, max_rate: maxRate, ...body });
    } else await api("POST", "/api/automations", body);
    toast(`${alias}: saved`);
    history.back();
  } catch (error) { toast(error.field ? `${error.message} (${error.field})` : error.message); }
}

async function remove(automation) {
  if (!confirm(`Delete the automation ${automation.alias || automation.id}?`)) return;
  try {
    await api("DELETE", `/api/automations/${encodeURIComponent(automation.id)}`);
    toast(`${automation.alias || automation.id}: deleted`);
    history.back();
  } catch (error) { toast(error.message); }
}
