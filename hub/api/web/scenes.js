// Scenes on the phone. A new scene: name it, tick devices by room, and the scene keeps their
// current power, mode, brightness, colour... (their controls, not their settings). An existing
// one: rename it, change or remove each target's value, add a device's feature, or delete it.
import { api, byCategory, el, hooks, state, toast } from "./core.js";
import { byRoom, featureRow, nameOf, readValue, screen, settable, valueInput } from "./editors.js";

function controlsOf(device) {
  return [...byCategory(device, "primary"), ...byCategory(device, "control")]
    .filter((f) => f.writable && f.kind !== "action" && f.readable);
}

export function renderSceneEditor() {
  const rooms = byRoom((f) => controlsOf({ features: [f] }).length > 0);
  const form = el("form", { class: "card editor", id: "scene-form", onsubmit: saveNew },
    el("label", { for: "scene-name", text: "Name" }),
    el("input", { id: "scene-name", name: "name", required: true, maxlength: "80", placeholder: "Reading", autocomplete: "off" }),
    el("p", { class: "muted", text: "Keep the current state of:" }),
    ...[...rooms.keys()].map((room) => el("fieldset", { class: "pick" }, el("legend", { text: room }),
      ...rooms.get(room).map((device) => el("label", { class: "check" },
        el("input", { type: "checkbox", name: "device", value: device.id, "aria-label": device.name }), device.name)))),
    el("button", { type: "submit", class: "primary", id: "scene-save", text: "Save scene" }));
  screen("New scene", form);
}

async function saveNew(event) {
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

/** Every scene, each to edit. */
export async function renderSceneList() {
  const { scenes } = await api("GET", "/api/scenes");
  screen("Scenes",
    el("ul", { class: "automations scene-list" }, ...scenes.map((scene) => el("li", { id: `sl-${scene.id}` },
      el("button", { type: "button", class: "what", "aria-label": `edit ${scene.name}`, onclick: () => hooks.go(`#scene=${encodeURIComponent(scene.id)}`) },
        el("span", { text: scene.name }),
        el("small", { class: "trace", text: scene.targets.map((t) => nameOf(t.device)).filter((n, i, all) => all.indexOf(n) === i).join(", ") }))))),
    el("button", { type: "button", class: "scene add wide", text: "+ Scene", onclick: () => hooks.go("#new-scene") }));
}

function targetRow(target, number) {
  const device = state.devices.get(target.device);
  const feature = device && device.features.find((f) => f.id === target.feature);
  const id = `target-${number}`;
  const row = el("li", { class: "target", id },
    el("span", { class: "target-what", text: `${nameOf(target.device)} · ${feature ? feature.name : target.feature}` }),
    feature ? valueInput(feature, `${id}-value`, target.value) : el("span", { text: String(target.value) }),
    el("button", { type: "button", class: "remove", text: "✕", "aria-label": `remove ${nameOf(target.device)} ${feature ? feature.name : target.feature}`,
      onclick: () => row.remove() }));
  row.read = () => ({ device: target.device, feature: target.feature,
    value: feature ? readValue(feature, row.querySelector(`#${id}-value`)) : target.value });
  return row;
}

export async function renderSceneEdit(sceneId) {
  const scene = await api("GET", `/api/scenes/${encodeURIComponent(sceneId)}`);
  const list = el("ul", { class: "targets", id: "scene-targets" }, ...scene.targets.map(targetRow));
  let added = 0;
  const adding = el("div", { class: "adding" });
  const add = el("button", { type: "button", class: "scene add", id: "scene-add-target", text: "+ Device", onclick: () => {
    added += 1;
    const row = featureRow(`add-${added}`, settable, { value: true });
    const item = el("li", { class: "target" }, row,
      el("button", { type: "button", class: "remove", text: "✕", "aria-label": "remove this target", onclick: () => item.remove() }));
    item.read = () => { const r = row.read(); return { device: r.device, feature: r.feature, value: r.value }; };
    list.append(item);
  } });
  const form = el("form", { class: "card editor", id: "scene-form", onsubmit: (e) => saveEdit(e, scene, list) },
    el("label", { for: "scene-name", text: "Name" }),
    el("input", { id: "scene-name", name: "name", required: true, maxlength: "80", value: scene.name, autocomplete: "off" }),
    el("p", { class: "muted", text: "Sets:" }), list, adding, add,
    el("button", { type: "submit", class: "primary", id: "scene-save", text: "Save scene" }),
    el("button", { type: "button", class: "danger", id: "scene-delete", text: "Delete scene", onclick: () => remove(scene) }));
  screen(`Edit ${scene.name}`, form);
}

async function saveEdit(event, scene, list) {
  event.preventDefault();
  const targets = [...list.children].map((row) => row.read());
  if (!targets.length) { toast("A scene sets at least one device"); return; }
  const name = event.currentTarget.elements.name.value.trim();
  try {
    await api("PUT", `/api/scenes/${encodeURIComponent(scene.id)}`, { name, targets });
    toast(`${name}: saved`);
    history.back();
  } catch (error) { toast(error.field ? `${error.message} (${error.field})` : error.message); }
}

async function remove(scene) {
  if (!confirm(`Delete the scene ${scene.name}?`)) return;
  try {
    await api("DELETE", `/api/scenes/${encodeURIComponent(scene.id)}`);
    toast(`${scene.name}: deleted`);
    history.back();
  } catch (error) { toast(error.message); }
}
