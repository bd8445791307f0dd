"""Scenes and automations edited on the phone, in a real headless Chromium: a scene renamed
and re-valued, an automation made with the form (a state trigger, a condition, two actions)
that fires and then does not, both runs read as words, the same automation edited in the form
(now at a time), one edited as YAML with its errors shown on their line, and every editor
screen at 360 px with nothing scrolling sideways and every target at least 44 px.

They share tests/web/conftest.py's home, hub and browser.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

import playwright.async_api as playwright
import pytest

from hub.scenes.model import (
    NotifyAction,
    SetAction,
    StateCondition,
    SunTrigger,
    TimeCondition,
    TimeTrigger,
)
from tests.mqtt_broker import until
from tests.web.conftest import NARROW, Browser, Home, Served, paired

expect = playwright.expect

# Every visible control smaller than 44 px; a checkbox counts by its label (the target).
TOO_SMALL = """() => [...document.querySelectorAll('button, input, select, a, textarea')]
  .filter((e) => e.offsetParent !== null && !e.closest('.footer'))
  .map((e) => [e.id || e.getAttribute('aria-label') || e.className || e.textContent,
               (e.closest('label.check') || e).getBoundingClientRect()])
  .filter(([, r]) => r.height < 44 || r.width < 44)
  .map(([what, r]) => `${what}: ${Math.round(r.width)}x${Math.round(r.height)}`)"""
WIDTH = "document.documentElement.scrollWidth"


def accept_dialogs(page: Any) -> None:
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))


async def open_automations(page: Any) -> None:
    await page.locator("#automations-section > summary").click()
    await expect(page.locator("#new-automation")).to_be_visible()


async def test_a_scene_is_renamed_revalued_extended_and_another_deleted(
    home: Home, served: Served, browser: Browser
) -> None:
    page = browser.page
    accept_dialogs(page)
    await paired(page, served, home)
    await open_automations(page)
    await page.click("#edit-scenes")
    await page.get_by_role("button", name="edit Evening").click()
    await expect(page.locator("#scene-name")).to_have_value("Evening")
    await page.fill("#scene-name", "Evening glow")
    await page.select_option("#target-0-value", label="off")
    await page.click("#scene-add-target")
    await page.select_option("#add-1-device", label="Reading lamp")  # by name, never an id
    await page.select_option("#add-1-feature", label="Brightness")
    await page.fill("#add-1-value", "40")
    await browser.shot("scene-edit")
    await page.click("#scene-save")
    await expect(page.get_by_role("button", name="edit Evening glow")).to_be_visible()
    scene = served.ctx.scenes.get("evening")
    assert scene.name == "Evening glow"
    assert {(t.feature, t.value) for t in scene.targets} == {("power", False), ("brightness", 40)}

    # a value out of the lamp's range is refused by the form itself, and nothing changes
    await page.get_by_role("button", name="edit Evening glow").click()
    await page.fill("#target-1-value", "400")
    await page.click("#scene-save")
    await expect(page.locator("#target-1-value:invalid")).to_have_count(1)
    await expect(page.locator("#scene-form")).to_be_visible()
    assert served.ctx.scenes.get("evening").targets[1].value == 40
    await page.go_back()

    await page.get_by_role("button", name="edit All off").click()
    await page.click("#scene-delete")
    await expect(page.get_by_role("button", name="edit Evening glow")).to_be_visible()
    await expect(page.get_by_role("button", name="edit All off")).to_have_count(0)
    assert [s.id for s in served.ctx.scenes.all()] == ["evening"]
    assert not browser.errors(), browser.console


async def test_an_automation_from_the_form_fires_then_does_not_and_both_runs_read_as_words(
    home: Home, served: Served, browser: Browser
) -> None:
    page = browser.page
    await paired(page, served, home)
    await open_automations(page)
    await page.click("#new-automation")
    await page.fill("#automation-name", "Warm: lamp on")
    await page.select_option("#when-kind", label="a device changes")
    await page.select_option("#when-device", label="Thermometer")
    await page.select_option("#when-feature", label="Temperature")
    await page.select_option("#when-test", label="goes above")
    await page.fill("#when-value", "25")
    await page.click("#add-condition")  # only if the lamp is off
    await page.select_option("#if-1-kind", label="a device is")
    await page.select_option("#if-1-device", label="Reading lamp")
    await page.select_option("#if-1-feature", label="Power")
    await page.select_option("#if-1-value", label="off")
    await page.select_option("#then-device", label="Reading lamp")
    await page.select_option("#then-feature", label="Power")
    await page.select_option("#then-value", label="on")
    await page.click("#add-action")
    await page.select_option("#then-2-kind", label="notify this phone")
    await page.fill("#then-2-message", "It is warm")
    await page.locator("#if-1-kind").scroll_into_view_if_needed()
    await browser.shot("automation-form")
    await page.click("#automation-save")
    await expect(page.locator("#home")).to_be_visible()
    automation = served.engine.get("warm-lamp-on")
    assert automation.condition == [StateCondition(condition="state", device=home.light,
                                                   feature=home.switch, state=False)]  # fmt: skip
    assert [type(a) for a in automation.action] == [SetAction, NotifyAction]

    # it fires: the lamp goes on and the phone hears the notification
    device, feature = home.sensor
    home.registry.update(device, {feature: 26.0})
    await until(lambda: home.registry.get(home.light).value(home.switch) is True, 5)
    await expect(page.locator("#toast")).to_contain_text("It is warm")
    # it is evaluated again and does not fire: the lamp is on now
    home.registry.update(device, {feature: 20.0})
    home.registry.update(device, {feature: 27.0})
    await until(lambda: served.engine.traces("warm-lamp-on")[0]["result"] == "conditions_failed", 5)

    await page.get_by_role("button", name="runs of Warm: lamp on").click()
    runs = page.locator("#t-warm-lamp-on .run-trace")
    await expect(runs).to_have_count(2)
    refused, fired = runs.nth(0), runs.nth(1)
    await expect(refused).to_contain_text("did not run: a condition said no")
    await expect(refused).to_contain_text("When state Thermometer temperature = 27 (was 20)")
    await expect(refused).to_contain_text("If state Reading lamp power: saw on → no")
    await expect(fired).to_contain_text("ran to the end")
    await expect(fired).to_contain_text("If state Reading lamp power: saw off → yes")
    await expect(fired).to_contain_text(re.compile(r"Then set Reading lamp power to on: → \w+"))
    await expect(fired).to_contain_text('Then notify "It is warm": → ok')
    await page.evaluate("document.getElementById('toast').hidden = true")
    await page.locator("#a-warm-lamp-on").evaluate("(e) => window.scrollTo(0, e.offsetTop - 60)")
    await browser.shot("automation-runs")
    assert "{" not in await page.locator("#t-warm-lamp-on").inner_text()  # words, not JSON

    # edited in the form: it comes back filled in; now at 07:30, same condition and actions
    await page.click("#edit-warm-lamp-on")
    await expect(page.locator("#automation-name")).to_have_value("Warm: lamp on")
    await expect(page.locator("#when-test")).to_have_value("above")
    await expect(page.locator("#when-value")).to_have_value("25")
    await expect(page.locator("#then-2-message")).to_have_value("It is warm")
    await page.select_option("#when-kind", label="at a time")
    await page.fill("#when-time", "07:30")
    await page.fill("#then-2-message", "Morning")
    await page.click("#automation-save")
    await expect(page.locator("#home")).to_be_visible()
    edited = served.engine.get("warm-lamp-on")
    assert edited.trigger == [TimeTrigger(platform="time", at=dt.time(7, 30))]
    assert edited.action[1] == NotifyAction(action="notify", message="Morning")
    assert len(edited.condition) == 1
    assert not browser.errors(), browser.console


async def test_an_automation_edited_as_yaml_shows_each_error_on_its_line(
    home: Home, served: Served, browser: Browser
) -> None:
    page = browser.page
    await paired(page, served, home)
    await open_automations(page)
    await page.get_by_role("button", name="runs of Lamp off at night").click()
    await page.click("#yaml-night")
    area = page.locator("#yaml-text")
    await expect(area).to_have_value(re.compile(r"platform: time\n\s+at: '23:30:00'"))
    text = await area.input_value()

    # a value the lamp's power cannot take: the error names the line and the key
    wrong = text.replace("value: false", "value: maybe")
    await area.fill(wrong)
    await page.click("#yaml-save")
    line = wrong.splitlines().index(next(x for x in wrong.splitlines() if "value: maybe" in x)) + 1
    error = page.locator("#yaml-error")
    await expect(error).to_contain_text(f"line {line}: action.0.value")
    selected = "(a) => a.value.slice(a.selectionStart, a.selectionEnd)"
    assert "value: maybe" in await area.evaluate(selected)  # the line is marked
    await browser.shot("automation-yaml-error")

    # a YAML syntax error, in config.yaml's words
    await area.fill(text.replace("platform: time", "platform: [time"))
    await page.click("#yaml-save")
    await expect(error).to_contain_text(re.compile(r"^line \d+:\d+: a list in \[ \] is not closed"))
    assert served.engine.get("night").trigger[0] == TimeTrigger(platform="time", at=dt.time(23, 30))

    # a good edit: another time, and a second action the form also knows
    await area.fill(text.replace("23:30:00", "22:15:00") + "- action: notify\n  message: Night\n")
    await page.click("#yaml-save")
    await expect(page.locator("#home")).to_be_visible()
    night = served.engine.get("night")
    assert night.trigger == [TimeTrigger(platform="time", at=dt.time(22, 15))]
    assert night.action[1] == NotifyAction(action="notify", message="Night")
    unexpected = [e for e in browser.errors() if "status of 422" not in e]  # the two refusals
    assert unexpected == [], browser.console


async def check_screen(page: Any, viewport: playwright.ViewportSize, name: str) -> None:
    assert await page.evaluate(WIDTH) <= viewport["width"], name
    assert await page.evaluate(TOO_SMALL) == [], name


@pytest.mark.parametrize("viewport", [NARROW])
async def test_every_editor_screen_fits_360_px_with_44_px_targets(
    home: Home, served: Served, browser: Browser, viewport: playwright.ViewportSize
) -> None:
    page = browser.page
    await paired(page, served, home)
    await open_automations(page)
    await page.get_by_role("button", name="runs of Lamp off at night").click()
    await page.locator("#edit-night").wait_for()
    await check_screen(page, viewport, "home with the automations open")
    await page.get_by_role("button", name="run Lamp off at night").click()
    await expect(page.locator("#a-night .trace")).to_have_text(re.compile("^done"))
    await page.locator("#t-night .run-trace").first.wait_for()  # still open after the refresh
    await expect(page.locator("#t-night .run-trace").first).to_contain_text("When run by hand")
    await check_screen(page, viewport, "traces")
    await page.locator("#a-night").scroll_into_view_if_needed()
    await browser.shot("home-automations-360")

    await page.click("#edit-night")  # the form, with every kind of row shown
    await page.locator("#automation-name").wait_for()
    await page.click("#add-condition")
    await page.click("#add-condition")
    await page.select_option("#if-2-kind", label="the time is between")
    for kind in ("call an action", "activate a scene", "notify this phone", "wait"):
        await page.click("#add-action")
        last = page.locator("#actions > .kind-row").last
        await last.locator("select").first.select_option(label=kind)
    await page.select_option("#when-kind", label="at sunrise or sunset")
    await check_screen(page, viewport, "automation form")
    await browser.shot("automation-form-360")
    for kind in ("a device event", "a device changes"):
        await page.select_option("#when-kind", label=kind)
        await check_screen(page, viewport, f"automation form: {kind}")
    # saved as it stands: half an hour before sunset, in a window, five kinds of action
    await page.select_option("#when-kind", label="at sunrise or sunset")
    await page.select_option("#when-sun", label="sunset")
    await page.fill("#when-offset", "-30")
    await page.fill("#if-2-after", "17:00")
    await page.fill("#then-4-message", "Dusk")
    await page.click("#automation-save")
    await expect(page.locator("#home")).to_be_visible()
    night = served.engine.get("night")
    assert night.trigger == [SunTrigger(platform="sun", event="sunset", offset=-1800)]
    assert [c.condition for c in night.condition] == ["state", "time"]
    assert night.condition[1] == TimeCondition(
        condition="time", after=dt.time(17), before=dt.time(23)
    )
    assert [a.action for a in night.action] == ["set", "call", "scene", "notify", "delay"]

    await page.click("#yaml-night")  # its runs are still open
    await expect(page.locator("#yaml-text")).to_have_value(re.compile("platform: sun"))
    await check_screen(page, viewport, "YAML")

    await page.go_back()
    await page.click("#edit-scenes")
    await page.get_by_role("button", name="edit Evening").wait_for()
    await check_screen(page, viewport, "scenes")
    await page.get_by_role("button", name="edit Evening").click()
    await page.click("#scene-add-target")
    await page.locator("#add-1-value").wait_for()
    await check_screen(page, viewport, "scene editor")
    await browser.shot("scene-edit-360")
    await page.go_back()
    await page.go_back()
    await page.get_by_role("button", name="new scene").click()
    await page.locator("#scene-name").wait_for()
    await check_screen(page, viewport, "new scene")

    await page.go_back()
    await page.get_by_role("button", name="open Reading lamp").click()
    await page.locator(f"#f-{home.light}-brightness").wait_for()
    await check_screen(page, viewport, "device")
    assert not browser.errors(), browser.console
