// What every screen of the phone page shares: the state, the API, elements, values as words,
// and what a device's health allows. No screen imports another; app.js wires them together.

export const TOKEN_KEY = "mihub-token";
export const state = {
  token: localStorage.getItem(TOKEN_KEY),
  devices: new Map(),
  room: localStorage.getItem("mihub-room") || "All",
  open: null,  // the device on the device screen
  ws: null,
  retry: 1000,
  timers: [],
  cachedAt: null,  // set when the service worker answered with the last known state
};
export const hooks = { unauthorized() {}, changed() {} };
export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "checked" || key === "value" || key === "disabled") node[key] = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

export function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 3500);
}

export class ApiError extends Error {
  constructor(status, error) {
    super(error && error.message ? error.message : `HTTP ${status}`);
    this.status = status;
    this.field = error ? error.field : null;
  }
}

export async function api(method, path, body, headers = {}) {
  const response = await fetch(path, {
    method,
    headers: { "Authorization": `Bearer ${state.token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { hooks.unauthorized(); throw new ApiError(401, { message: "this phone is not paired any more" }); }
  if (path === "/api/devices") state.cachedAt = response.headers.get("X-Mihub-Cached");
  const data = response.status === 204 ? {} : await response.json();
  if (!response.ok) throw new ApiError(response.status, data.error);
  return data;
}

// ---- values as words ------------------------------------------------------------------------

export function valueOf(device, featureId) {
  const entry = device.state[featureId];
  return entry ? entry.value : null;
}

const DAYS = { s: 86400, min: 1440, h: 24 };

export function formatValue(feature, value) {
  if (value === null || value === undefined) return "–";
  if (feature.kind === "binary_sensor") return value ? "yes" : "no";
  if (feature.kind === "switch") return value ? "on" : "off";
  if (typeof value === "number") {
    const day = DAYS[feature.unit];
    if (day && value >= 2 * day) return `${Math.round(value / day)} days`;
    const shown = Number.isInteger(value) ? value : Math.round(value * 10) / 10;
    return feature.unit ? `${shown} ${feature.unit}` : `${shown}`;
  }
  return feature.unit ? `${value} ${feature.unit}` : String(value).replace(/_/g, " ");
}

export function clock(seconds) {
  const at = new Date(seconds * 1000);
  const time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return Date.now() - at.getTime() < 86400000 ? time : `${at.toLocaleDateString([], { day: "numeric", month: "short" })} ${time}`;
}

export const isColour = (f) => f.kind === "number" && (f.id === "rgb" || f.id.endsWith("_rgb") || f.id === "color");
export const intToHex = (n) => `#${(Math.max(0, Math.min(0xffffff, Number(n) || 0))).toString(16).padStart(6, "0")}`;
export const hexToInt = (hex) => parseInt(hex.slice(1), 16);

// ---- what a device is now -------------------------------------------------------------------

/** Words for a device that cannot be controlled now, or null when it can: the hub refuses
 * commands to it at once, with the same reason (a 503, or a 502 for the token). */
export function trouble(device) {
  if (device.availability !== "offline") return null;
  if (device.availability_problem === "token_rejected") return "token rejected: re-enter it";
  return device.availability_since ? `offline since ${clock(device.availability_since)}` : "offline";
}

export function byCategory(device, category) {
  return device.features.filter((f) => (f.category || "control") === category);
}

/** The switch a tap on the tile toggles: a primary switch, else one called power. */
export function mainSwitch(device) {
  const switches = device.features.filter((f) => f.kind === "switch" && f.writable);
  return switches.find((f) => f.category === "primary") || switches.find((f) => f.id === "power") || null;
}

export async function command(device, body, widget) {
  if (widget) widget.classList.add("busy");
  try {
    const key = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    await api("POST", `/api/devices/${encodeURIComponent(device.id)}/commands`, body, { "Idempotency-Key": key });
  } catch (error) {
    toast(`${device.name}: ${error.message}`);
    hooks.changed(device, body.feature);  // back to what the device says
  } finally {
    if (widget) widget.classList.remove("busy");
  }
}

// ---- camera pictures, shared by tiles and the device screen --------------------------------

const pictures = new Map();

export function picture(device, feature) {
  const img = el("img", { class: "snapshot", alt: `${device.name}: ${feature.name}`, "data-snap": device.id,
    src: pictures.get(device.id) || null });
  if (!pictures.has(device.id)) {
    pictures.set(device.id, "");
    setTimeout(() => loadPicture(device.id), 0);  // after the screen is drawn
  }
  return img;
}

export async function loadPicture(deviceId) {
  try {
    const response = await fetch(`/api/devices/${encodeURIComponent(deviceId)}/snapshot`,
      { headers: { "Authorization": `Bearer ${state.token}` } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const url = URL.createObjectURL(await response.blob());
    const old = pictures.get(deviceId);
    pictures.set(deviceId, url);
    for (const img of document.querySelectorAll(`img[data-snap="${CSS.escape(deviceId)}"]`)) {
      img.src = url;
      img.classList.remove("failed");
    }
    if (old) setTimeout(() => URL.revokeObjectURL(old), 1000);
  } catch (error) {
    for (const img of document.querySelectorAll(`img[data-snap="${CSS.escape(deviceId)}"]`)) img.classList.add("failed");
  }
}

export function refreshPictures() {
  for (const id of new Set([...document.querySelectorAll("img[data-snap]")].map((i) => i.dataset.snap))) loadPicture(id);
}
