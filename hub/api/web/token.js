// Devices the hub cannot talk to for want of their token: found with none ("needs a token"),
// or re-paired since ("token rejected"). Each shows the three ways to fix it: reset and
// provision, import a backup, or paste the token here. A pasted token is sent once, over the
// API, and never shown again: the field is a password field, emptied whatever the answer.
// Loaded only when some device needs it (home.js, device.js): most homes never do.
import { api, el, state, toast } from "./core.js";

const slug = (text) => String(text).replace(/[^A-Za-z0-9]+/g, "-");
const PROBLEM = { needs_token: "needs a token", token_rejected: "token rejected: re-enter it" };

// `mihub onboard` and friends as code, the rest as text (never innerHTML).
function words(text) {
  return text.split(/(`[^`]+`)/).map((part) => (part.startsWith("`") ? el("code", { text: part.slice(1, -1) }) : part));
}

function pasteForm(entry, onGiven) {
  const id = `token-${slug(entry.host)}`;
  const input = el("input", { id, type: "password", autocomplete: "off", spellcheck: "false", autocapitalize: "off",
    inputmode: "text", maxlength: "32", pattern: "[0-9A-Fa-f]{32}", required: true, placeholder: "0123456789abcdef…",
    title: "the device's token: 32 hex digits" });
  const error = el("p", { class: "error", id: `${id}-error`, role: "alert" });
  const button = el("button", { type: "submit", class: "primary", id: `${id}-use`, text: "Use this token" });
  const submit = async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    input.value = "";  // never kept on the page, whatever the hub answers
    error.textContent = "";
    button.disabled = true;
    try {
      await api("POST", "/api/onboarding/token", { host: entry.host, token });
      toast(`${entry.name || entry.host}: token accepted, connecting…`);
      await onGiven();
    } catch (failure) {
      error.textContent = failure.status === 403 ? "only an admin phone can give tokens" : failure.message;
    } finally {
      button.disabled = false;
    }
  };
  return el("form", { class: "token-form", autocomplete: "off", onsubmit: submit },
    el("label", { for: id, text: "Token: 32 hex digits, from the app or a backup" }), input, button, error);
}

/** The three ways to give ``entry`` (a waiting device) its token, as a list. */
export function waysFor(entry, ways, onGiven) {
  return el("ol", { class: "ways" }, ...ways.map((way) => el("li", { class: `way way-${way.id}` },
    el("strong", { text: way.title }),
    way.id === "paste" ? pasteForm(entry, onGiven) : el("p", { class: "muted" }, ...words(way.how)))));
}

// ---- on the home screen: devices the hub found but has no tile for ---------------------------

/** One card per waiting device, folded: its name and problem, unfolding to the ways. */
export function waitingCards(entries, ways, onGiven) {
  return entries.map((entry) => el("details", { class: "card waiting-device", id: `w-${slug(entry.host)}` },
    el("summary", {},
      el("span", { class: "tile-name", text: entry.name || `Device ${entry.did}` }),
      el("span", { class: "tile-state trouble", text: `${PROBLEM[entry.problem] || entry.problem} · ${entry.host}` })),
    waysFor(entry, ways, onGiven)));
}

// ---- on a device's screen: its token was rejected ----------------------------------------

export async function renderTokenHelp(device, node, onGiven) {
  const waiting = await api("GET", "/api/onboarding/devices");
  const entry = waiting.devices.find((d) => d.device_id === device.id);
  if (!entry || state.open !== device.id) { node.hidden = !entry; return; }
  node.replaceChildren(el("h3", { text: "Token rejected" }),
    el("p", { class: "muted", text: "The device answers, but not to the token the hub keeps: it was probably re-paired. Give the hub its new token:" }),
    waysFor(entry, waiting.ways, onGiven));
}
