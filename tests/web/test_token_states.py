"""Honest device states on the phone page (issues 12.4 and 13.3), with the whole hub against
simulated firmware over real miIO, in Chromium at 412x915: a device found without a token
says "needs a token" and gets one pasted on the page; a re-paired one says "token rejected"
and gets its new one on its screen; an unplugged one says since when it is offline, its toggle
is disabled, and a scene that tries it shows the hub's refusal. Tokens are never shown back
or logged."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import playwright.async_api as playwright
import pytest

from firmware_sim.miio.device import DeviceConfig, SimulatedDevice
from hub.app import Hub
from hub.bus import EventBus
from hub.config import Config
from hub.devices.registry import DeviceRegistry
from hub.store import Store
from tests.loopback import free_hosts
from tests.waiting import until
from tests.web.conftest import Browser

expect = playwright.expect
MODEL = "yeelink.light.color2"


@asynccontextmanager
async def running(tmp_path: Path, miio: dict[str, Any]) -> AsyncIterator[Hub]:
    config = Config.model_validate({
        "hub": {"id": "web", "data_dir": str(tmp_path)},
        "api": {"host": "127.0.0.1", "port": 0},
        "miio": {"bind": "127.0.0.1", "timeout": 0.3, "deadline": 1.5, **miio},
    })  # fmt: skip
    async with Hub(config) as hub:
        yield hub


async def open_page(hub: Hub, browser: Browser) -> Any:
    page = browser.page
    code = await hub.auth.create_pairing_code()
    await page.goto(f"{hub.api_url}#pair={code}")
    await page.click("#pair-button")
    await page.wait_for_selector("#status.live")
    return page


def online(hub: Hub, device_id: str) -> bool:
    device = hub.registry.devices.get(device_id)
    return device is not None and device.availability == "online"


async def toggles_the_lamp(page: Any, lamp: SimulatedDevice) -> None:
    """A tap on the tile switches the simulated lamp itself."""
    tile = page.locator(f"#tile-miio-{lamp.did}")
    await expect(tile).to_be_enabled()
    was_on = lamp.feature("power")
    await expect(tile).to_have_attribute("aria-pressed", "true" if was_on else "false")
    await tile.click()
    await until(lambda: lamp.feature("power") is (not was_on), 10)


async def test_a_device_without_a_token_gets_one_pasted_on_the_page(
    tmp_path: Path, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    (host,) = free_hosts(1)
    discovery = {"discovery": {"hosts": [host], "interval": 0.5}}
    async with (
        SimulatedDevice(DeviceConfig(MODEL, host)) as lamp,
        running(tmp_path, discovery) as hub,
    ):
        await until(lambda: host in hub.miio.needs_token, 15)
        page = await open_page(hub, browser)
        card = page.locator(f"#w-{host.replace('.', '-')}")
        await expect(card).to_contain_text("needs a token")
        await card.locator("summary").click()
        ways = card.locator(".way")
        await expect(ways).to_have_count(3)
        await expect(ways.nth(0)).to_contain_text("mihub onboard")
        await expect(ways.nth(1)).to_contain_text("mihub import-tokens")
        field = card.locator("input[type=password]")
        await field.fill(lamp.token)
        await browser.shot("token-needed")
        await card.get_by_role("button", name="Use this token").click()

        await expect(page.locator(f"#tile-miio-{lamp.did}")).to_be_visible(timeout=15000)
        await expect(card).to_have_count(0)  # no longer waiting
        await until(lambda: online(hub, f"miio-{lamp.did}"), 15)
        await toggles_the_lamp(page, lamp)
        assert lamp.token not in await page.content(), "a pasted token is never shown back"
        assert not browser.errors(), browser.console
    assert lamp.token not in caplog.text, "nor logged"


async def test_a_re_paired_device_says_token_rejected_and_takes_its_new_token(
    tmp_path: Path, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    (host,) = free_hosts(1)
    lamp = SimulatedDevice(DeviceConfig(MODEL, host))
    device_id = f"miio-{lamp.did}"
    async with Store(tmp_path / "mihub.db") as store:  # onboarded before, its token kept
        await DeviceRegistry(EventBus(), store).set_secret(device_id, "token", lamp.token)
    discovery = {"discovery": {"hosts": [host], "interval": 0}}
    async with lamp, running(tmp_path, discovery) as hub:
        await until(lambda: online(hub, device_id), 15)
        name = hub.registry.get(device_id).name
        page = await open_page(hub, browser)
        tile = page.locator(f"#tile-{device_id}")
        await expect(tile).to_be_enabled()

        new_token = lamp.change_token()  # re-paired in the Mi Home app
        await expect(page.locator(f"#d-{device_id} .tile-state")).to_have_text(
            "token rejected: re-enter it", timeout=60000
        )
        await expect(tile).to_be_disabled()
        await page.get_by_role("button", name=f"open {name}").click()
        await expect(page.locator("#device-status")).to_contain_text("token rejected")
        help_card = page.locator("#token-help")
        await expect(help_card).to_contain_text("Token rejected")
        await expect(help_card.locator(".way")).to_have_count(3)
        await expect(page.locator(f"#f-{device_id}-power")).to_be_disabled()
        await browser.shot("token-rejected")

        await help_card.locator("input[type=password]").fill(new_token)
        await help_card.get_by_role("button", name="Use this token").click()
        await expect(page.locator("#device-status")).to_contain_text("online", timeout=15000)
        await page.locator("#back").click()
        await toggles_the_lamp(page, lamp)
        assert new_token not in await page.content()
        assert not browser.errors(), browser.console
    assert new_token not in caplog.text


async def test_an_offline_tile_says_since_when_and_a_scene_shows_the_refusal(
    tmp_path: Path, browser: Browser
) -> None:
    (host,) = free_hosts(1)
    lamp = SimulatedDevice(DeviceConfig(MODEL, host))
    devices = {"devices": [{"host": host, "token": lamp.token, "name": "Desk lamp"}]}
    async with lamp, running(tmp_path, devices) as hub:
        device_id = f"miio-{lamp.did}"
        await until(lambda: online(hub, device_id), 15)
        await hub.scenes.create({"id": "evening", "name": "Evening", "targets": [
            {"device": device_id, "feature": "power", "value": True}]})  # fmt: skip
        page = await open_page(hub, browser)
        tile = page.locator(f"#tile-{device_id}")
        await expect(tile).to_be_enabled()

        lamp.faults.offline = True  # unplugged
        await expect(page.locator(f"#d-{device_id} .tile-state")).to_have_text(
            re.compile(r"^offline since \d\d:\d\d$"), timeout=30000
        )
        await expect(tile).to_be_disabled()
        sent = lamp.server.received["set_power"]
        await page.locator("#s-evening").click()
        toast = page.locator("#toast")
        await expect(toast).to_contain_text(re.compile(r"Desk lamp offline since \d\d:\d\d:\d\d"))
        await expect(toast).to_contain_text("nothing was sent")
        assert lamp.server.received["set_power"] == sent, "the refused command reached nothing"
        await browser.shot("offline-tile")
        assert not browser.errors(), browser.console
