"""The whole hub against the simulated firmware, driven from the phone page: a tile's tap and
the colour picker change the simulated Yeelight's own state over real miIO."""

from __future__ import annotations

from pathlib import Path

import playwright.async_api as playwright

from firmware_sim.fleet import DeviceConfig, Fleet
from hub.app import Hub
from hub.config import Config
from tests.loopback import free_host
from tests.mqtt_broker import until
from tests.web.conftest import Browser

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
