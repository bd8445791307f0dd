// Charts on the device screen, drawn as inline SVG from the history API (no library): a line
// (mean, with a min-max band) for each numeric feature and an on/off timeline for switches.
import { api, el, formatValue, isColour } from "./core.js";

const SPANS = [["24 h", 86400, "5min"], ["7 days", 7 * 86400, "hour"], ["30 days", 30 * 86400, "day"]];
const W = 320;
const H = 110;
const LEFT = 40;
const BOTTOM = 16;
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

function when(seconds, span) {
  const at = new Date(seconds * 1000);
  return span > 86400 ? at.toLocaleDateString([], { day: "numeric", month: "short" })
    : at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

async function history(device, feature, resolution, start, end) {
  const query = new URLSearchParams({ feature: feature.id, resolution, start: String(start), end: String(end), limit: "1000" });
  const { items } = await api("GET", `/api/devices/${encodeURIComponent(device.id)}/history?${query}`);
  return items;
}

export function lineChart(feature, items, start, end, step) {
  const label = `${feature.name} over the last ${Math.round((end - start) / 3600)} h`;
  const low = Math.min(...items.map((i) => i.min));
  const high = Math.max(...items.map((i) => i.max));
  const pad = high === low ? 1 : (high - low) * 0.08;
  const [y0, y1] = [low - pad, high + pad];
  const x = (t) => (LEFT + ((t - start) / (end - start)) * (W - LEFT - 4)).toFixed(1);
  const y = (v) => (4 + (1 - (v - y0) / (y1 - y0)) * (H - BOTTOM - 8)).toFixed(1);
  const runs = [[]];
  items.forEach((item, i) => {
    if (i && item.start - items[i - 1].start > 2 * step) runs.push([]);
    runs[runs.length - 1].push(item);
  });
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart line-chart", role: "img",
    "aria-label": `${label}: from ${formatValue(feature, low)} to ${formatValue(feature, high)}` });
  for (const run of runs) {
    const mid = (i) => i.start + step / 2;
    const band = [...run.map((i) => `${x(mid(i))},${y(i.max)}`), ...run.slice().reverse().map((i) => `${x(mid(i))},${y(i.min)}`)];
    chart.append(svg("polygon", { class: "band", points: band.join(" ") }),
      svg("polyline", { class: "line", points: run.map((i) => `${x(mid(i))},${y(i.mean)}`).join(" ") }));
  }
  chart.append(
    svg("line", { class: "axis", x1: LEFT, x2: W, y1: H - BOTTOM, y2: H - BOTTOM }),
    svg("text", { x: LEFT - 4, y: 12, class: "tick end" }, formatValue(feature, high)),
    svg("text", { x: LEFT - 4, y: H - BOTTOM - 2, class: "tick end" }, formatValue(feature, low)),
    svg("text", { x: LEFT, y: H - 3, class: "tick" }, when(start, end - start)),
    svg("text", { x: W - 2, y: H - 3, class: "tick end" }, "now"));
  return chart;
}

export function timeline(feature, items, start, end) {
  const changes = items.filter((i) => i.kind === "state").sort((a, b) => a.at - b.at);
  const x = (t) => (LEFT + ((t - start) / (end - start)) * (W - LEFT - 4));
  const chart = svg("svg", { viewBox: `0 0 ${W} 44`, class: "chart timeline", role: "img" });
  let onFor = 0;
  changes.forEach((change, i) => {
    const until = i + 1 < changes.length ? changes[i + 1].at : end;
    if (change.value) onFor += until - change.at;
    chart.append(svg("rect", { class: change.value ? "on" : "off", x: x(change.at).toFixed(1), y: 4,
      width: Math.max(0.5, x(until) - x(change.at)).toFixed(1), height: 18 }));
  });
  const hours = onFor / 3600;
  const said = changes.length ? `on for ${hours < 1 ? `${Math.round(hours * 60)} min` : `${hours.toFixed(1)} h`}` : "no changes recorded";
  chart.setAttribute("aria-label", `${feature.name}: ${said}`);
  chart.prepend(svg("rect", { class: "unknown", x: LEFT, y: 4, width: W - LEFT - 4, height: 18 }));
  chart.append(svg("text", { x: 0, y: 17, class: "tick" }, feature.name.slice(0, 7)),
    svg("text", { x: LEFT, y: 40, class: "tick" }, when(start, end - start)),
    svg("text", { x: W - 2, y: 40, class: "tick end" }, said));
  return chart;
}

export async function renderCharts(device, container, features, chosen = 0) {
  const [name, span, resolution] = SPANS[chosen];
  const end = Math.floor(Date.now() / 1000);
  const start = end - span;
  const step = { "5min": 300, hour: 3600, day: 86400 }[resolution];
  const numeric = features.filter((f) => f.readable && !isColour(f) && ["sensor", "number"].includes(f.kind)
    && typeof (device.state[f.id] || {}).value === "number");
  const onoff = features.filter((f) => f.readable && ["switch", "binary_sensor"].includes(f.kind));
  const picker = el("div", { class: "spans", role: "tablist", "aria-label": "chart span" }, ...SPANS.map(([text], i) =>
    el("button", { type: "button", role: "tab", class: "tab", "aria-selected": String(i === chosen), text,
      onclick: () => renderCharts(device, container, features, i) })));
  container.replaceChildren(el("h3", { text: "History" }), picker);
  try {
    const series = await Promise.all(numeric.map((f) => history(device, f, resolution, start, end)));
    const lines = numeric.flatMap((f, i) => (series[i].length ? [el("figure", { class: "figure", id: `chart-${f.id}` },
      el("figcaption", { text: `${f.name}${f.unit ? ` (${f.unit})` : ""}` }), lineChart(f, series[i], start, end, step))] : []));
    const empty = numeric.filter((f, i) => !series[i].length).map((f) => f.name);
    if (empty.length) lines.push(el("p", { class: "muted small", text: `Not recorded in this span yet: ${empty.join(", ")}` }));
    const bars = await Promise.all(onoff.map(async (f) => el("figure", { class: "figure", id: `chart-${f.id}` },
      timeline(f, await history(device, f, "raw", start, end), start, end))));
    container.append(...lines, ...bars);
  } catch (error) {
    container.append(el("p", { class: "muted", text: error.status === 503 ? "History is off on this hub." : `No history: ${error.message}` }));
  }
  container.dataset.span = name;
}
