// A new automation from the phone, for the common case: when a device's feature becomes a
// value (or goes above / below one), set a feature of a device. Devices are picked by room and
// name, never by id; anything richer is written in config.yaml or through the API.
import { $, api, el, state, toast } from "./core.js";

const SKIP = ["image", "action", "event"];

function devicePicker(id, wanted, onchange) {
  const rooms = new Map();
  for (const device of [...state.devices.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!device.features.some(wanted)) continue;
    const room = device.room || "Other";
    if (!rooms.has(room)) rooms.set(room, []);
    rooms.get(room).push(device);
  }
  return el("select", { id, required: true, onchange },
    ...[...rooms.keys()].sort().map((room) => el("optgroup", { label: room },
      ...rooms.get(room).map((d) => el("option", { value: d.id, text: d.name })))));
}

function valueInput(feature, id) {
  if (!feature) return el("span", { id });
  if (feature.kind === "switch" || feature.kind === "binary_sensor") {
    return el("select", { id }, el("option", { value: "true", text: "on" }), el("option", { value: "false", text: "off" }));
  }
  if (feature.choices && feature.choices.length) {
    return el("select", { id }, ...feature.choices.map((c) => el("option", { value: c, text: c.replace(/_/g, " ") })));
  }
  if (feature.kind === "number" || feature.kind === "sensor") {
    return el("input", { id, type: "number", step: "any", required: true, inputmode: "decimal",
      min: feature.min ?? null, max: feature.max ?? null, placeholder: feature.unit || "" });
  }
  return el("input", { id, type: "text", required: true });
}

function read(feature, widget) {
  if (feature.kind === "switch" || feature.kind === "binary_sensor") return widget.value === "true";
  if (widget.type === "number") return Number(widget.value);
  return widget.value;
}

/** Device, feature and value pickers that follow each other. */
function clause(prefix, wanted, withTest) {
  const box = el("div", { class: "clause" });
  const draw = () => {
    const device = state.devices.get($(`${prefix}-device`).value);
    const features = device ? device.features.filter(wanted) : [];
    const chosen = $(`${prefix}-feature`) && features.find((f) => f.id === $(`${prefix}-feature`).value) || features[0];
    const featureSelect = el("select", { id: `${prefix}-feature`, "aria-label": `${prefix} feature`, onchange: draw },
      ...features.map((f) => el("option", { value: f.id, text: f.name, selected: f === chosen })));
    const numeric = chosen && (chosen.kind === "number" || chosen.kind === "sensor") && !(chosen.choices || []).length;
    const test = withTest ? el("select", { id: `${prefix}-test`, "aria-label": "how" },
      el("option", { value: "to", text: "becomes" }),
      numeric ? el("option", { value: "above", text: "goes above" }) : null,
      numeric ? el("option", { value: "below", text: "goes below" }) : null) : null;
    box.replaceChildren(...[featureSelect, test, valueInput(chosen, `${prefix}-value`)].filter(Boolean));
    box.feature = chosen;
  };
  const picker = devicePicker(`${prefix}-device`, wanted, draw);
  picker.setAttribute("aria-label", `${prefix} device`);
  queueMicrotask(draw);
  return [picker, box];
}

const watched = (f) => f.readable && !SKIP.includes(f.kind);
const settable = (f) => f.writable && !SKIP.includes(f.kind);

export function renderAutomationForm() {
  const [whenDevice, when] = clause("when", watched, true);
  const [thenDevice, then] = clause("then", settable, false);
  const form = el("form", { class: "card editor", id: "automation-form", onsubmit: (e) => save(e, when, then) },
    el("label", { for: "automation-name", text: "Name" }),
    el("input", { id: "automation-name", required: true, maxlength: "80", placeholder: "Warm: fan on", autocomplete: "off" }),
    el("h3", { text: "When" }), whenDevice, when,
    el("h3", { text: "Then set" }), thenDevice, then,
    el("button", { type: "submit", class: "primary", id: "automation-save", text: "Save automation" }));
  $("editor").replaceChildren(
    el("div", { class: "device-head" },
      el("button", { type: "button", class: "back", "aria-label": "back to the rooms", text: "‹", onclick: () => history.back() }),
      el("h2", { text: "New automation" })),
    form);
}

async function save(event, when, then) {
  event.preventDefault();
  const trigger = { platform: "state", device: $("when-device").value, feature: when.feature.id };
  trigger[$("when-test").value] = read(when.feature, $("when-value"));
  const action = { action: "set", device: $("then-device").value, feature: then.feature.id, value: read(then.feature, $("then-value")) };
  const alias = $("automation-name").value.trim();
  try {
    await api("POST", "/api/automations", { alias, trigger: [trigger], action: [action] });
    toast(`${alias}: saved`);
    history.back();
  } catch (error) { toast(error.field ? `${error.message} (${error.field})` : error.message); }
}
