// The device screen: its controls first (power, mode, levels, colour), then its history, then
// its settings, then diagnostics folded away. A device that cannot be reached says why, and
// its controls are disabled; one whose token is rejected shows the ways to give it the new one.
import { renderCharts } from "./chart.js";
import { $, api, byCategory, clock, command, el, formatValue, hexToInt, intToHex, isColour, picture, state, toast, trouble, valueOf } from "./core.js";

const ORDER = { switch: 0, choice: 1, number: 2, action: 3 };

export function widgetId(deviceId, featureId) { return `f-${deviceId}-${featureId}`; }

function control(device, feature) {
  const id = widgetId(device.id, feature.id);
  const value = valueOf(device, feature.id);
  const label = `${device.name} ${feature.name}`;
  const send = (v, widget) => command(device, { feature: feature.id, value: v }, widget);
  if (feature.writable) {
    if (isColour(feature)) {
      return el("input", { id, type: "color", class: "colour", value: intToHex(value), "aria-label": label,
        onchange: (e) => send(hexToInt(e.target.value), e.target) });
    }
    switch (feature.kind) {
      case "switch":
        return el("input", { id, type: "checkbox", role: "switch", class: "switch", checked: value === true,
          "aria-label": label, onchange: (e) => send(e.target.checked, e.target) });
      case "number": {
        const output = el("output", { for: id, id: `${id}-out`, text: formatValue(feature, value) });
        const warmth = /color_temp|colour_temp|^ct$/.test(feature.id) ? " warmth" : "";
        const slider = el("input", { id, type: "range", class: warmth.trim(), min: feature.min ?? 0, max: feature.max ?? 100,
          step: feature.step || "any", value: value ?? feature.min ?? 0, "aria-label": label,
          oninput: (e) => { output.textContent = formatValue(feature, Number(e.target.value)); },
          onchange: (e) => send(Number(e.target.value), e.target) });
        return el("span", { class: "slider" }, slider, output);
      }
      case "choice":
        return el("select", { id, "aria-label": label, onchange: (e) => send(e.target.value, e.target) },
          ...(feature.choices || []).map((c) => el("option", { value: c, selected: c === value, text: c.replace(/_/g, " ") })));
      case "text":  // sent when it is done: Enter, or leaving the field
        return el("input", { id, type: "text", class: "text-value", value: value ?? "", "aria-label": label,
          maxlength: feature.max ?? undefined, enterkeyhint: "send", autocomplete: "off",
          onchange: (e) => send(e.target.value, e.target),
          onkeydown: (e) => { if (e.key === "Enter") e.target.blur(); } });
      case "action":
        return el("button", { id, type: "button", class: "action", text: "Run", "aria-label": label,
          onclick: (e) => command(device, { action: feature.id }, e.target) });
      default:
        break;
    }
  }
  if (feature.kind === "event") return el("span", { id, class: "value muted", text: "–" });
  return el("span", { id, class: "value", text: formatValue(feature, value) });
}

function rows(device, features) {
  const shown = features.filter((f) => f.readable || f.kind === "action")
    .sort((a, b) => (a.id !== "power") - (b.id !== "power") || (ORDER[a.kind] ?? 9) - (ORDER[b.kind] ?? 9));
  return shown.map((feature) => {
    if (feature.kind === "image") return picture(device, feature);
    const widget = control(device, feature);
    const target = widget.id || widget.firstChild.id;
    return el("div", { class: `feature kind-${feature.kind}` }, el("label", { for: target, text: feature.name }), widget);
  });
}

export function renderDevice() {
  const device = state.devices.get(state.open);
  const screen = $("device");
  if (!device) { screen.replaceChildren(); return; }
  const problem = trouble(device);
  const frozen = Boolean(problem || state.cachedAt);  // nothing can be sent while the hub is away
  const controls = [...byCategory(device, "primary"), ...byCategory(device, "control")];
  const config = byCategory(device, "config");
  const diagnostic = byCategory(device, "diagnostic");
  const numeric = controls.some((f) => f.readable && !isColour(f) && (f.kind === "sensor" || f.kind === "number" || f.kind === "switch" || f.kind === "binary_sensor"));
  screen.replaceChildren(...[
    el("div", { class: "device-head" },
      el("button", { type: "button", class: "back", id: "back", "aria-label": "back to the rooms", text: "‹", onclick: () => history.back() }),
      el("div", {}, el("h2", { text: device.name }),
        el("p", { class: `where${problem ? " trouble" : ""}`, id: "device-status",
          text: [device.room, problem || (device.availability === "online" ? "online" : "not heard from yet")].filter(Boolean).join(" · ") }))),
    device.availability_problem === "token_rejected" && device.availability === "offline"
      ? el("section", { class: "card token-help", id: "token-help", "aria-live": "polite" }) : null,
    el("fieldset", { class: "card", id: "controls", disabled: frozen }, el("legend", { text: "Controls" }), ...rows(device, controls)),
    numeric ? el("section", { class: "card charts", id: "charts" }) : null,
    config.length ? el("fieldset", { class: "card", id: "config", disabled: frozen }, el("legend", { text: "Settings" }), ...rows(device, config)) : null,
    diagnostic.length ? el("details", { class: "card", id: "diagnostics" }, el("summary", { text: "Diagnostics" }), ...rows(device, diagnostic)) : null,
    el("p", { class: "muted small", text: `${device.model} · ${device.hub ? `on hub ${device.hub}` : device.protocol}${device.manufacturer ? ` · ${device.manufacturer}` : ""}` }),
    el("button", { type: "button", class: "link remove", id: `r-${device.id}`, "aria-label": `remove ${device.name}`,
      text: "Remove this device", onclick: () => removeDevice(device) }),
  ].filter(Boolean));
  if (numeric) renderCharts(device, $("charts"), controls);
  const help = $("token-help");
  if (help) {  // the three ways to give it its new token
    import("./token.js").then((m) => m.renderTokenHelp(device, help, async () => {})).catch((error) => toast(error.message));
  }
}

export function showValue(device, featureId) {
  const feature = device.features.find((f) => f.id === featureId);
  const widget = $(widgetId(device.id, featureId));
  if (!feature || !widget) return;
  const value = valueOf(device, featureId);
  const focused = document.activeElement === widget;
  if (widget.type === "checkbox") widget.checked = value === true;
  else if (widget.type === "color") { if (!focused) widget.value = intToHex(value); }
  else if (widget.tagName === "SELECT") { if (!focused) widget.value = value; }
  else if (widget.type === "text") { if (!focused) widget.value = value ?? ""; }
  else if (widget.type === "range") {
    if (!focused) widget.value = value;
    const out = $(`${widget.id}-out`);
    if (out) out.textContent = formatValue(feature, value);
  } else if (widget.tagName === "SPAN") widget.textContent = formatValue(feature, value);
}

export function showEvent(event) {
  const widget = $(widgetId(event.device, event.event));
  if (widget) widget.textContent = `${event.event} · ${clock(event.at)}`;
}

// A replaced or sold device: forget it with its state and token (admin tokens only).
async function removeDevice(device) {
  const question = `Remove ${device.name}? Its state and token are deleted. ` +
    "If it is still on the network, it comes back when the hub finds it again.";
  if (!confirm(question)) return;
  try {
    await api("DELETE", `/api/devices/${encodeURIComponent(device.id)}`);
    state.devices.delete(device.id);
    toast(`${device.name} removed`);
    history.back();
  } catch (error) { toast(`${device.name}: ${error.message}`); }
}
