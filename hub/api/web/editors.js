// What the scene and automation editors share: a screen's head, devices picked by room and
// name (never an id), and a value widget that follows the feature's kind, range and choices.
import { $, el, state } from "./core.js";

export const SKIP = ["image", "action", "event"];
export const watched = (f) => f.readable && !SKIP.includes(f.kind);
export const settable = (f) => f.writable && !SKIP.includes(f.kind);
export const callable = (f) => f.kind === "action";
export const happens = (f) => f.kind === "event";
export const nameOf = (id) => (state.devices.get(id) || { name: id }).name;

/** The editor screen's head: back, and a title. */
export function screen(title, ...body) {
  $("editor").replaceChildren(
    el("div", { class: "device-head" },
      el("button", { type: "button", class: "back", "aria-label": "back", text: "‹", onclick: () => history.back() }),
      el("h2", { text: title })),
    ...body);
  window.scrollTo(0, 0);
}

/** The devices with a feature ``wanted``, grouped by room, sorted by name. */
export function byRoom(wanted) {
  const rooms = new Map();
  for (const device of [...state.devices.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!device.features.some(wanted)) continue;
    const room = device.room || "Other";
    if (!rooms.has(room)) rooms.set(room, []);
    rooms.get(room).push(device);
  }
  return new Map([...rooms.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

export function devicePicker(id, wanted, selected, onchange) {
  const rooms = byRoom(wanted);
  return el("select", { id, required: true, onchange, "aria-label": `${id.replace(/-/g, " ")}` },
    ...[...rooms.keys()].map((room) => el("optgroup", { label: room },
      ...rooms.get(room).map((d) => el("option", { value: d.id, text: d.name, selected: d.id === selected || null })))));
}

export function valueInput(feature, id, value) {
  if (!feature) return el("span", { id });
  if (feature.kind === "switch" || feature.kind === "binary_sensor") {
    return el("select", { id, "aria-label": "value" },
      el("option", { value: "true", text: "on" }), el("option", { value: "false", text: "off", selected: value === false || null }));
  }
  if (feature.choices && feature.choices.length) {
    return el("select", { id, "aria-label": "value" },
      ...feature.choices.map((c) => el("option", { value: c, text: String(c).replace(/_/g, " "), selected: c === value || null })));
  }
  if (feature.kind === "number" || feature.kind === "sensor") {
    return el("input", { id, type: "number", step: "any", required: true, inputmode: "decimal", "aria-label": "value",
      min: feature.min ?? null, max: feature.max ?? null, placeholder: feature.unit || "", value: value ?? null });
  }
  return el("input", { id, type: "text", required: true, "aria-label": "value", value: value ?? null });
}

export function readValue(feature, widget) {
  if (feature.kind === "switch" || feature.kind === "binary_sensor") return widget.value === "true";
  if (widget.type === "number") return Number(widget.value);
  return widget.value;
}

/**
 * Device, feature and (optionally) test and value pickers that follow each other.
 * ``initial``: {device, feature, value, test}. Returns the row; ``row.read()`` gives
 * {device, feature, test, value} (value: undefined without a value widget).
 */
export function featureRow(prefix, wanted, { test = false, value = true, initial = {} } = {}) {
  const box = el("div", { class: "clause" });
  let chosen = null;
  const draw = (first) => {
    const device = state.devices.get($(`${prefix}-device`).value);
    const features = device ? device.features.filter(wanted) : [];
    const old = $(`${prefix}-feature`);
    const wantedId = first ? initial.feature : old && old.value;
    chosen = features.find((f) => f.id === wantedId) || features[0];
    const picker = el("select", { id: `${prefix}-feature`, "aria-label": `${prefix} feature`, onchange: () => draw(false) },
      ...features.map((f) => el("option", { value: f.id, text: f.name, selected: f === chosen || null })));
    const numeric = chosen && (chosen.kind === "number" || chosen.kind === "sensor") && !(chosen.choices || []).length;
    const tests = test ? el("select", { id: `${prefix}-test`, "aria-label": "how" },
      el("option", { value: "to", text: test === "is" ? "is" : "becomes" }),
      numeric ? el("option", { value: "above", text: test === "is" ? "is above" : "goes above", selected: initial.test === "above" || null }) : null,
      numeric ? el("option", { value: "below", text: test === "is" ? "is below" : "goes below", selected: initial.test === "below" || null }) : null) : null;
    box.replaceChildren(...[picker, tests, value ? valueInput(chosen, `${prefix}-value`, first ? initial.value : undefined) : null].filter(Boolean));
  };
  const picker = devicePicker(`${prefix}-device`, wanted, initial.device, () => draw(false));
  const row = el("div", { class: "row-fields" }, picker, box);
  row.read = () => ({
    device: $(`${prefix}-device`).value,
    feature: chosen ? chosen.id : null,
    test: test ? $(`${prefix}-test`).value : undefined,
    value: value && chosen ? readValue(chosen, $(`${prefix}-value`)) : undefined,
  });
  queueMicrotask(() => draw(true));
  return row;
}
