// mihub phone page: plain JS modules, no build step, nothing from elsewhere (it runs under
// Content-Security-Policy: default-src 'self'). Devices come from /api/devices and stay live
// over the /api/events WebSocket; a service worker keeps the last known state for when the
// hub is briefly unreachable. This module pairs, routes between screens and takes events.
// The device screen, the automations list and the editors load when first needed, so the
// home's first render waits only on core and home (and boot.js asked for the device list even
// before them).
import { $, ApiError, TOKEN_KEY, api, clock, hooks, refreshPictures, state, toast } from "./core.js";
import { renderHome, renderScenes, updateTile } from "./home.js";

const deviceScreen = () => import("./device.js");
const automationsList = () => import("./automations.js");
const refreshAutomationsSoon = () => automationsList().then((m) => m.refreshAutomationsSoon()).catch(() => {});
const whenOpen = (deviceId, use) => { if (state.open === deviceId) deviceScreen().then(use).catch(() => {}); };

// ---- pairing --------------------------------------------------------------------------------

function codeFromHash() {
  const match = location.hash.match(/pair=([A-Za-z0-9-]+)/);
  return match ? match[1] : null;
}

function showPairing() {
  stop();
  $("home").hidden = true;
  $("device").hidden = true;
  $("editor").hidden = true;
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
  if (window.caches) caches.delete("mihub-state").catch(() => {});  // the last known state goes too
  showPairing();
}

// ---- screens --------------------------------------------------------------------------------

const EDITORS = [
  [/^#new-scene$/, () => import("./scenes.js").then((m) => m.renderSceneEditor())],
  [/^#scenes$/, () => import("./scenes.js").then((m) => m.renderSceneList())],
  [/^#scene=(.+)$/, (id) => import("./scenes.js").then((m) => m.renderSceneEdit(id))],
  [/^#new-automation$/, () => import("./automation-form.js").then((m) => m.renderAutomationForm())],
  [/^#automation=(.+)$/, (id) => import("./automation-form.js").then((m) => m.renderAutomationForm(id))],
  [/^#yaml=(.+)$/, (id) => import("./yaml.js").then((m) => m.renderYaml(id))],
];

function route() {
  const match = location.hash.match(/^#device=(.+)$/);
  const editor = EDITORS.map(([pattern, render]) => [location.hash.match(pattern), render]).find(([found]) => found);
  state.open = match && state.devices.has(decodeURIComponent(match[1])) ? decodeURIComponent(match[1]) : null;
  $("home").hidden = state.open !== null || Boolean(editor);
  $("device").hidden = state.open === null;
  $("editor").hidden = !editor;
  if (editor) {  // the editors load when first opened, never with the home
    const [found, render] = editor;
    render(found[1] ? decodeURIComponent(found[1]) : undefined).catch((error) => toast(error.message));
  }
  else if (state.open) deviceScreen().then((m) => m.renderDevice()).catch((error) => toast(error.message));
  else { renderHome(); renderScenes().catch(() => {}); refreshAutomationsSoon(); return; }
  window.scrollTo(0, 0);
}

function go(hash, replace = false) {
  if (replace) history.replaceState(null, "", hash); else history.pushState(null, "", hash);
  route();
}

hooks.open = (deviceId) => go(`#device=${encodeURIComponent(deviceId)}`);
hooks.newScene = () => go("#new-scene");
hooks.go = go;
hooks.unauthorized = forget;
hooks.automationsChanged = refreshAutomationsSoon;  // an accepted suggestion made one
hooks.changed = (device, featureId) => { updateTile(device); if (featureId) whenOpen(device.id, (m) => m.showValue(device, featureId)); };

/** The device list boot.js asked for before the modules loaded, else a new request. */
async function devicesOnce() {
  const early = window.mihubDevices;
  window.mihubDevices = null;
  if (!early) return api("GET", "/api/devices");
  let response = null;
  try { response = await early; } catch (error) { return api("GET", "/api/devices"); }
  if (response.status === 401) { hooks.unauthorized(); throw new ApiError(401, { message: "this phone is not paired any more" }); }
  if (!response.ok) return api("GET", "/api/devices");
  state.cachedAt = response.headers.get("X-Mihub-Cached");
  return response.json();
}

async function loadDevices() {
  const { devices } = await devicesOnce();
  state.devices = new Map(devices.map((d) => [d.id, d]));
  if (state.cachedAt) setStatus(false);
  route();
  if (!performance.getEntriesByName("mihub-rendered").length) performance.mark("mihub-rendered");  // bench/phone_page.py
}

// ---- live events ----------------------------------------------------------------------------

function onEvent(event) {
  const device = state.devices.get(event.device);
  switch (event.type) {
    case "hello":
      state.retry = 1000;
      setStatus(true);
      if (state.cachedAt) { state.cachedAt = null; route(); }  // controls come back
      break;
    case "state":
      if (!device) return;
      device.state[event.feature] = { value: event.value, changed_at: event.at, stale: false };
      updateTile(device);
      whenOpen(device.id, (m) => m.showValue(device, event.feature));
      break;
    case "availability":
      if (!device) return;
      device.availability = event.availability;
      device.availability_since = event.at;
      device.availability_reason = event.reason;
      device.availability_problem = event.problem ?? null;
      updateTile(device);
      whenOpen(device.id, (m) => m.renderDevice());
      break;
    case "event":
      whenOpen(event.device, (m) => m.showEvent(event));
      break;
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
  const cached = !live && state.cachedAt;
  $("status").textContent = live ? "live" : cached ? `hub unreachable · as of ${clock(Number(cached))}` : "offline";
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
  try {
    await loadDevices();
    connect();
    await (await automationsList()).renderAutomations().catch((error) => { if (error.status !== 503) throw error; });
    import("./suggestions.js").then((m) => m.renderSuggestions()).catch(() => {});  // the home works without it (offline)
    state.timers.push(setInterval(refreshPictures, 10000));
  } catch (error) { if (error.status !== 401) toast(error.message); }
}

function init() {
  $("pair-form").addEventListener("submit", pair);
  $("forget").addEventListener("click", forget);
  $("new-automation").addEventListener("click", () => go("#new-automation"));
  $("edit-scenes").addEventListener("click", () => go("#scenes"));
  window.addEventListener("popstate", () => { if (state.token) route(); });
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  if (state.token && !codeFromHash()) start(); else showPairing();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
