"""The phone page with 100 devices: what it transfers and how soon it shows them (issue 12.7).

The API app serves an in-process home of 100 devices whose features come from the real model
data (a MIoT purifier, a legacy Yeelight and a camera from the bundled tables, a Zigbee
climate sensor from its z2m exposes), each with a value, in 10 rooms. Headless Chromium at
412x915 opens the page, paired.

1. Transfer: every byte the page's first load moves (document, scripts, styles, icons, the
   device list, scenes, automations; camera pictures counted apart), from Chromium's own
   network log (encoded body sizes), with the service worker blocked so nothing is answered
   from a cache. Also what all the page's static files weigh, as they are and gzipped (the hub
   serves them gzipped, as it does the device list; the editors load only when opened).
   Target: 150 kB gzipped.
2. Time to first render: navigation start to the tiles in the document (a performance mark
   the page sets after its first render), and first contentful paint; cold (a fresh browser
   context) and warm (a reload under the service worker). Median of ``--runs``, and the
   median of each cold load minus the floor load just before it (the same moment's load on
   a busy machine). Target: 300 ms. ``--latency 40`` adds 40 ms to every answer (Chromium's
   network emulation), as a phone on Wi-Fi sees, where each round of requests costs.

    .venv/bin/python bench/phone_page.py [--devices 100] [--runs 7] [--latency 40]

To measure an older page with this script, put the older tree first:
``PYTHONPATH=/path/to/old/checkout .venv/bin/python bench/phone_page.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import io
import statistics
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import playwright.async_api as playwright
from aiohttp import web
from PIL import Image

from hub.api.app import STATIC, WEB, create_app
from hub.api.auth import TokenAuth
from hub.api.context import ApiContext
from hub.bus import EventBus
from hub.devices.miio.catalog import profile
from hub.devices.miio.features import SNAPSHOT
from hub.devices.model import Device, Feature, FeatureKind, Protocol, Value
from hub.devices.mqtt.z2m_exposes import parse_exposes
from hub.devices.registry import DeviceRegistry
from hub.scenes.scenes import SceneManager
from hub.store import Store

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE: playwright.ViewportSize = {"width": 412, "height": 915}
MIIO = ["zhimi.airpurifier.mb3", "yeelink.light.color2", "chuangmi.camera.ipc019"]


def _value(feature: Feature, index: int) -> Value:
    if feature.kind in (FeatureKind.SWITCH, FeatureKind.BINARY_SENSOR):
        return index % 2 == 0
    if feature.choices:
        return feature.choices[index % len(feature.choices)]
    if feature.kind in (FeatureKind.NUMBER, FeatureKind.SENSOR):
        low, high = feature.minimum or 0, feature.maximum or 100
        return round(low + (high - low) * ((index * 37) % 100) / 100)
    return None


def _kinds() -> list[tuple[str, Protocol, dict[str, Feature]]]:
    from firmware_sim.mqtt import MODELS  # the simulator's z2m definition, as a bridge sends it

    kinds = [(m, Protocol.MIIO, dict(profile(m).new_dialect().features)) for m in MIIO]
    kinds[2][2]["snapshot"] = SNAPSHOT
    values, _ = parse_exposes(MODELS["WSDCGQ11LM"].definition()["exposes"], print)
    kinds.append(("WSDCGQ11LM", Protocol.ZIGBEE2MQTT, {k: v.feature for k, v in values.items()}))
    return kinds


def build_registry(count: int) -> DeviceRegistry:
    registry = DeviceRegistry(EventBus(), None)
    kinds = _kinds()
    for index in range(count):
        model, protocol, features = kinds[index % len(kinds)]
        device_id = f"dev-{index:03d}"
        room = f"Room {index % 10 + 1}"
        name = f"{model.split('.')[-1]} {index}"
        registry.add(Device(device_id, name, model, protocol, room=room, features=dict(features)))
        values = {f.id: _value(f, index) for f in features.values() if f.readable}
        registry.update(device_id, {k: v for k, v in values.items() if v is not None})
        registry.set_availability(device_id, True)
    return registry


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 180), (40, 60, 90)).save(out, "JPEG")
    return out.getvalue()


async def serve(store: Store, count: int) -> tuple[web.AppRunner, str, str]:
    registry = build_registry(count)
    auth = TokenAuth(store)
    picture = _jpeg()

    async def snapshot(device_id: str) -> bytes:
        return picture

    ctx = ApiContext(registry, registry.bus, auth, SceneManager(registry, store), None, snapshot)
    runner = web.AppRunner(create_app(ctx))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    token = await auth.issue("bench", ["read", "control"])
    return runner, f"http://127.0.0.1:{port}/", token


FLOOR_HTML = b"<!doctype html><script type=module src=/floor.js></script><p>floor"
FLOOR_JS = b"""fetch('/devices').then((r) => r.json()).then((d) => {
  document.body.append(String(d.devices.length)); performance.mark('mihub-rendered'); });"""


async def serve_floor(devices_json: bytes) -> tuple[web.AppRunner, str]:
    """The floor: a page that only fetches the same device list, from a bare aiohttp app."""
    bodies = {"/": (FLOOR_HTML, "text/html"), "/floor.js": (FLOOR_JS, "text/javascript"),
              "/devices": (devices_json, "application/json")}  # fmt: skip

    async def handle(request: web.Request) -> web.Response:
        if request.path not in bodies:
            raise web.HTTPNotFound()
        body, kind = bodies[request.path]
        response = web.Response(body=body, content_type=kind)
        response.enable_compression()
        return response

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/"


async def first_load(
    browser: Any, url: str, token: str, block: bool, latency: float = 0
) -> dict[str, float]:
    context = await browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                        service_workers="block" if block else "allow")  # fmt: skip
    await context.add_init_script(f"localStorage.setItem('mihub-token', {token!r})")
    page = await context.new_page()
    sizes: dict[str, int] = {}
    session = await context.new_cdp_session(page)
    await session.send("Network.enable")
    if latency:  # each request waits this long for its answer, as over Wi-Fi
        await session.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": latency, "downloadThroughput": -1,
            "uploadThroughput": -1})  # fmt: skip
    urls: dict[str, str] = {}

    def received(event: dict[str, Any]) -> None:
        urls[event["requestId"]] = event["response"]["url"]

    def finished(event: dict[str, Any]) -> None:
        sizes[urls.get(event["requestId"], "?")] = event["encodedDataLength"]

    session.on("Network.responseReceived", received)
    session.on("Network.loadingFinished", finished)
    result = await _timed(page, url)
    await page.wait_for_load_state("networkidle")
    result["bytes"] = sum(v for k, v in sizes.items() if "/snapshot" not in k)
    result["pictures"] = sum(v for k, v in sizes.items() if "/snapshot" in k)
    if not block:
        await page.evaluate("navigator.serviceWorker.ready")
        await page.reload()
        await page.wait_for_load_state("networkidle")
        warm = await _timed(page, None)
        result["warm_render"], result["warm_fcp"] = warm["render"], warm["fcp"]
    await context.close()
    return result


async def _timed(page: Any, url: str | None) -> dict[str, float]:
    if url is not None:
        await page.goto(url)
    render = await _entry(page, "mihub-rendered")
    fcp = await _entry(page, "first-contentful-paint")
    tiles = await page.evaluate("document.querySelectorAll('.tile').length")
    return {"render": render, "fcp": fcp, "tiles": tiles}


async def _entry(page: Any, name: str) -> float:
    """A performance entry's time, polled from here: the page's CSP forbids the string
    predicates of ``wait_for_function``."""
    script = f"(performance.getEntriesByName({name!r})[0] || {{}}).startTime ?? null"
    for _ in range(1000):
        found = await page.evaluate(script)
        if found is not None:
            return float(found)
        await asyncio.sleep(0.01)
    raise TimeoutError(f"no {name} in 10 s")


def static_sizes() -> tuple[int, int]:
    shell = [n for n in STATIC if not n.endswith(".png") and n != "sw.js"]
    raw = sum((WEB / n).stat().st_size for n in shell)
    packed = sum(len(gzip.compress((WEB / n).read_bytes(), 6)) for n in shell)
    return raw, packed


async def main(count: int, runs: int, latency: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with Store(Path(tmp) / "hub.db") as store:
            runner, url, token = await serve(store, count)
            async with aiohttp.ClientSession() as client:
                bearer = {"Authorization": f"Bearer {token}"}
                answer = await client.get(url + "api/devices", headers=bearer)
                devices_json = await answer.read()
            floor_runner, floor_url = await serve_floor(devices_json)
            try:
                async with playwright.async_playwright() as driver:
                    browser = await driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                    cold, warm, floor = [], [], []
                    for _ in range(runs):  # interleaved, so a busy moment hits all three
                        floor.append(await first_load(browser, floor_url, token, True, latency))
                        cold.append(await first_load(browser, url, token, True, latency))
                        warm.append(await first_load(browser, url, token, False, latency))
                    await browser.close()
            finally:
                await runner.cleanup()
                await floor_runner.cleanup()
    raw, packed = static_sizes()

    def med(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    print(f"devices: {count}, tiles rendered: {int(cold[0]['tiles'])}, runs: {runs}, "
          f"added latency: {latency:g} ms")  # fmt: skip
    print(f"first load on the wire: {med(cold, 'bytes') / 1000:.1f} kB "
          f"(+ camera pictures {med(cold, 'pictures') / 1000:.1f} kB)")  # fmt: skip
    print(f"all static files: {raw / 1000:.1f} kB, {packed / 1000:.1f} kB gzipped (as served)")
    low, high = min(r["render"] for r in cold), max(r["render"] for r in cold)
    print(f"cold: first render {med(cold, 'render'):.0f} ms (min {low:.0f}, max {high:.0f}),"
          f" first paint {med(cold, 'fcp'):.0f} ms")  # fmt: skip
    print(f"floor (a bare page fetching the same device list): {med(floor, 'render'):.0f} ms,"
          f" first paint {med(floor, 'fcp'):.0f} ms;"
          f" the device list is {len(devices_json) / 1000:.0f} kB before gzip")  # fmt: skip
    over = statistics.median(c["render"] - f["render"] for c, f in zip(cold, floor, strict=True))
    print(f"cold over the floor (median of interleaved pairs): {over:+.0f} ms")
    print(f"warm (service worker): first render {med(warm, 'warm_render'):.0f} ms,"
          f" first paint {med(warm, 'warm_fcp'):.0f} ms")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency", type=float, default=0,
                        help="ms added to every request's answer (Chromium's network "
                        "emulation), as a phone on Wi-Fi sees; 0: loopback as it is")  # fmt: skip
    args = parser.parse_args()
    asyncio.run(main(args.devices, args.runs, args.latency))
