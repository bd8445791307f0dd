"""Suggestions on the phone page: a household's recorded habits, mined by the real miner, show
with their evidence; Accept opens the automation to edit (its name and time) and creates it;
Dismiss and Not now take a suggestion off the list, and the hub remembers both."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import playwright.async_api as playwright
import pytest

from hub.bus import CommandSent, Origin, StateChanged
from hub.habits.service import COLLECTION, HabitService
from hub.history.queries import HistoryReader
from tests.web.conftest import Browser, Home, Served, paired

expect = playwright.expect
DAYS = 10
ROUTINES = [  # what the household did every day, on the phone: (hh, mm, feature, value)
    (7, 5, "power", True),
    (22, 30, "mode", "night"),
    (21, 0, "brightness", 30),
]


def household(home: Home, now: float) -> list[CommandSent | StateChanged]:
    """``DAYS`` days of the routines, a few minutes' jitter, as the registry records them."""
    events: list[CommandSent | StateChanged] = []
    today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for day in range(DAYS, 0, -1):
        midnight = today - timedelta(days=day)
        for number, (hour, minute, feature, value) in enumerate(ROUTINES):
            jitter = ((day * 7 + number * 3) % 9 - 4) * 60
            at = (midnight + timedelta(hours=hour, minutes=minute)).timestamp() + jitter
            events.append(CommandSent(home.light, feature, value, Origin.API, "confirmed", at))
            events.append(StateChanged(home.light, feature, value, at=at + 0.5, origin=Origin.API))
    return sorted(events, key=lambda event: event.at)


@pytest.fixture
async def habits(home: Home, served: Served) -> AsyncIterator[HabitService]:
    now = time.time()
    for event in household(home, now):
        home.bus.publish(event)
    await served.recorder.flush(now)
    engine = served.engine
    service = HabitService(
        HistoryReader(served.recorder.db), home.registry, home.store,
        lambda: [a.model_dump(mode="json") for a in engine.all()], tz=ZoneInfo("UTC"),
    )  # fmt: skip
    await service.start()
    served.ctx.habits = service
    try:
        yield service
    finally:
        await service.stop()


async def test_accept_edit_dismiss_and_not_now(
    home: Home, served: Served, habits: HabitService, browser: Browser
) -> None:
    found = await habits.refresh()  # the real miner, in its thread
    titles = {s.title for s in found}
    assert len(found) == 3, titles
    morning = next(s for s in found if "07:05" in s.title)

    page = browser.page
    await paired(page, served, home)
    listed = page.locator("#suggestions > li")
    await expect(listed).to_have_count(3)
    await expect(page.locator("#suggestions-count")).to_have_text("(3)")
    await page.locator("#suggestions-section > summary").click()  # folded, as the automations
    item = page.locator(f"#s-{morning.id}")
    await expect(item).to_contain_text(morning.evidence)
    await page.locator("#suggestions-section").scroll_into_view_if_needed()
    await browser.shot("suggestions")

    await page.get_by_role("button", name=f"accept: {morning.title}").click()
    await expect(item.locator(".described")).to_contain_text("When: at 07:05")
    await expect(item.locator(".described")).to_contain_text("Then: set Reading lamp power to on")
    await page.fill(f"#sn-{morning.id}", "Wake-up lamp")
    await page.fill(f"#st-{morning.id}", "06:50")
    await expect(item.locator(".described")).to_contain_text("When: at 06:50")
    await item.evaluate("item => item.scrollIntoView({block: 'center'})")
    await browser.shot("suggestion-accept")
    await item.get_by_role("button", name="Create automation").click()
    await expect(item).to_have_count(0)
    await expect(page.locator("#automations")).to_contain_text("Wake-up lamp")
    created = next(a for a in served.engine.all() if a.alias == "Wake-up lamp")
    assert created.trigger[0].model_dump(mode="json")["at"] == "06:50:00"
    assert created.description.startswith("Suggested by mihub")

    others = [s for s in found if s is not morning]
    await page.get_by_role("button", name=f"dismiss: {others[0].title}").click()
    await page.get_by_role("button", name=f"not now: {others[1].title}").click()
    await expect(listed).to_have_count(0)
    await expect(page.locator("#suggestions-section")).to_be_hidden()
    decided = await home.store.all(COLLECTION)
    assert {k: v["decision"] for k, v in decided.items()} == {
        morning.id: "accepted", others[0].id: "dismissed", others[1].id: "snoozed"}  # fmt: skip
    await page.reload()  # what was decided stays decided
    await page.wait_for_selector("#status.live")
    await expect(page.locator("#automations")).to_contain_text("Wake-up lamp")
    await expect(page.locator("#suggestions-section")).to_be_hidden()
    assert not browser.errors(), browser.console


async def test_an_edit_the_hub_refuses_says_why_and_creates_nothing(
    home: Home, served: Served, habits: HabitService, browser: Browser
) -> None:
    found = await habits.refresh()
    suggestion = next(s for s in found if "07:05" in s.title)
    page = browser.page
    await paired(page, served, home)
    await page.locator("#suggestions-section > summary").click()
    await page.get_by_role("button", name=f"accept: {suggestion.title}").click()
    item = page.locator(f"#s-{suggestion.id}")
    await item.locator("summary").click()
    broken = suggestion.automation | {
        "action": [{"action": "set", "device": home.light, "feature": "mode", "value": "disco"}]
    }
    await item.locator("textarea").fill(json.dumps(broken))
    await item.get_by_role("button", name="Create automation").click()
    await expect(item.locator(".error")).to_contain_text("automation.action.0.value")
    assert not any(a.alias == suggestion.automation["alias"] for a in served.engine.all())
    await expect(page.locator("#suggestions > li")).to_have_count(len(found))
