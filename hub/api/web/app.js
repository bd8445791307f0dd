// mihub phone page: plain JS, no build step, nothing from elsewhere (it runs under
// Content-Security-Policy: default-src 'self'). Devices come from /api/devices and stay live
// over the /api/events WebSocket; every control is chosen by the feature's kind.
"use strict";

const TOKEN_KEY = "mihub-token";
const state = {
  token: localStorage.getItem(TOKEN_KEY),
  devices: new Map(),
  ws: null,
  retry: 1000,
  timers: [],
};
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "checked" || key === "value" || key === "disabled") node[key] = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 3500);
}

class ApiError extends Error {
  constructor(status, error) {
    super(error && error.message ? error.message : `HTTP ${status}`);
    this.status = status;
    this.field = error ? error.field : null;
  }
}

async function api(method, path, body, headers = {}) {
  const response = await fetch(path, {
    method,
    headers: { "Authorization": `Bearer ${state.token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { forget(); throw new ApiError(401, { message: "this phone is not paired any more" }); }
  const data = response.status === 204 ? {} : await response.json();
  if (!response.ok) throw new ApiError(response.status, data.error);
  return data;
}

// ---- pairing --------------------------------------------------------------------------------

function codeFromHash() {
  const match = location.hash.match(/pair=([A-Za-z0-9-]+)/);
  return match ? match[1] : null;
}

function showPairing() {
  stop();
  $("home").hidden = true;
  $("pairing").hidden = false;
  const code = codeFromHash();
  if (code) { $("pair-code").value = code; $("pair-name").focus(); } else $("pair-code").focus();
}

async function pair(event) {
  event.preventDefault();
  $("pair-error").textContent = "";
  $("pair-button").disabled = true;
  try {
    const response = await fetch("/api/pair", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code: $("pair-code").value.trim(), name: $("pair-name").value.trim() || "phone" }),
    });
    const data = await response.json();
    if (!response.ok) { $("pair-error").textContent = data.error.message; return; }
    state.token = data.token;
    localStorage.setItem(TOKEN_KEY, data.token);
    $("pair-code").value = "";
    history.replaceState(null, "", location.pathname);  // the code leaves the address bar
    start();
  } catch (error) {
    $("pair-error").textContent = "the hub did not answer; is this phone on the home network?";
  } finally {
    $("pair-button").disabled = false;
  }
}

function forget() {
  localStorage.removeItem(TOKEN_KEY);
  state.token = null;
  showPairing();
}

// ---- devices --------------------------------------------------------------------------------

function valueOf(device, featureId) {
  const entry = device.state[featureId];
  return entry ? entry.value : null;
}

function formatValue(feature, value) {
  if (value === null || value === undefined) return "–";
  if (feature.kind === "binary_sensor") return value ? "yes" : "no";
  if (feature.kind === "switch") return value ? "on" : "off";
  const unit = feature.unit ? ` ${feature.unit}` : "";
  return `${value}${unit}`;
}

function widgetId(deviceId, featureId) { return `f-${deviceId}-${featureId}`; }

async function command(device, body, widget) {
  widget.classList.add("busy");
  try {
    const key = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    await api("POST", `/api/devices/${encodeURIComponent(device.id)}/commands`, body, { "Idempotency-Key": key });
  } catch (error) {
    toast(`${device.name}: ${error.message}`);
    if (body.feature) showValue(device, body.feature);  // back to what the device says
  } finally {
    widget.classList.remove("busy");
  }
}

function control(device, feature) {
  const id = widgetId(device.id, feature.id);
  const value = valueOf(device, feature.id);
  const send = (v, widget) => command(device, { feature: feature.id, value: v }, widget);
  if (feature.writable) {
    switch (feature.kind) {
      case "switch":
        return el("input", { id, type: "checkbox", role: "switch", class: "switch", checked: value === true,
          "aria-label": `${device.name} ${feature.name}`, onchange: (e) => send(e.target.checked, e.target) });
      case "number": {
        const output = el("output", { for: id, id: `${id}-out`, text: formatValue(feature, value) });
        const slider = el("input", { id, type: "range", min: feature.min ?? 0, max: feature.max ?? 100,
          step: feature.step || "any", value: value ?? feature.min ?? 0, "aria-label": `${device.name} ${feature.name}`,
          oninput: (e) => { output.textContent = formatValue(feature, Number(e.target.value)); },
          onchange: (e) => send(Number(e.target.value), e.target) });
        return el("span", { class: "slider" }, slider, output);
      }
      case "choice":
        return el("select", { id, "aria-label": `${device.name} ${feature.name}`, onchange: (e) => send(e.target.value, e.target) },
          ...(feature.choices || []).map((c) => el("option", { value: c, selected: c === value, text: c })));
      case "action":
        return el("button", { id, type: "button", class: "action", text: "Run", "aria-label": `${device.name} ${feature.name}`,
          onclick: (e) => command(device, { action: feature.id }, e.target) });
      default:
        break;
    }
  }
  if (feature.kind === "image") {
    return el("img", { id, class: "snapshot", alt: `${device.name}: ${feature.name}`,
      onclick: (e) => loadSnapshot(device.id, e.target) });
  }
  if (feature.kind === "event") return el("span", { id, class: "value muted", text: "–" });
  return el("span", { id, class: "value", text: formatValue(feature, value) });
}

function card(device) {
  const node = el("article", { class: `card ${device.availability}`, id: `d-${device.id}` },
    el("h3", {}, el("span", { class: "dot", title: device.availability }), device.name));
  for (const feature of device.features) {
    if (!feature.readable && feature.kind !== "action") continue;
    const widget = control(device, feature);
    if (feature.kind === "image") { node.append(widget); loadSnapshot(device.id, widget); continue; }
    const label = el("label", { for: widget.id || widget.firstChild.id, text: feature.name });
    node.append(el("div", { class: `feature kind-${feature.kind}` }, label, widget));
  }
  node.append(el("button", { type: "button", class: "link remove", id: `r-${device.id}`,
    "aria-label": `remove ${device.name}`, text: "Remove", onclick: () => removeDevice(device) }));
  return node;
}

// A replaced or sold device: forget it with its state and token (admin tokens only).
async function removeDevice(device) {
  const question = `Remove ${device.name}? Its state and token are deleted. ` +
    "If it is still on the network, it comes back when the hub finds it again.";
  if (!confirm(question)) return;
  try {
    await api("DELETE", `/api/devices/${encodeURIComponent(device.id)}`);
    state.devices.delete(device.id);
    renderRooms();
    toast(`${device.name} removed`);
  } catch (error) { toast(`${device.name}: ${error.message}`); }
}

function showValue(device, featureId) {
  const feature = device.features.find((f) => f.id === featureId);
  const widget = $(widgetId(device.id, featureId));
  if (!feature || !widget) return;
  const value = valueOf(device, featureId);
  if (widget.type === "checkbox") widget.checked = value === true;
  else if (widget.tagName === "SELECT") { if (document.activeElement !== widget) widget.value = value; }
  else if (widget.type === "range") {
    if (document.activeElement !== widget) widget.value = value;
    const out = $(`${widget.id}-out`);
    if (out) out.textContent = formatValue(feature, value);
  } else if (widget.tagName === "SPAN") widget.textContent = formatValue(feature, value);
}

async function loadSnapshot(deviceId, img) {
  try {
    const response = await fetch(`/api/devices/${encodeURIComponent(deviceId)}/snapshot`,
      { headers: { "Authorization": `Bearer ${state.token}` } });
    if (!response.ok) { img.classList.add("failed"); return; }
    const url = URL.createObjectURL(await response.blob());
    const old = img.src;
    img.src = url;
    img.classList.remove("failed");
    if (old.startsWith("blob:")) URL.revokeObjectURL(old);
  } catch (error) { img.classList.add("failed"); }
}

function renderRooms() {
  const byRoom = new Map();
  for (const device of state.devices.values()) {
    const room = device.room || "Other";
    if (!byRoom.has(room)) byRoom.set(room, []);
    byRoom.get(room).push(device);
  }
  const names = [...byRoom.keys()].sort((a, b) => (a === "Other") - (b === "Other") || a.localeCompare(b));
  $("rooms").replaceChildren(...names.map((room) => el("section", { class: "room" },
    el("h2", { class: "section", text: room }), el("div", { class: "cards" }, ...byRoom.get(room).map(card)))));
}

async function loadDevices() {
  const { devices } = await api("GET", "/api/devices");
  state.devices = new Map(devices.map((d) => [d.id, d]));
  renderRooms();
}

// ---- scenes and automations -----------------------------------------------------------------

async function renderScenes() {
  const { scenes } = await api("GET", "/api/scenes");
  if (!scenes.length) return;
  $("scenes").replaceChildren(...scenes.map((scene) => el("button", { type: "button", class: "scene", id: `s-${scene.id}`,
    onclick: async (e) => {
      e.target.classList.add("busy");
      try {
        const result = await api("POST", `/api/scenes/${encodeURIComponent(scene.id)}/activate`);
        const bad = result.devices.filter((d) => d.status === "failed" || d.status === "offline");
        toast(bad.length ? `${scene.name}: ${bad.map((d) => `${d.device} ${d.status}`).join(", ")}` : `${scene.name}: done`);
      } catch (error) { toast(error.message); } finally { e.target.classList.remove("busy"); }
    } }, scene.name)));
}

function ago(seconds) {
  const delta = Math.max(0, Date.now() / 1000 - seconds);
  if (delta < 60) return "just now";
  if (delta < 3600) return `${Math.round(delta / 60)} min ago`;
  if (delta < 86400) return `${Math.round(delta / 3600)} h ago`;
  return `${Math.round(delta / 86400)} d ago`;
}

async function renderAutomations() {
  const { automations } = await api("GET", "/api/automations");
  if (!automations.length) return;
  $("automations").replaceChildren(...automations.map((a) => {
    const trace = a.last_trace;
    const last = trace ? `${trace.result.replace("_", " ")} · ${ago(trace.started)}${trace.error ? ` · ${trace.error}` : ""}` : "not run yet";
    const path = `/api/automations/${encodeURIComponent(a.id)}`;
    return el("li", { id: `a-${a.id}`, class: a.enabled ? "" : "disabled" },
      el("div", { class: "what" }, el("span", { text: a.alias || a.id }), el("small", { class: "trace", text: last })),
      el("button", { type: "button", class: "run", text: "Run", "aria-label": `run ${a.alias || a.id}`,
        onclick: () => api("POST", `${path}/run`).then(() => toast(`${a.alias || a.id}: started`)).catch((err) => toast(err.message)) }),
      el("input", { type: "checkbox", role: "switch", class: "switch", checked: a.enabled, "aria-label": `enable ${a.alias || a.id}`,
        onchange: (e) => api("POST", `${path}/${e.target.checked ? "enable" : "disable"}`)
          .then(() => renderAutomations()).catch((err) => { e.target.checked = !e.target.checked; toast(err.message); }) }));
  }));
}

let automationsSoon = null;
function refreshAutomationsSoon() {
  clearTimeout(automationsSoon);
  automationsSoon = setTimeout(() => renderAutomations().catch(() => {}), 300);
}

// ---- live events ----------------------------------------------------------------------------

function onEvent(event) {
  const device = state.devices.get(event.device);
  switch (event.type) {
    case "hello":
      setStatus(true);
      state.retry = 1000;
      break;
    case "state":
      if (!device) return;
      device.state[event.feature] = { value: event.value, changed_at: event.at, stale: false };
      showValue(device, event.feature);
      break;
    case "availability": {
      if (!device) return;
      device.availability = event.availability;
      const node = $(`d-${device.id}`);
      if (node) node.className = `card ${event.availability}`;
      break;
    }
    case "event": {
      const widget = $(widgetId(event.device, event.event));
      if (widget) widget.textContent = `${event.event} · ${new Date(event.at * 1000).toLocaleTimeString()}`;
      break;
    }
    case "device":
      loadDevices().catch(() => {});
      break;
    case "automation":
      refreshAutomationsSoon();
      break;
    case "notification":
      toast(`${event.title}: ${event.message}`);
      break;
    case "stats":
      if (event.dropped) loadDevices().catch(() => {});  // events were lost: catch up
      break;
    default:
      break;
  }
}

function setStatus(live) {
  $("status").textContent = live ? "live" : "offline";
  $("status").classList.toggle("live", live);
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/events`);
  state.ws = ws;
  ws.onopen = () => ws.send(JSON.stringify({ token: state.token }));
  ws.onmessage = (message) => onEvent(JSON.parse(message.data));
  ws.onclose = (close) => {
    setStatus(false);
    if (state.ws !== ws) return;
    if (close.code === 4401) { forget(); return; }
    state.timers.push(setTimeout(() => { if (state.token) { loadDevices().catch(() => {}); connect(); } }, state.retry));
    state.retry = Math.min(state.retry * 2, 30000);
  };
}

function stop() {
  for (const timer of state.timers) { clearTimeout(timer); clearInterval(timer); }
  state.timers = [];
  const ws = state.ws;
  state.ws = null;
  if (ws) ws.close();
  setStatus(false);
}

async function start() {
  $("pairing").hidden = true;
  $("home").hidden = false;
  try {
    await loadDevices();
    await Promise.all([renderScenes(), renderAutomations().catch((error) => { if (error.status !== 503) throw error; })]);
    connect();
    state.timers.push(setInterval(() => {
      for (const img of document.querySelectorAll("img.snapshot")) loadSnapshot(img.id.slice(2, img.id.lastIndexOf("-")), img);
    }, 10000));
  } catch (error) { if (error.status !== 401) toast(error.message); }
}

document.addEventListener("DOMContentLoaded", () => {
  $("pair-form").addEventListener("submit", pair);
  $("forget").addEventListener("click", forget);
  if (state.token && !codeFromHash()) start(); else showPairing();
});
