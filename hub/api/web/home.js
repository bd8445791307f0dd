// The home screen: scenes on top, rooms as tabs, one tile per device with its primary state,
// toggled by a tap; each room says how its air is where it has sensors.
import { $, api, command, el, formatValue, hooks, isColour, mainSwitch, picture, state, toast, trouble, valueOf } from "./core.js";

const ALL = "All";
const OTHER = "Other";

function rooms() {
  const byRoom = new Map();
  for (const device of state.devices.values()) {
    const room = device.room || OTHER;
    if (!byRoom.has(room)) byRoom.set(room, []);
    byRoom.get(room).push(device);
  }
  const tall = (d) => d.features.some((f) => f.kind === "image");  // cameras last: their rows are taller
  for (const devices of byRoom.values()) devices.sort((a, b) => tall(a) - tall(b) || a.name.localeCompare(b.name));
  const names = [...byRoom.keys()].sort((a, b) => (a === OTHER) - (b === OTHER) || a.localeCompare(b));
  return new Map(names.map((name) => [name, byRoom.get(name)]));
}

const slug = (text) => text.toLowerCase().replace(/[^a-z0-9]+/g, "-");

function tabs(names) {
  const chosen = names.includes(state.room) ? state.room : ALL;
  $("rooms-tabs").replaceChildren(...[ALL, ...names].map((name) => el("button", {
    type: "button", role: "tab", class: "tab", id: `tab-${slug(name)}`, "aria-selected": String(name === chosen),
    text: name, onclick: () => { state.room = name; localStorage.setItem("mihub-room", name); renderHome(); },
  })));
  return chosen;
}

// ---- air --------------------------------------------------------------------------------------

const AIR = [["pm25", "PM2.5"], ["temperature", ""], ["humidity", ""]];

/** "Air good · PM2.5 12 µg/m³ · 21.5 °C · 45 %" for a room's online sensors, or null. */
export function airSummary(devices) {
  const parts = [];
  let pm25 = null;
  for (const [id, prefix] of AIR) {
    const found = [];
    let feature = null;
    for (const device of devices) {
      const f = device.features.find((x) => x.id === id && x.readable && x.category !== "diagnostic");
      const v = f && device.availability !== "offline" ? valueOf(device, id) : null;
      if (typeof v === "number") { found.push(v); feature = f; }
    }
    if (!found.length) continue;
    const value = id === "pm25" ? Math.max(...found) : found.reduce((a, b) => a + b, 0) / found.length;
    if (id === "pm25") pm25 = value;
    parts.push(`${prefix ? `${prefix} ` : ""}${formatValue(feature, value)}`);
  }
  if (!parts.length) return null;
  const rating = pm25 === null ? "" : pm25 <= 35 ? "good" : pm25 <= 75 ? "moderate" : "poor";
  return { text: parts.join(" · "), rating };
}

// ---- tiles ------------------------------------------------------------------------------------

const BINARY = { contact: ["closed", "open"], occupancy: ["no motion", "motion"], motion: ["no motion", "motion"],
  water_leak: ["dry", "water leak"], smoke: ["no smoke", "smoke"] };

function words(device, feature) {
  const value = valueOf(device, feature.id);
  if (feature.kind === "binary_sensor") {
    const [no, yes] = BINARY[feature.id] || [`no ${feature.name.toLowerCase()}`, feature.name];
    return value === null ? "–" : value ? yes : no;
  }
  const text = formatValue(feature, value);
  return /pm2|aqi/.test(feature.id) ? `${feature.name} ${text}` : text;
}

const READING = ["sensor", "binary_sensor"];

/** A tile's words: its primary values; when it is off, "off" and its readings only. */
function summary(device, main) {
  const off = main && valueOf(device, main.id) === false;
  const shown = device.features.filter((f) => f.readable && f !== main && !isColour(f) && f.category !== "diagnostic"
    && !["image", "event", "action", "text"].includes(f.kind) && (!off || READING.includes(f.kind)));
  let primary = shown.filter((f) => f.category === "primary");
  if (!primary.length) primary = shown.filter((f) => READING.includes(f.kind)).slice(0, 2);
  const parts = primary.map((f) => words(device, f));
  if (off) parts.unshift("off");
  return parts.join(" · ") || (main ? "on" : "");
}

export function tile(device) {
  const main = mainSwitch(device);
  const problem = trouble(device);
  const on = main ? valueOf(device, main.id) === true : null;
  const image = device.features.find((f) => f.kind === "image" && (f.category === "primary" || f.category === "control"));
  const body = [
    el("span", { class: "tile-name", text: device.name }),
    el("span", { class: `tile-state${problem ? " trouble" : ""}`, text: problem || summary(device, main) || "–" }),
    image && !problem ? picture(device, image) : null,
  ];
  const open = () => hooks.open(device.id);
  const node = el("div", { class: `tile ${device.availability}${on ? " on" : ""}`, id: `d-${device.id}` });
  if (main) {
    node.append(
      el("button", { type: "button", class: "tile-main", id: `tile-${device.id}`, "aria-pressed": String(on),
        "aria-label": `${device.name}: ${on ? "turn off" : "turn on"}`, disabled: Boolean(problem || state.cachedAt),
        onclick: (e) => command(device, { feature: main.id, value: !on }, e.currentTarget) }, ...body),
      el("button", { type: "button", class: "tile-more", "aria-label": `open ${device.name}`, text: "›", onclick: open }));
  } else {
    node.append(el("button", { type: "button", class: "tile-main", id: `tile-${device.id}`,
      "aria-label": `open ${device.name}`, onclick: open }, ...body));
  }
  return node;
}

export function updateTile(device) {
  const old = $(`d-${device.id}`);
  if (old) old.replaceWith(tile(device));
  if (!old || device.features.some((f) => AIR.some(([id]) => id === f.id))) renderAir(device.room || OTHER);
}

function renderAir(room) {
  const node = $(`air-${slug(room)}`);
  if (!node) return;
  const air = airSummary([...state.devices.values()].filter((d) => (d.room || OTHER) === room));
  node.textContent = air ? air.text : "";
  node.className = `room-air ${air ? air.rating : ""}`;
}

export function renderHome() {
  const all = rooms();
  const chosen = tabs([...all.keys()]);
  const shown = chosen === ALL ? [...all.entries()] : [[chosen, all.get(chosen)]];
  $("tiles").replaceChildren(...shown.map(([room, devices]) => el("section", { class: "room", "aria-label": room },
    el("h2", { class: "section" }, el("span", { text: room }), el("span", { class: "room-air", id: `air-${slug(room)}` })),
    el("div", { class: "grid" }, ...devices.map(tile)))));
  for (const [room] of shown) renderAir(room);
  renderWaiting().catch(() => {});
}

// ---- devices the hub found but cannot talk to: "needs a token" -----------------------------

async function renderWaiting() {
  let box = $("waiting");
  if (!box) {
    box = el("section", { id: "waiting", class: "waiting", "aria-label": "devices that need a token" });
    $("tiles").before(box);
  }
  const waiting = await api("GET", "/api/onboarding/devices");
  const shown = waiting.devices.filter((d) => !d.device_id || !state.devices.has(d.device_id));
  if (!shown.length) { box.replaceChildren(); return; }
  const { waitingCards } = await import("./token.js");  // only when a device needs it
  box.replaceChildren(el("h2", { class: "section", text: "Needs a token" }),
    ...waitingCards(shown, waiting.ways, renderWaiting));
}

// ---- scenes -------------------------------------------------------------------------------

export async function renderScenes() {
  const { scenes } = await api("GET", "/api/scenes");
  $("scenes").replaceChildren(...scenes.map((scene) => el("button", { type: "button", class: "scene", id: `s-${scene.id}`,
    onclick: async (e) => {
      const button = e.currentTarget;
      button.classList.add("busy");
      try {
        const result = await api("POST", `/api/scenes/${encodeURIComponent(scene.id)}/activate`);
        const bad = result.devices.filter((d) => d.status === "failed" || d.status === "offline");
        const name = (id) => (state.devices.get(id) || { name: id }).name;
        toast(bad.length ? `${scene.name}: ${bad.map((d) => `${name(d.device)} ${d.error || d.status}`).join(", ")}` : `${scene.name}: done`);
      } catch (error) { toast(error.message); } finally { button.classList.remove("busy"); }
    } }, scene.name)),
    el("button", { type: "button", class: "scene add", id: "new-scene", text: "+ Scene", "aria-label": "new scene",
      onclick: () => hooks.newScene() }));
}
