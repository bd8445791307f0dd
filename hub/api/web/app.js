// mihub phone page: plain JS modules, no build step, nothing from elsewhere (it runs under
// Content-Security-Policy: default-src 'self'). Devices come from /api/devices and stay live
// over the /api/events WebSocket; a service worker keeps the last known state for when the
// hub is briefly unreachable. This module pairs, routes between screens and takes events.
import { renderAutomations, refreshAutomationsSoon } from "./automations.js";
import { $, TOKEN_KEY, api, clock, hooks, refreshPictures, state, toast } from "./core.js";
import { renderDevice, showEvent, showValue } from "./device.js";
import { renderHome, renderScenes, updateTile } from "./home.js";

// ---- pairing --------------------------------------------------------------------------------

function codeFromHash() {
  const match = location.hash.match(/pair=([A-Za-z0-9-]+)/);
  return match ? match[1] : null;
}

function showPairing() {
  stop();
  $("home").hidden = true;
  $("device").hidden = true;
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

function route() {
  const match = location.hash.match(/^#device=(.+)$/);
  const editing = location.hash === "#new-scene" || location.hash === "#new-automation";
  state.open = match && state.devices.has(decodeURIComponent(match[1])) ? decodeURIComponent(match[1]) : null;
  $("home").hidden = state.open !== null || editing;
  $("device").hidden = state.open === null;
  $("editor").hidden = !editing;
  if (editing) {  // the editors load when first opened, never with the home
    const editor = location.hash === "#new-scene"
      ? import("./scenes.js").then((m) => m.renderSceneEditor) : import("./automation-form.js").then((m) => m.renderAutomationForm);
    editor.then((render) => render()).catch((error) => toast(error.message));
  }
  else if (state.open) renderDevice();
  else { renderHome(); renderScenes().catch(() => {}); refreshAutomationsSoon(); return; }
  window.scrollTo(0, 0);
}

function go(hash) {
  history.pushState(null, "", hash);
  route();
}

hooks.open = (deviceId) => go(`#device=${encodeURIComponent(deviceId)}`);
hooks.newScene = () => go("#new-scene");
hooks.unauthorized = forget;
hooks.automationsChanged = refreshAutomationsSoon;  // an accepted suggestion made one
hooks.changed = (device, featureId) => { updateTile(device); if (featureId) showValue(device, featureId); };

async function loadDevices() {
  const { devices } = await api("GET", "/api/devices");
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
      if (state.open === device.id) showValue(device, event.feature);
      break;
    case "availability":
      if (!device) return;
      device.availability = event.availability;
      device.availability_since = event.at;
      device.availability_reason = event.reason;
      updateTile(device);
      if (state.open === device.id) renderDevice();
      break;
    case "event":
      showEvent(event);
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
    await renderAutomations().catch((error) => { if (error.status !== 503) throw error; });
    import("./suggestions.js").then((m) => m.renderSuggestions()).catch(() => {});  // the home works without it (offline)
    state.timers.push(setInterval(refreshPictures, 10000));
  } catch (error) { if (error.status !== 401) toast(error.message); }
}

function init() {
  $("pair-form").addEventListener("submit", pair);
  $("forget").addEventListener("click", forget);
  $("new-automation").addEventListener("click", () => go("#new-automation"));
  window.addEventListener("popstate", () => { if (state.token) route(); });
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  if (state.token && !codeFromHash()) start(); else showPairing();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
