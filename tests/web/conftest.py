"""The phone page's fixtures: an in-process home behind the registry's adapter interface,
served by the real API app with a real history recorder, and a real headless Chromium at phone
size (412x915) whose screenshots can refresh docs/screenshots."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import playwright.async_api as playwright
import pytest
from aiohttp.test_utils import TestServer
from PIL import Image, ImageDraw

from hub.api.app import create_app
from hub.api.auth import TokenAuth, create_pairing_code
from hub.api.context import ApiContext
from hub.bus import EventBus
from hub.devices.registry import DeviceRegistry
from hub.history import HistoryDatabase, HistoryRecorder
from hub.history.queries import HistoryReader
from hub.scenes.engine import AutomationEngine
from hub.scenes.scenes import SceneManager
from hub.store import Store
from tests.api.home import build_home

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PHONE: playwright.ViewportSize = {"width": 412, "height": 915}
NARROW: playwright.ViewportSize = {"width": 360, "height": 780}


@dataclass
class Home:
    """What the page test needs from a home: its registry, and a light to switch."""

    bus: EventBus
    registry: DeviceRegistry
    store: Store
    light: str
    switch: str = "power"
    sensor: tuple[str, str] = ("thermo", "temperature")
    camera: str | None = "camera"


@pytest.fixture
async def home(tmp_path: Path) -> AsyncIterator[Home]:
    """The swap point: a home of in-process devices behind the registry's adapter interface."""
    async with Store(tmp_path / "hub.db") as store:
        bus = EventBus()
        registry, _ = build_home(bus, store)
        await registry.rename("lamp", "Reading lamp", "Living room")
        await registry.rename("thermo", "Thermometer", "Living room")
        yield Home(bus, registry, store, light="lamp")
        registry.close()


def _jpeg() -> bytes:
    image = Image.new("RGB", (320, 180), (40, 60, 90))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 110, 280, 170), fill=(90, 120, 70))
    draw.ellipse((220, 20, 280, 80), fill=(250, 210, 80))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


@dataclass
class Served:
    url: str
    ctx: ApiContext
    engine: AutomationEngine
    recorder: HistoryRecorder
    server: TestServer
    snapshots: list[str] = field(default_factory=list)


@pytest.fixture
async def served(home: Home, tmp_path: Path) -> AsyncIterator[Served]:
    scenes = SceneManager(home.registry, home.store)
    engine = AutomationEngine(home.registry, home.bus, home.store, scenes=scenes)
    await engine.start()
    await scenes.create({"id": "evening", "name": "Evening", "targets": [
        {"device": home.light, "feature": home.switch, "value": True}]})  # fmt: skip
    await scenes.create({"id": "all-off", "name": "All off", "targets": [
        {"device": home.light, "feature": home.switch, "value": False}]})  # fmt: skip
    await engine.create({
        "id": "night", "alias": "Lamp off at night",
        "trigger": [{"platform": "time", "at": "23:30:00"}],
        "action": [{"action": "set", "device": home.light, "feature": home.switch,
                    "value": False}]})  # fmt: skip
    image = _jpeg()
    asked: list[str] = []

    async def snapshot(device_id: str) -> bytes:
        asked.append(device_id)
        return image

    database = HistoryDatabase(tmp_path / "history.db")
    recorder = HistoryRecorder(home.bus, database, commit_interval=0.2)
    await recorder.start()
    ctx = ApiContext(home.registry, home.bus, TokenAuth(home.store), scenes, engine, snapshot,
                     ["Living room", "Hall"], "0.1.0", history=HistoryReader(database))  # fmt: skip
    server = TestServer(create_app(ctx), host="127.0.0.1")
    await server.start_server()
    try:
        yield Served(str(server.make_url("")).rstrip("/"), ctx, engine, recorder, server, asked)
    finally:
        await server.close()
        await engine.stop()
        await recorder.stop()


@dataclass
class Browser:
    context: Any
    page: Any
    console: list[str]
    requests: list[str]
    shots: Path

    async def shot(self, name: str, full_page: bool = False) -> None:
        await self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=full_page)

    def errors(self) -> list[str]:
        return [m for m in self.console if "error" in m.lower()]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: MIHUB_SCREENSHOTS=docs/screenshots refreshes the docs' ones."""
    folder = Path(os.environ.get("MIHUB_SCREENSHOTS", tmp_path / "shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Path]:
    """A fresh user-data-dir for each test."""
    folder = tmp_path / "profile"
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def chromium() -> Path:
    """`make test` installs Debian's chromium; without it this is a failure, never a skip."""
    assert CHROMIUM.exists(), (
        f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)"
    )
    return CHROMIUM


@pytest.fixture
def viewport() -> playwright.ViewportSize:
    return PHONE


Scheme = Literal["light", "dark"]


@pytest.fixture
def scheme() -> Scheme:
    return "light"


@pytest.fixture
async def browser(
    shots: Path, profile: Path, chromium: Path, viewport: playwright.ViewportSize, scheme: Scheme
) -> AsyncIterator[Browser]:
    async with playwright.async_playwright() as driver:
        context = await driver.chromium.launch_persistent_context(
            str(profile), executable_path=str(chromium), headless=True, args=FLAGS,
            viewport=viewport, device_scale_factor=2, is_mobile=True, has_touch=True,
            color_scheme=scheme, locale="en-GB",
        )  # fmt: skip
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            console: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            yield Browser(context, page, console, requests, shots)
        finally:
            await context.close()


async def paired(page: Any, served: Served, home: Home) -> None:
    """Open the page with a pairing link and wait until it is live."""
    code = await create_pairing_code(home.store, ["read", "control", "admin"])
    await page.goto(f"{served.url}/#pair={code}")
    await page.click("#pair-button")
    await page.wait_for_selector("#status.live")
