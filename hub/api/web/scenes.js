// A new scene from the phone: name it, tick devices by room, and the scene keeps their
// current power, mode, brightness, colour... (their controls, not their settings).
import { $, api, byCategory, el, state, toast } from "./core.js";

function controlsOf(device) {
  return [...byCategory(device, "primary"), ...byCategory(device, "control")]
    .filter((f) => f.writable && f.kind !== "action" && f.readable);
}

export function renderSceneEditor() {
  const rooms = new Map();
  for (const device of [...state.devices.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!controlsOf(device).length) continue;
    const room = device.room || "Other";
    if (!rooms.has(room)) rooms.set(room, []);
    rooms.get(room).push(device);
  }
  const form = el("form", { class: "card editor", id: "scene-form", onsubmit: save },
    el("label", { for: "scene-name", text: "Name" }),
    el("input", { id: "scene-name", name: "name", required: true, maxlength: "80", placeholder: "Reading", autocomplete: "off" }),
    el("p", { class: "muted", text: "Keep the current state of:" }),
    ...[...rooms.keys()].sort().map((room) => el("fieldset", { class: "pick" }, el("legend", { text: room }),
      ...rooms.get(room).map((device) => el("label", { class: "check" },
        el("input", { type: "checkbox", name: "device", value: device.id, "aria-label": device.name }), device.name)))),
    el("button", { type: "submit", class: "primary", id: "scene-save", text: "Save scene" }));
  $("editor").replaceChildren(
    el("div", { class: "device-head" },
      el("button", { type: "button", class: "back", "aria-label": "back to the rooms", text: "‹", onclick: () => history.back() }),
      el("h2", { text: "New scene" })),
    form);
}

async function save(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const chosen = [...form.querySelectorAll("input[name=device]:checked")].map((i) => state.devices.get(i.value));
  if (!chosen.length) { toast("Tick at least one device"); return; }
  const features = [...new Set(chosen.flatMap((d) => controlsOf(d).map((f) => f.id)))];
  const name = form.elements.name.value.trim();
  try {
    await api("POST", "/api/scene-snapshots", { name, devices: chosen.map((d) => d.id), features });
    toast(`${name}: saved`);
    history.back();
  } catch (error) { toast(error.message); }
}
