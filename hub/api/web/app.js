// mihub phone page: plain JS, no build step, no external resources.
"use strict";

const state = { token: localStorage.getItem("mihub-token"), devices: new Map(), ws: null };
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "checked" || key === "value" || key === "hidden" || key === "disabled") node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 3000);
}

async function api(method, path, body, headers = {}) {
  const response = await fetch(path, {
    method,
    headers: { "Authorization": `Bearer ${state.token}`, "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { forget(); throw new Error("not paired"); }
  const data = response.status === 204 ? {} : await response.json();
  if (!response.ok) throw new Error(data.error ? data.error.message : response.statusText);
  return data;
}

function forget() {
  localStorage.removeItem("mihub-token");
  state.token = null;
  showPairing();
}

function showPairing() {
  $("home").hidden = true;
  $("pairing").hidden = false;
  const match = location.hash.match(/pair=([A-Za-z0-9-]+)/);
  if (match) $("pair-code").value = match[1];
}

async function pair(event) {
  event.preventDefault();
  $("pair-error").textContent = "";
  const response = await fetch("/api/pair", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ code: $("pair-code").value, name: $("pair-name").value || "phone" }),
  });
  const data = await response.json();
  if (!response.ok) { $("pair-error").textContent = data.error.message; return; }
  state.token = data.token;
  localStorage.setItem("mihub-token", data.token);
  history.replaceState(null, "", location.pathname);
  start();
}

async function command(device, body) {
  try {
    const key = `${Date.now()}-${Math.random().toString(16).slice(2)}`;
    const result = await api("POST", `/api/devices/${device}/commands`, body, { "Idempotency-Key": key });
    if (result.status === "failed") toast(result.error || "failed");
  } catch (error) { toast(error.message); }
}

function control(device, feature) {
  const value = device.state[feature.id] ? device.state[feature.id].value : null;
  const id = `f-${device.id}-${feature.id}`;
  const send = (v) => command(device.id, { feature: feature.id, value: v });
  switch (feature.kind) {
    case "switch":
      return el("input", { id, type: "checkbox", class: "switch", checked: value === true,
        "aria-label": feature.name, onchange: (e) => send(e.target.checked) });
    case "number":
      if (!feature.writable) break;
      return el("input", { id, type: "range", min: feature.min, max: feature.max, step: feature.step || 1,
        value: value ?? feature.min, "aria-label": feature.name, onchange: (e) => send(Number(e.target.value)) });
    case "choice":
      if (!feature.writable) break;
      return el("select", { id, "aria-label": feature.name, onchange: (e) => send(e.target.value) },
        ...feature.choices.map((c) => el("option", { value: c, ...(c === value ? { selected: "" } : {}) }, c)));
    case "action":
      return el("button", { id, onclick: () => command(device.id, { action: feature.id }) }, feature.name);
    case "image":
      return el("img", { id, class: "snapshot", alt: `${device.name} snapshot` });
    case "event":
      return null;
    default:
      break;
  }
  const unit = feature.unit ? ` ${feature.unit}` : "";
  return el("span", { id }, value === null || value === undefined ? "–" : `${value}${unit}`);
}

function card(device) {
  const node = el("article", { class: `card ${device.availability}`, id: `d-${device.id}` }, el("h3", {}, device.name));
  for (const feature of device.features) {
    const widget = control(device, feature);
    if (!widget) continue;
    if (feature.kind === "image") { node.append(widget); loadSnapshot(device.id, widget); continue; }
    node.append(el("div", { class: "feature" }, el("label", { for: widget.id }, feature.name), widget));
  }
  return node;
}

async function loadSnapshot(deviceId, img) {
  try {
    const response = await fetch(`/api/devices/${deviceId}/snapshot`, { headers: { "Authorization": `Bearer ${state.token}` } });
    if (!response.ok) return;
    const url = URL.createObjectURL(await response.blob());
    if (img.src) URL.revokeObjectURL(img.src);
    img.src = url;
  } catch (error) { /* the next refresh tries again */ }
}

function renderRooms() {
  const byRoom = new Map();
  for (const device of state.devices.values()) {
    const room = device.room || "Other";
    if (!byRoom.has(room)) byRoom.set(room, []);
    byRoom.get(room).push(device);
  }
  const rooms = $("rooms");
  rooms.replaceChildren();
  for (const [room, devices] of [...byRoom].sort()) {
    rooms.append(el("section", { class: "room" }, el("h2", {}, room), el("div", { class: "cards" }, ...devices.map(card))));
  }
}

async function renderScenes() {
  const { scenes } = await api("GET", "/api/scenes");
  $("scenes").replaceChildren(...scenes.map((scene) => el("button", {
    onclick: async () => {
      const result = await api("POST", `/api/scenes/${scene.id}/activate`);
      const failed = result.devices.filter((d) => d.status === "failed" || d.status === "offline").length;
      toast(failed ? `${scene.name}: ${failed} device(s) failed` : `${scene.name} is on`);
    },
  }, scene.name)));
}

async function renderAutomations() {
  const { automations } = await api("GET", "/api/automations");
  $("automations").replaceChildren(...automations.map((a) => {
    const trace = a.last_trace ? `last: ${a.last_trace.result}` : "not run yet";
    return el("li", { id: `a-${a.id}` },
      el("div", {}, a.alias || a.id, el("small", {}, trace)),
      el("input", { type: "checkbox", class: "switch", checked: a.enabled, "aria-label": `enable ${a.id}`,
        onchange: (e) => api("POST", `/api/automations/${a.id}/${e.target.checked ? "enable" : "disable"}`).catch((err) => toast(err.message)) }));
  }));
}

function applyState(event) {
  const device = state.devices.get(event.device);
  if (!device) return;
  device.state[event.feature] = { value: event.value };
  const widget = document.getElementById(`f-${event.device}-${event.feature}`);
  if (!widget) return;
  if (widget.type === "checkbox") widget.checked = event.value === true;
  else if (widget.tagName === "INPUT" || widget.tagName === "SELECT") { if (document.activeElement !== widget) widget.value = event.value; }
  else if (widget.tagName === "SPAN") {
    const feature = device.features.find((f) => f.id === event.feature);
    widget.textContent = `${event.value}${feature && feature.unit ? ` ${feature.unit}` : ""}`;
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/api/events`);
  state.ws = ws;
  ws.onopen = () => ws.send(JSON.stringify({ token: state.token }));
  ws.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "hello") { $("status").textContent = "live"; $("status").classList.add("live"); }
    else if (event.type === "state") applyState(event);
    else if (event.type === "availability") {
      const device = state.devices.get(event.device);
      if (device) { device.availability = event.availability; const node = $(`d-${device.id}`); if (node) node.className = `card ${event.availability}`; }
    } else if (event.type === "automation") renderAutomations().catch(() => {});
    else if (event.type === "notification") toast(`${event.title}: ${event.message}`);
  };
  ws.onclose = () => {
    $("status").textContent = "offline"; $("status").classList.remove("live");
    if (state.token) setTimeout(connect, 2000);
  };
}

async function start() {
  $("pairing").hidden = true;
  $("home").hidden = false;
  try {
    const { devices } = await api("GET", "/api/devices");
    state.devices = new Map(devices.map((d) => [d.id, d]));
    renderRooms();
    await Promise.all([renderScenes(), renderAutomations()]);
    connect();
    setInterval(() => document.querySelectorAll("img.snapshot").forEach((img) => loadSnapshot(img.id.split("-").slice(1, -1).join("-"), img)), 10000);
  } catch (error) { toast(error.message); }
}

document.addEventListener("DOMContentLoaded", () => {
  $("pair-form").addEventListener("submit", pair);
  if (state.token && !location.hash.includes("pair=")) start(); else showPairing();
});
