"""The whole hub against the simulated firmware, driven from the phone page: a tile's tap and
the colour picker change the simulated Yeelight's own state over real miIO."""

from __future__ import annotations

import re
from pathlib import Path

import playwright.async_api as playwright

from firmware_sim.fleet import DeviceConfig, Fleet
from hub.app import Hub
from hub.config import Config
from hub.demo import HOME, demo_home
from tests.loopback import free_host, free_hosts
from tests.mqtt_broker import until
from tests.waiting import until_async
from tests.web.conftest import PHONE, Browser

expect = playwright.expect


async def test_a_tile_and_the_colour_picker_change_a_simulated_bulb(
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
            tile = page.locator(f"#tile-{light}")
            await tile.wait_for()
            await page.wait_for_selector("#status.live")

            # a tap on the tile: the simulator itself changes
            was_on = sim.feature("power")  # legacy firmware: "on" / "off" on the wire
            pressed = "true" if was_on else "false"
            await expect(tile).to_have_attribute("aria-pressed", pressed)
            await tile.click()
            await until(lambda: sim.feature("power") is (not was_on), 5)
            unpressed = "false" if was_on else "true"
            await expect(tile).to_have_attribute("aria-pressed", unpressed)

            # the colour picker: an <input type=color>, sent as the bulb's integer
            await page.get_by_role("button", name="open Desk lamp").click()
            picker = page.locator(f"#f-{light}-rgb")
            await expect(picker).to_have_attribute("type", "color")
            await expect(picker).to_have_value(f"#{sim.feature('rgb'):06x}")
            await picker.evaluate(
                "p => { p.value = '#00c060'; p.dispatchEvent(new Event('change')); }"
            )
            await until(lambda: sim.feature("rgb") == 0x00C060, 5)
            await expect(page.locator("#device-status")).to_contain_text("online")
            await browser.shot("colour")
            assert not browser.errors(), browser.console


async def test_the_demo_home_fits_in_two_screens(tmp_path: Path, browser: Browser) -> None:
    """Issue 12: with the demo's 17 devices, the home screen is at most two screens high."""
    first_host = free_hosts(len(HOME))[0]
    async with demo_home(tmp_path, port=0, first_host=first_host, speed=0.001) as demo:
        hub = demo.hub
        await until(lambda: len(hub.registry.devices) >= 17, 15)
        await until(lambda: len(hub.miio.online()) == len(demo.fleet.devices), 15)
        page = browser.page
        code = await hub.auth.create_pairing_code()
        await page.goto(f"{hub.api_url}#pair={code}")
        await page.click("#pair-button")
        await page.wait_for_selector("#status.live")
        await expect(page.locator(".tile")).to_have_count(len(hub.registry.devices))
        await expect(page.locator(".tile-state", has_text="PM2.5")).to_have_count(3)
        air = page.locator("#air-living-room")
        await expect(air).to_contain_text("PM2.5")
        await expect(air).to_have_class(re.compile(r"\b(good|moderate|poor)\b"))
        await until_async(lambda: page.locator("img.snapshot[src^=blob]").count(), 2)
        height = await page.evaluate("document.documentElement.scrollHeight")
        screens = height / PHONE["height"]
        print(f"demo home: {len(hub.registry.devices)} devices, {height} px, {screens:.2f} screens")
        assert screens <= 2, f"{height} px is {screens:.2f} screens"
        await browser.shot("demo-home", full_page=True)
        purifier = next(d for d in hub.registry.devices.values() if "purifier" in d.model)
        await page.get_by_role("button", name=f"open {purifier.name}").click()
        await expect(page.locator(f"#f-{purifier.id}-mode")).to_be_visible()
        await browser.shot("demo-purifier", full_page=True)
        assert not browser.errors(), browser.console
