"""The device screen's charts from the history API, and the page as an installable app: its
manifest and icons, and a service worker that shows the last known state when the hub is
briefly unreachable."""

from __future__ import annotations

import math
import re
import time

import playwright.async_api as playwright

from hub.bus import StateChanged
from tests.web.conftest import Browser, Home, Served, paired

expect = playwright.expect
HOUR = 3600


async def test_a_sensor_draws_a_line_and_a_switch_a_timeline(
    home: Home, served: Served, browser: Browser
) -> None:
    now = time.time()
    device, feature = home.sensor
    for minutes in range(24 * 60, 0, -10):  # a day of temperatures, every 10 minutes
        at = now - minutes * 60
        value = round(21 + 3 * math.sin(minutes / 180), 1)
        home.bus.publish(StateChanged(device, feature, value, at=at))
    for hours, on in ((20, True), (18, False), (6, True), (2, False)):
        home.bus.publish(StateChanged(home.light, home.switch, on, at=now - hours * HOUR))
    await served.recorder.flush(now)

    page = browser.page
    await paired(page, served, home)
    await page.get_by_role("button", name="open Thermometer").click()
    line = page.locator(f"#chart-{feature} polyline.line")
    await expect(line).to_have_count(1)
    points = (await line.get_attribute("points") or "").split()
    assert len(points) > 200  # 5-minute statistics over 24 h, no gaps
    label = await page.locator(f"#chart-{feature} svg").get_attribute("aria-label") or ""
    assert re.search(r"from 18(\.\d)? °C to 24 °C", label), label
    await browser.shot("chart")

    await page.get_by_role("tab", name="7 days").click()
    await expect(page.locator("#charts")).to_have_attribute("data-span", "7 days")
    await expect(page.locator(f"#chart-{feature} polyline.line")).to_have_count(1)

    await page.go_back()
    await page.get_by_role("button", name="open Reading lamp").click()
    bars = page.locator(f"#chart-{home.switch} rect.on")
    await expect(bars).to_have_count(2)
    label = await page.locator(f"#chart-{home.switch} svg").get_attribute("aria-label")
    assert label == "Power: on for 6.0 h", label
    assert not browser.errors(), browser.console


async def test_installable_and_the_last_known_state_when_the_hub_is_away(
    home: Home, served: Served, browser: Browser
) -> None:
    page = browser.page
    manifest = await (await page.request.get(served.url + "/manifest.webmanifest")).json()
    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        answer = await page.request.get(served.url + icon["src"])
        assert answer.ok, icon
        assert answer.headers["content-type"] == icon["type"], icon

    await paired(page, served, home)
    await page.evaluate("navigator.serviceWorker.ready")
    await page.reload()  # now under the worker, which keeps what it fetched
    await page.wait_for_selector("#status.live")
    assert await page.evaluate("!!navigator.serviceWorker.controller")
    home.registry.update(home.light, {home.switch: True})
    await expect(page.locator(f"#tile-{home.light}")).to_have_attribute("aria-pressed", "true")
    await page.reload()  # the worker keeps the device list as of this load
    await page.wait_for_selector("#status.live")

    await served.server.close()  # the hub goes away
    await page.reload()
    await expect(page.locator("#status")).to_contain_text("hub unreachable")
    tile = page.locator(f"#tile-{home.light}")
    await expect(tile).to_have_attribute("aria-pressed", "true")  # the last known state
    await expect(tile).to_be_disabled()  # nothing can be sent while the hub is away
    await browser.shot("unreachable")
