"""Delays and 'for' timers survive a restart: stop the engine and its store, start new ones."""

from __future__ import annotations

import asyncio
import functools
import time
from pathlib import Path

from hub.scenes.model import parse_automation
from tests.scenes.home import hub_life
from tests.waiting import until

DELAYED = {
    "id": "later",
    "trigger": [{"platform": "webhook", "webhook_id": "go"}],
    "action": [
        {"action": "set", "device": "lamp", "feature": "brightness", "value": 80},
        {"action": "delay", "seconds": 0.6},
        {"action": "set", "device": "lamp", "feature": "power", "value": True},
    ],
}
HELD = {
    "id": "warm",
    "trigger": [{"platform": "state", "device": "thermo", "feature": "temperature",
                 "above": 24, "for": 0.6}],
    "action": [{"action": "set", "device": "lamp", "feature": "power", "value": True}],
}  # fmt: skip


async def wait_power(registry_lamp_value: object, seconds: float) -> float | None:
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if registry_lamp_value():  # type: ignore[operator]
            return time.monotonic() - began
        await asyncio.sleep(0.01)
    return None


async def test_a_pending_delay_resumes_after_a_restart_and_fires_on_time(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with hub_life(path, flush_interval=0.05) as life:
        await life.engine.save(parse_automation(DELAYED))
        life.engine.fire_webhook("go")
        await asyncio.sleep(0.2)  # the behaviour: the hub stops 0.2 s into the 0.6 s delay
        assert life.registry.get("lamp").value("brightness") == 80
    # the hub stopped in the middle of the delay
    assert life.registry.get("lamp").value("power") is False
    stopped_at = time.monotonic()

    async with hub_life(path, flush_interval=0.05) as life:
        waited = await wait_power(lambda: life.registry.get("lamp").value("power"), 2)
        assert waited is not None, "the delay never resumed"
        elapsed = time.monotonic() - stopped_at + 0.2
        assert elapsed >= 0.45, f"fired {elapsed:.2f}s after the trigger, before its 0.6 s"
        trace = life.engine.traces("later")[0]
        assert trace["trigger"]["resumed"] is True
        assert [a["action"] for a in trace["actions"]] == ["set"]


async def test_a_delay_whose_time_passed_while_stopped_fires_at_once(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with hub_life(path) as life:
        await life.engine.save(parse_automation(DELAYED))
        life.engine.fire_webhook("go")
        await until(lambda: life.registry.get("lamp").value("brightness") == 80)  # in the delay
    await asyncio.sleep(0.7)  # the behaviour: the delay's time passes while the hub is stopped
    async with hub_life(path) as life:
        assert await wait_power(lambda: life.registry.get("lamp").value("power"), 0.3) is not None


async def test_a_for_timer_survives_a_restart_while_the_state_still_holds(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    warm = {"thermo": {"temperature": 26.0}}
    async with hub_life(path, flush_interval=0.05) as life:
        await life.engine.save(parse_automation(HELD))
        life.registry.update("thermo", warm["thermo"])
        await asyncio.sleep(0.2)  # the behaviour: 0.2 s of the 0.6 s "for" pass before the stop
    async with hub_life(path, reported=warm) as life:  # still warm after the restart
        waited = await wait_power(lambda: life.registry.get("lamp").value("power"), 2)
        assert waited is not None
        assert waited < 0.6, "it resumed the remaining time, not a fresh 0.6 s"


async def test_a_delay_survives_two_restarts_in_a_row(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    began = time.monotonic()
    due: list[float] = []
    for restart in range(3):
        async with hub_life(path) as life:
            if restart == 0:
                await life.engine.save(parse_automation(DELAYED))
                life.engine.fire_webhook("go")
            if restart < 2:
                await asyncio.sleep(0.15)  # stop again before the delay is over
                assert life.registry.get("lamp").value("power") is False
                await life.store.flush()
                due += [float(t["at"]) for t in (await life.store.all("timers")).values()]
                continue
            power = functools.partial(life.registry.get("lamp").value, "power")
            assert await wait_power(power, 5) is not None
            assert time.monotonic() - began >= 0.5  # the delay was kept, not skipped
    # resumed, not restarted: both lives saw the one timer due at the same moment
    assert len(due) == 2
    assert due[0] == due[1]


async def test_a_for_timer_is_dropped_when_the_state_no_longer_holds(tmp_path: Path) -> None:
    path = tmp_path / "hub.db"
    async with hub_life(path, flush_interval=0.05) as life:
        await life.engine.save(parse_automation(HELD))
        life.registry.update("thermo", {"temperature": 26.0})
        await asyncio.sleep(0.1)  # the behaviour: the "for" timer counts, then the hub stops
    async with hub_life(path, reported={"thermo": {"temperature": 19.0}}) as life:  # cooled
        assert await wait_power(lambda: life.registry.get("lamp").value("power"), 0.8) is None
        await life.store.flush()
        assert await life.store.all("timers") == {}
