// The phone page's service worker: the page's own files and the last known device list, for
// when the hub is briefly unreachable. Always the network first, so a reachable hub is never
// stale; the cache only answers when the network does not (a cached answer says so in a
// header, and the page shows "hub unreachable").
const SHELL_CACHE = "mihub-shell-v5";
const STATE_CACHE = "mihub-state";
const SHELL = ["/", "/boot.js", "/app.js", "/core.js", "/home.js", "/device.js", "/chart.js", "/automations.js", "/scenes.js", "/automation-form.js",
  "/editors.js", "/trace.js", "/yaml.js", "/suggestions.js", "/token.js", "/style.css", "/icon.svg", "/icon-192.png",
  "/icon-512.png", "/manifest.webmanifest"];
const STATE = ["/api/devices", "/api/scenes", "/api/automations"];
const PATIENCE = 5000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== SHELL_CACHE && k !== STATE_CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function patient(request) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the hub is slow")), PATIENCE);
    fetch(request).then((r) => { clearTimeout(timer); resolve(r); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

async function networkFirst(request, cacheName) {
  const cache = await caches.open(cacheName);
  try {
    const response = await patient(request);
    if (response.ok) cache.put(request.url, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(request.url);
    if (!cached) throw error;
    const headers = new Headers(cached.headers);
    const at = Date.parse(cached.headers.get("Date") || "") || Date.now();
    headers.set("X-Mihub-Cached", String(at / 1000));  // when the hub said this
    return new Response(await cached.blob(), { status: cached.status, headers });
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const path = url.pathname === "/index.html" ? "/" : url.pathname;
  if (STATE.includes(path) && !url.search) event.respondWith(networkFirst(event.request, STATE_CACHE));
  else if (SHELL.includes(path)) event.respondWith(networkFirst(event.request, SHELL_CACHE));
});
