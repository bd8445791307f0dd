"""The phone page in a real headless Chromium at phone size: pair, rooms as tabs, a tile
toggled by a tap, the device screen's controls, live changes, scenes and automations.

These run against the in-process home of tests/web/conftest.py; test_simulated.py runs the
whole hub against the simulated firmware.
"""

from __future__ import annotations

import re

import playwright.async_api as playwright
import pytest

from hub.api.auth import create_pairing_code
from hub.devices.model import Device, Feature, FeatureKind, Protocol
from hub.errors import DeviceAuthError
from tests.mqtt_broker import until
from tests.waiting import until_async
from tests.web.conftest import NARROW, Browser, Home, Served, paired

expect = playwright.expect


async def test_pair_tabs_tiles_and_live_changes(
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
    tile = page.locator(f"#tile-{home.light}")
    await tile.wait_for()
    await page.wait_for_selector("#status.live")
    assert await page.evaluate("localStorage.getItem('mihub-token')")  # kept for next time

    # rooms are tabs; a tab shows only its room
    tabs = page.get_by_role("tab")
    await expect(tabs).to_have_text(["All", "Hall", "Living room", "Other"])
    await page.get_by_role("tab", name="Hall", exact=True).click()
    await expect(page.locator(".tile")).to_have_count(1)
    await expect(page.locator(f"#d-{home.camera}")).to_be_visible()
    await page.get_by_role("tab", name="All", exact=True).click()
    await expect(page.locator(".tile")).to_have_count(4)

    # a tap on a tile toggles the device
    assert home.registry.get(home.light).value(home.switch) is False
    await expect(tile).to_have_attribute("aria-pressed", "false")
    await tile.click()
    await until(lambda: home.registry.get(home.light).value(home.switch) is True, 5)
    await expect(tile).to_have_attribute("aria-pressed", "true")
    await expect(page.locator(f"#d-{home.light}")).to_have_class(re.compile(r"\bon\b"))

    # a change at the device reaches the tile and the room's air summary, live
    device, feature = home.sensor
    home.registry.update(device, {feature: 23.5})
    await expect(page.locator(f"#tile-{device} .tile-state")).to_contain_text("23.5 °C")
    await expect(page.locator("#air-living-room")).to_contain_text("23.5 °C")
    home.registry.update(home.light, {home.switch: False})
    await expect(tile).to_have_attribute("aria-pressed", "false")

    # the camera's tile shows its picture
    if home.camera:
        picture = page.locator(f"#d-{home.camera} img.snapshot")
        await expect(picture).to_have_attribute("src", re.compile("^blob:"))
        await until_async(lambda: picture.evaluate("img => img.naturalWidth"), 320)
    await browser.shot("home")

    # the device screen: controls driven by the feature's kind, range and choices
    await page.get_by_role("button", name="open Reading lamp").click()
    switch = page.locator(f"#f-{home.light}-{home.switch}")
    await expect(switch).not_to_be_checked()
    await switch.click()
    await until(lambda: home.registry.get(home.light).value(home.switch) is True, 5)
    slider = page.locator(f"#f-{home.light}-brightness")
    assert (await slider.get_attribute("min"), await slider.get_attribute("max")) == ("1", "100")
    await slider.evaluate("s => { s.value = 80; s.dispatchEvent(new Event('change')); }")
    await until(lambda: home.registry.get(home.light).value("brightness") == 80, 5)
    await page.select_option(f"#f-{home.light}-mode", "night")
    await until(lambda: home.registry.get(home.light).value("mode") == "night", 5)
    home.registry.update(home.light, {"brightness": 35})
    await expect(page.locator(f"#f-{home.light}-brightness-out")).to_have_text("35 %")
    await browser.shot("device")
    await page.go_back()  # the phone's back button returns to the rooms
    await expect(tile).to_be_visible()

    # scenes
    home.registry.update(home.light, {home.switch: False})
    await page.click("#s-evening")
    await until(lambda: home.registry.get(home.light).value(home.switch) is True, 5)
    await page.wait_for_selector("#toast:not([hidden])")

    # automations: the enable switch and the last trace
    await page.locator("#automations-section > summary").click()  # folded away on the home
    enabled = page.get_by_role("switch", name="enable Lamp off at night")
    await enabled.click()
    await until(lambda: served.engine.get("night").enabled is False, 5)
    await page.get_by_role("button", name="run Lamp off at night").click()
    await until(lambda: home.registry.get(home.light).value(home.switch) is False, 5)
    await expect(page.locator("#a-night .trace")).to_have_text(re.compile("^done"))
    await browser.shot("automations")

    # nothing broke the Content-Security-Policy, and nothing came from elsewhere
    assert not browser.errors(), browser.console
    assert all(u.startswith((served.url, "blob:", "data:")) for u in browser.requests), (
        browser.requests
    )


async def test_a_scene_made_on_the_phone_keeps_the_chosen_devices_state(
    home: Home, served: Served, browser: Browser
) -> None:
    page = browser.page
    await paired(page, served, home)
    home.registry.update(home.light, {home.switch: True, "brightness": 30, "mode": "night"})
    await page.get_by_role("button", name="new scene").click()
    await page.fill("#scene-name", "Reading")
    await page.get_by_role("checkbox", name="Reading lamp").check()
    await browser.shot("new-scene")
    await page.click("#scene-save")
    await expect(page.locator("#s-reading")).to_be_visible()  # back home, with its chip
    scene = served.ctx.scenes.get("reading")
    kept = {(t.device, t.feature): t.value for t in scene.targets}
    assert kept == {
        (home.light, home.switch): True,
        (home.light, "brightness"): 30,
        (home.light, "mode"): "night",
    }

    home.registry.update(home.light, {home.switch: False, "brightness": 90})
    await page.click("#s-reading")
    await until(lambda: home.registry.get(home.light).value("brightness") == 30, 5)
    assert home.registry.get(home.light).value(home.switch) is True
    assert not browser.errors(), browser.console


async def test_an_automation_made_with_the_form_fires_and_shows_its_trace(
    home: Home, served: Served, browser: Browser
) -> None:
    page = browser.page
    await paired(page, served, home)
    await page.locator("#automations-section > summary").click()
    await page.click("#new-automation")
    await page.fill("#automation-name", "Warm: lamp on")
    await page.select_option("#when-device", label="Thermometer")  # by name, never an id
    await page.select_option("#when-feature", label="Temperature")
    await page.select_option("#when-test", label="goes above")
    await page.fill("#when-value", "25")
    await page.select_option("#then-device", label="Reading lamp")
    await page.select_option("#then-feature", label="Power")
    await page.select_option("#then-value", label="on")
    await browser.shot("new-automation")
    await page.click("#automation-save")
    await expect(page.locator("#home")).to_be_visible()
    automation = served.engine.get("warm-lamp-on")
    assert automation.alias == "Warm: lamp on"

    device, feature = home.sensor
    assert home.registry.get(home.light).value(home.switch) is False
    home.registry.update(device, {feature: 26.0})
    await until(lambda: home.registry.get(home.light).value(home.switch) is True, 5)
    trace = page.locator("#a-warm-lamp-on .trace")
    await expect(trace).to_be_visible()  # the section stays open
    await expect(trace).to_have_text(re.compile("^done"))

    # its runs, readable: what triggered, what each action did, devices by name
    await page.get_by_role("button", name="runs of Warm: lamp on").click()
    run = page.locator("#t-warm-lamp-on .run-trace").first
    await expect(run).to_contain_text("When state Thermometer temperature = 26")
    await expect(run).to_contain_text(re.compile(r"Then set Reading lamp power to on: → \w+"))
    await run.scroll_into_view_if_needed()
    await browser.shot("automation-trace")
    assert not browser.errors(), browser.console


async def test_an_offline_or_rejected_device_says_so_and_cannot_be_tapped(
    home: Home, served: Served, browser: Browser
) -> None:
    page = browser.page
    await paired(page, served, home)
    tile = page.locator(f"#tile-{home.light}")
    await expect(tile).to_be_enabled()
    home.registry.set_availability(home.light, False, "device offline: no answer in 8 s")
    await expect(page.locator(f"#d-{home.light} .tile-state")).to_have_text(
        re.compile(r"^offline since \d\d:\d\d$")
    )
    await expect(tile).to_be_disabled()
    device, _ = home.sensor
    rejected = DeviceAuthError("127.0.0.9 replied, but not with our token")  # as miIO says
    home.registry.set_availability(device, False, rejected)
    await expect(page.locator(f"#d-{device} .tile-state")).to_have_text(
        "token rejected: re-enter it"
    )
    await browser.shot("offline")
    await page.reload()  # the hub remembers why and since when, not only the page
    await expect(page.locator(f"#d-{device} .tile-state")).to_have_text(
        "token rejected: re-enter it"
    )
    await expect(page.locator(f"#d-{home.light} .tile-state")).to_have_text(
        re.compile(r"^offline since \d\d:\d\d$")
    )

    # its screen says why, and its controls are disabled
    await page.get_by_role("button", name="open Reading lamp").click()
    await expect(page.locator("#device-status")).to_contain_text("offline since")
    await expect(page.locator(f"#f-{home.light}-{home.switch}")).to_be_disabled()
    await expect(page.locator(f"#f-{home.light}-brightness")).to_be_disabled()

    # back online: the controls come back, live
    home.registry.set_availability(home.light, True)
    await expect(page.locator(f"#f-{home.light}-{home.switch}")).to_be_enabled()
    assert not browser.errors(), browser.console


async def test_a_writable_text_is_typed_and_sent_with_enter(
    home: Home, served: Served, browser: Browser
) -> None:
    """A text a device takes (a display's message, say) is a field, not a read-only value."""
    message = Feature("message", FeatureKind.TEXT, name="Message", writable=True, maximum=20)
    home.registry.add(Device("display", "Hall display", "test.display", Protocol.MIIO,
                             features={"message": message}))  # fmt: skip
    home.registry.update("display", {"message": "hello"})
    home.registry.set_availability("display", True)
    page = browser.page
    await paired(page, served, home)
    await page.get_by_role("button", name="open Hall display").click()
    field = page.get_by_role("textbox", name="Hall display Message")
    await expect(field).to_have_value("hello")
    assert await field.get_attribute("maxlength") == "20"
    await field.fill("dinner at 7")
    await field.press("Enter")
    await until(lambda: home.registry.get("display").value("message") == "dinner at 7", 5)
    home.registry.update("display", {"message": "back soon"})  # changed elsewhere
    await expect(field).to_have_value("back soon")
    assert not browser.errors(), browser.console


async def test_a_device_is_removed_from_its_screen_after_a_confirm(
    home: Home, served: Served, browser: Browser
) -> None:
    """Issue 11.9: a replaced device can be removed from the phone, never by a slip."""
    device, _ = home.sensor
    await home.registry.set_secret(device, "token", "00112233445566778899aabbccddeeff")
    page = browser.page
    await paired(page, served, home)
    name = home.registry.get(device).name
    await page.get_by_role("button", name=f"open {name}").click()
    remove = page.get_by_role("button", name=f"remove {name}")
    await remove.wait_for()
    questions: list[str] = []

    async def answer(dialog: playwright.Dialog, accept: bool) -> None:
        questions.append(dialog.message)
        await (dialog.accept() if accept else dialog.dismiss())

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    await remove.click()
    await until(lambda: len(questions) == 1, 5)
    assert "comes back when the hub finds it again" in questions[0]
    assert device in home.registry.devices
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    await remove.click()
    await expect(page.locator("#home")).to_be_visible()
    await expect(page.locator(f"#d-{device}")).to_have_count(0)
    await expect(page.locator("#toast")).to_contain_text("removed")
    assert device not in home.registry.devices
    assert await home.store.get("secrets", device) is None
    assert not browser.errors(), browser.console


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


TOO_SMALL = """() => [...document.querySelectorAll('button, input, select, a')]
  .filter((e) => e.offsetParent !== null && !e.closest('.footer, #diagnostics:not([open])'))
  .map((e) => [e.id || e.className || e.textContent, e.getBoundingClientRect()])
  .filter(([, r]) => r.height < 44 || r.width < 44)
  .map(([what, r]) => `${what}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""


@pytest.mark.parametrize(("viewport", "scheme"), [(NARROW, "dark")])
async def test_at_360_px_nothing_scrolls_sideways_and_every_target_is_44_px(
    home: Home, served: Served, browser: Browser, viewport: playwright.ViewportSize
) -> None:
    """At 360 px, in the dark theme (the phone's setting decides)."""
    page = browser.page
    await paired(page, served, home)
    await page.locator(f"#d-{home.camera} img.snapshot").wait_for()
    width = "document.documentElement.scrollWidth"
    assert await page.evaluate(width) <= viewport["width"]
    assert await page.evaluate(TOO_SMALL) == []
    background = "getComputedStyle(document.body).backgroundColor"
    assert await page.evaluate(background) == "rgb(17, 21, 27)"  # the dark theme
    await browser.shot("home-360-dark", full_page=True)
    await page.get_by_role("button", name="open Reading lamp").click()
    await page.locator(f"#f-{home.light}-brightness").wait_for()
    assert await page.evaluate(width) <= viewport["width"]
    assert await page.evaluate(TOO_SMALL) == []
    await browser.shot("device-360-dark")
    assert not browser.errors(), browser.console
