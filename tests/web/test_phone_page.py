"""The phone page in a real headless Chromium: pair, see the home, tap a switch, and watch the
device's state change and the device's changes arrive on the page.

Most checks run against the API tests' in-process home behind the registry's adapter
interface (fast, every feature kind). The last test runs the whole hub against the simulated
firmware: the page switches a simulated Yeelight over real miIO, and the simulator's own
state is what is checked.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import playwright.async_api as playwright
import pytest
from aiohttp.test_utils import TestServer
from PIL import Image, ImageDraw

from firmware_sim.fleet import DeviceConfig, Fleet
from hub.api.app import create_app
from hub.api.auth import TokenAuth, create_pairing_code
from hub.api.context import ApiContext
from hub.app import Hub
from hub.bus import EventBus
from hub.config import Config
from hub.devices.registry import DeviceRegistry
from hub.scenes.engine import AutomationEngine
from hub.scenes.scenes import SceneManager
from hub.store import Store
from tests.api.home import build_home
from tests.loopback import free_host
from tests.mqtt_broker import until
from tests.waiting import until_async

expect = playwright.expect
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
PHONE = {"width": 390, "height": 844}


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
    image = Image.new("RGB", (320, 240), (40, 60, 90))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 150, 280, 230), fill=(90, 120, 70))
    draw.ellipse((220, 30, 280, 90), fill=(250, 210, 80))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


@dataclass
class Served:
    url: str
    ctx: ApiContext
    engine: AutomationEngine
    snapshots: list[str] = field(default_factory=list)


@pytest.fixture
async def served(home: Home) -> AsyncIterator[Served]:
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

    ctx = ApiContext(home.registry, home.bus, TokenAuth(home.store), scenes, engine, snapshot,
                     ["Living room", "Hall"], "0.1.0")  # fmt: skip
    server = TestServer(create_app(ctx), host="127.0.0.1")
    await server.start_server()
    try:
        yield Served(str(server.make_url("")).rstrip("/"), ctx, engine, asked)
    finally:
        await server.close()
        await engine.stop()


@dataclass
class Browser:
    page: Any
    console: list[str]
    requests: list[str]
    shots: Path

    async def shot(self, name: str) -> None:
        await self.page.screenshot(path=str(self.shots / f"{name}.png"))


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
async def browser(shots: Path, profile: Path, chromium: Path) -> AsyncIterator[Browser]:
    async with playwright.async_playwright() as driver:
        context = await driver.chromium.launch_persistent_context(
            str(profile), executable_path=str(chromium), headless=True, args=FLAGS,
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
            color_scheme="light", locale="en-GB",
        )  # fmt: skip
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            console: list[str] = []
            requests: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            yield Browser(page, console, requests, shots)
        finally:
            await context.close()


async def test_pair_toggle_and_see_live_changes(
    home: Home, served: Served, browser: Browser
) -> None:
    page = browser.page
    await page.goto(served.url + "/")
    await page.wait_for_selector("#pairing:not([hidden])")
    await browser.shot("pairing")
    code = await create_pairing_code(home.store, ["read", "control", "admin"])
    await page.fill("#pair-code", code)
    await page.fill("#pair-name", "Test phone")
    await page.click("#pair-button")
    switch = page.locator(f"#f-{home.light}-{home.switch}")
    await switch.wait_for()
    await page.wait_for_selector("#status.live")
    assert await page.evaluate("localStorage.getItem('mihub-token')")  # kept for next time

    # a tap on the page changes the device
    assert home.registry.get(home.light).value(home.switch) is False
    await switch.click()
    await until(lambda: home.registry.get(home.light).value(home.switch) is True, 5)

    # a change at the device reaches the page, live
    device, feature = home.sensor
    home.registry.update(device, {feature: 23.5})
    await expect(page.locator(f"#f-{device}-{feature}")).to_have_text(re.compile(r"^23\.5"))
    home.registry.update(home.light, {home.switch: False})
    await expect(switch).not_to_be_checked()

    # the slider and the select are driven by the feature's range and choices
    slider = page.locator(f"#f-{home.light}-brightness")
    assert (await slider.get_attribute("min"), await slider.get_attribute("max")) == ("1", "100")
    await slider.evaluate("s => { s.value = 80; s.dispatchEvent(new Event('change')); }")
    await until(lambda: home.registry.get(home.light).value("brightness") == 80, 5)
    await page.select_option(f"#f-{home.light}-mode", "night")
    await until(lambda: home.registry.get(home.light).value("mode") == "night", 5)

    # the camera's snapshot is a real picture
    if home.camera:
        picture = page.locator(f"#f-{home.camera}-snapshot")
        await expect(picture).to_have_attribute("src", re.compile("^blob:"))
        await until_async(lambda: picture.evaluate("img => img.naturalWidth"), 320)
    await browser.shot("home")

    # scenes
    await page.click("#s-evening")
    await until(lambda: home.registry.get(home.light).value(home.switch) is True, 5)
    await page.wait_for_selector("#toast:not([hidden])")

    # automations: the enable switch and the last trace
    await page.locator("#automations-section").scroll_into_view_if_needed()
    enabled = page.get_by_role("switch", name="enable Lamp off at night")
    await enabled.click()
    await until(lambda: served.engine.get("night").enabled is False, 5)
    await page.get_by_role("button", name="run Lamp off at night").click()
    await until(lambda: home.registry.get(home.light).value(home.switch) is False, 5)
    await expect(page.locator("#a-night .trace")).to_have_text(re.compile("^done"))
    await browser.shot("automations")

    # nothing broke the Content-Security-Policy, and nothing came from elsewhere
    assert not [m for m in browser.console if "error" in m.lower()], browser.console
    assert all(u.startswith((served.url, "blob:", "data:")) for u in browser.requests), (
        browser.requests
    )


async def test_a_device_is_removed_from_the_page_after_a_confirm(
    home: Home, served: Served, browser: Browser
) -> None:
    """Issue 11.9: a replaced device can be removed from the phone, never by a slip."""
    device, _ = home.sensor
    await home.registry.set_secret(device, "token", "00112233445566778899aabbccddeeff")
    page = browser.page
    code = await create_pairing_code(home.store, ["read", "control", "admin"])
    await page.goto(f"{served.url}/#pair={code}")
    await page.click("#pair-button")
    remove = page.get_by_role("button", name=f"remove {home.registry.get(device).name}")
    await remove.wait_for()
    questions: list[str] = []

    async def answer(dialog: Any, accept: bool) -> None:
        questions.append(dialog.message)
        await (dialog.accept() if accept else dialog.dismiss())

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    await remove.click()
    await until(lambda: len(questions) == 1, 5)
    assert "comes back when the hub finds it again" in questions[0]
    assert device in home.registry.devices
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    await remove.click()
    await expect(page.locator(f"#d-{device}")).to_have_count(0)
    await expect(page.locator("#toast")).to_contain_text("removed")
    assert device not in home.registry.devices
    assert await home.store.get("secrets", device) is None
    assert not [m for m in browser.console if "error" in m.lower()], browser.console


async def test_a_pairing_link_fills_the_code_and_a_bad_code_says_why(
    home: Home, served: Served, browser: Browser
) -> None:
    page = browser.page
    await page.goto(served.url + "/#pair=ABCD-1234-EF56")
    await page.wait_for_selector("#pairing:not([hidden])")
    assert await page.input_value("#pair-code") == "ABCD-1234-EF56"
    await page.click("#pair-button")
    await expect(page.locator("#pair-error")).to_contain_text("unknown")
    assert await page.evaluate("localStorage.getItem('mihub-token')") is None


async def test_the_page_switches_a_simulated_light_over_miio(
    tmp_path: Path, browser: Browser
) -> None:
    configs = [DeviceConfig("yeelink.light.color2", free_host())]
    async with Fleet(configs) as fleet:
        sim = fleet.devices[0]
        light = f"miio-{sim.did}"
        config = Config.model_validate({
            "hub": {"id": "web", "data_dir": str(tmp_path)},
            "miio": {"bind": "127.0.0.1", "timeout": 0.5, "devices": [
                {"host": sim.host, "token": sim.token, "name": "Desk lamp", "room": "Study"}]},
            "api": {"host": "127.0.0.1", "port": 0},
            "rooms": ["Study"],
        })  # fmt: skip
        async with Hub(config) as hub:
            await until(lambda: light in hub.registry.devices
                        and hub.registry.get(light).availability == "online", 5)  # fmt: skip
            page = browser.page
            code = await hub.auth.create_pairing_code()
            await page.goto(f"{hub.api_url}#pair={code}")
            await page.click("#pair-button")
            switch = page.locator(f"#f-{light}-power")
            await switch.wait_for()
            await page.wait_for_selector("#status.live")

            was_on = sim.feature("power")  # legacy firmware: "on" / "off" on the wire
            await (expect(switch).to_be_checked() if was_on else expect(switch).not_to_be_checked())
            await switch.click()
            await until(lambda: sim.feature("power") is (not was_on), 5)  # the simulator itself
            await (expect(switch).not_to_be_checked() if was_on else expect(switch).to_be_checked())
            assert not [m for m in browser.console if "error" in m.lower()], browser.console
