"""The engine cannot be used to stop the hub: runs yield, repeats and runs are bounded, a
self-triggering automation is stopped, traces always end, and memory never drifts from the
store (issues 10.1, 10.2, 10.3, 10.7)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub.bus import EventBus, MqttMessage, Notification
from hub.devices.model import Device, Feature, FeatureKind, Protocol, Value
from hub.devices.registry import DeviceRegistry
from hub.scenes import runs
from hub.scenes.engine import COLLECTION, AutomationEngine
from hub.scenes.model import InvalidDefinition, parse_automation, parse_scene
from hub.scenes.references import still_unseen
from hub.scenes.scenes import CONCURRENCY, SceneManager
from hub.store import Store
from tests.scenes.home import build_home, hub_life
from tests.waiting import until


class Broker:
    """Publishes as a broker does: the message comes back later, never inside the run."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.sent = 0

    async def __call__(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        self.sent += 1
        asyncio.get_running_loop().call_soon(self.bus.publish, MqttMessage(topic, payload))


@dataclass
class Rig:
    bus: EventBus
    registry: DeviceRegistry
    engine: AutomationEngine
    broker: Broker


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    bus = EventBus()
    registry, _ = build_home(bus)
    broker = Broker(bus)
    engine = AutomationEngine(registry, bus, publish=broker)
    await engine.start()
    try:
        yield Rig(bus, registry, engine, broker)
    finally:
        await engine.stop()
        registry.close()


NOTIFY = {"action": "notify", "message": "hi"}


def webhook(**data: Any) -> dict[str, Any]:
    return {"id": "a1", "trigger": [{"platform": "webhook", "webhook_id": "go"}], **data}


async def finished(engine: AutomationEngine, automation_id: str = "a1") -> dict[str, Any]:
    trace = engine.traces(automation_id)[0]
    await engine.trace_log.finished(trace, 10)
    return trace


def notifications(bus: EventBus) -> list[Notification]:
    """Every notification published on ``bus`` from now on."""
    seen: list[Notification] = []
    bus.subscribe(Notification, seen.append)
    return seen


async def test_a_repeat_that_never_waits_lets_the_loop_breathe(rig: Rig) -> None:
    """Issue 10.2: nested repeats of notify held the loop for 79 s. Another task's turns are
    seen while the run is half-way, not only once it has ended."""
    inner = {"action": "repeat", "count": 100, "sequence": [NOTIFY]}
    await rig.engine.save(parse_automation(webhook(action=[
        {"action": "repeat", "count": 100, "sequence": [inner]}])))  # fmt: skip
    sent = notifications(rig.bus)
    seen_at: list[int] = []  # how many notifications were out at each of the ticker's turns

    async def ticker() -> None:
        while True:
            seen_at.append(len(sent))
            await asyncio.sleep(0)

    task = asyncio.get_running_loop().create_task(ticker())
    await asyncio.sleep(0)
    rig.engine.fire_webhook("go")
    trace = await finished(rig.engine)
    task.cancel()
    assert (trace["result"], trace["actions"][0]["iterations"]) == ("done", 100)
    assert len(sent) == 100 * 100
    half_way = {n for n in seen_at if 0 < n < len(sent)}
    assert len(half_way) >= 100  # the loop turned at least every 100 notifications


async def test_count_runs_exactly_count_times(rig: Rig) -> None:
    """Issue 10.2: ``count: 1500`` ran 1,000 times and said "done"."""
    await rig.engine.save(parse_automation(webhook(action=[
        {"action": "repeat", "count": 1500, "sequence": [NOTIFY]}])))  # fmt: skip
    sent = notifications(rig.bus)
    rig.engine.fire_webhook("go")
    trace = await finished(rig.engine)
    assert (trace["result"], trace["actions"][0]["iterations"]) == ("done", 1500)
    assert len(sent) == 1500


@pytest.mark.parametrize(
    ("repeat", "field", "says"),
    [
        ({"count": 20_000}, "count", "a repeat runs at most 10000 times, got 20000"),
        ({"max_iterations": 10**9, "while": [{"condition": "available", "device": "lamp"}]},
         "max_iterations", "a repeat runs at most 10000 times, got 1000000000"),
        ({"count": 1500, "max_iterations": 1000}, "",
         "count 1500 is more than max_iterations 1000"),
    ],
)  # fmt: skip
def test_a_repeat_past_its_ceiling_is_refused_with_the_reason(
    repeat: dict[str, Any], field: str, says: str
) -> None:
    """Issue 10.2: ``max_iterations: 1000000000`` was accepted, and a count above the limit
    ran only as far as the limit and said "done". The API answers these problems as a 422."""
    action = {"action": "repeat", **repeat, "sequence": [NOTIFY]}
    with pytest.raises(InvalidDefinition) as caught:
        parse_automation(webhook(action=[action]))
    [problem] = caught.value.problems
    assert problem["field"] == f"action.0.{field}".rstrip(".")
    assert says in problem["message"]


async def test_a_while_loop_cut_short_says_so(rig: Rig) -> None:
    always = [{"condition": "available", "device": "lamp", "online": False}]
    await rig.engine.save(parse_automation(webhook(action=[
        {"action": "repeat", "while": always, "max_iterations": 30, "sequence": [NOTIFY]}])))  # fmt: skip
    sent = notifications(rig.bus)
    rig.engine.fire_webhook("go")
    step = (await finished(rig.engine))["actions"][0]
    assert (step["iterations"], step["result"]) == (30, "max_iterations")
    assert step["error"] == "stopped after max_iterations (30)"
    assert len(sent) == 30


async def test_a_run_has_a_step_budget(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nested repeats multiply (10,000 x 10,000 passes each one's ceiling): past the budget
    the run ends as an error, having sent no more than its budget of steps."""
    monkeypatch.setattr(runs, "MAX_RUN_STEPS", 500)
    inner = {"action": "repeat", "count": 100, "sequence": [NOTIFY]}
    await rig.engine.save(parse_automation(webhook(action=[
        {"action": "repeat", "count": 100, "sequence": [inner]}])))  # fmt: skip
    sent = notifications(rig.bus)
    rig.engine.fire_webhook("go")
    trace = await finished(rig.engine)
    assert trace["result"] == "error"
    assert "more than 500 steps" in trace["error"]
    assert 0 < len(sent) <= 500  # each notification is a step at least; unbounded: 10,000


async def test_a_self_triggering_automation_is_stopped_and_says_why(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 10.3: an MQTT trigger publishing to its own topic ran 40,697 times in 15 s."""
    await rig.engine.save(parse_automation({
        "id": "echo", "trigger": [{"platform": "mqtt", "topic": "loop"}],
        "action": [{"action": "publish", "topic": "loop", "payload": "again"}]}))  # fmt: skip
    rig.bus.publish(MqttMessage("loop", b"go"))
    await until(lambda: not rig.engine.get("echo").enabled, 5)
    sent = rig.broker.sent
    results = [t["result"] for t in rig.engine.traces("echo")]
    assert "loop_guard" in results
    assert sent <= 101  # 20 runs a second over 5 s, then stopped at once
    assert any("loop guard" in r.message and r.levelno == logging.WARNING
               for r in caplog.records)  # fmt: skip
    await asyncio.sleep(0.05)  # the guard's messages still on their way find it disabled
    assert rig.broker.sent <= sent + 1
    assert all(t["result"] not in ("running", "queued") for t in rig.engine.traces("echo"))


async def test_disabling_takes_effect_at_once(tmp_path: Path) -> None:
    """Issue 10.3: disabling the runaway automation took 39.5 s."""
    async with hub_life(tmp_path / "hub.db") as life:
        await life.engine.create(webhook(action=[NOTIFY]))
        loop = asyncio.get_running_loop()
        disabling = loop.create_task(life.engine.set_enabled("a1", False))
        await asyncio.sleep(0)  # the disable is under way: its store write has not answered
        assert not disabling.done()
        assert life.engine.fire_webhook("go") == 1
        assert life.engine.traces("a1") == []  # dropped at once
        await disabling


async def test_a_trace_never_stays_running(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 10.7: a RecursionError while checking left the trace "running" for ever."""
    await rig.engine.save(parse_automation(webhook(
        condition=[{"condition": "available", "device": "lamp"}], action=[NOTIFY])))  # fmt: skip

    def deep(*args: Any) -> bool:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(rig.engine.checker, "all", deep)
    rig.engine.fire_webhook("go")
    trace = rig.engine.traces("a1")[0]
    assert (trace["result"], trace["error"]) == ("error", "RecursionError: maximum recursion "
                                                  "depth exceeded")  # fmt: skip


async def test_a_failed_store_write_keeps_nothing_in_memory(tmp_path: Path) -> None:
    async with hub_life(tmp_path / "hub.db") as life:

        async def broken(*args: Any) -> None:
            raise OSError("disk full")

        life.store.put = broken  # type: ignore[method-assign]
        with pytest.raises(OSError, match="disk full"):
            await life.engine.create(webhook(action=[NOTIFY]))
        assert life.engine.automations == {}


async def test_a_subscription_failure_keeps_the_automation(tmp_path: Path) -> None:
    """Issue 10.1: with the broker away, the automation is stored and listed all the same."""
    async with hub_life(tmp_path / "hub.db") as life:

        def broker_down(filters: set[str]) -> None:
            raise OSError("the broker is down")

        life.engine.on_topics = broker_down
        mqtt = {"id": "m", "trigger": [{"platform": "mqtt", "topic": "a/b"}], "action": [NOTIFY]}
        await life.engine.create(mqtt)
        assert set(life.engine.automations) == set(await life.store.all(COLLECTION)) == {"m"}


async def test_an_invalid_stored_automation_is_skipped_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        await store.put(COLLECTION, "bad", {"id": "bad", "trigger": [
            {"platform": "mqtt", "topic": "a+b"}], "action": [NOTIFY]})  # fmt: skip
        await store.put(COLLECTION, "good", {"id": "good", "trigger": [
            {"platform": "mqtt", "topic": "a/+"}], "action": [NOTIFY]})  # fmt: skip
    async with hub_life(path) as life:
        assert set(life.engine.automations) == {"good"}
        assert "skipping stored automation bad" in caplog.text


class SlowLamps:
    """Every command takes a moment; counts how many are in flight at once."""

    def __init__(self, registry: DeviceRegistry) -> None:
        self.registry = registry
        self.in_flight = 0
        self.most = 0

    async def set_value(self, device: Device, feature: Feature, value: Value) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(0.001)
        self.in_flight -= 1
        self.registry.update(device.id, {feature.id: value})


async def test_a_big_scene_sends_at_most_16_devices_at_a_time() -> None:
    """Issue 10.7: a 4,000-target scene took 25.5 s and started every command at once."""
    registry = DeviceRegistry(EventBus(), offline_grace=0, confirm_timeout=0.2)
    adapter = SlowLamps(registry)
    registry.adapters[Protocol.MIIO] = adapter  # type: ignore[assignment]
    power = {"power": Feature("power", FeatureKind.SWITCH, writable=True)}
    for number in range(200):
        registry.add(Device(f"lamp{number}", "Lamp", "test.lamp", Protocol.MIIO, features=power))
    scenes = SceneManager(registry)
    targets = [{"device": f"lamp{n}", "feature": "power", "value": True} for n in range(200)]
    scenes.add_configured([parse_scene({"id": "all", "name": "All", "targets": targets})])
    result = await scenes.activate("all")
    registry.close()
    assert result.ok
    assert len(result.devices) == 200
    assert adapter.most == CONCURRENCY


async def test_a_configured_automation_naming_an_unseen_device_is_said_not_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 11.6 at start-up: a device not seen yet must not stop the hub, but is said (at
    INFO: discovery has not run yet; the hub warns if it is still unseen later)."""
    bus = EventBus()
    registry, _ = build_home(bus)
    engine = AutomationEngine(registry, bus)
    action = {"action": "set", "device": "toaster", "feature": "power", "value": True}
    with caplog.at_level(logging.INFO):
        await engine.start([webhook(action=[action])])
    await engine.stop()
    registry.close()
    [record] = [r for r in caplog.records if "not seen yet" in r.getMessage()]
    assert (
        record.getMessage() == "automation a1: action.0.device: no device 'toaster' (not seen yet)"
    )
    assert record.levelno == logging.INFO
    automation = parse_automation(webhook(action=[action]))
    assert still_unseen([], [automation], registry) == [
        "automation a1: action.0.device: no device 'toaster' (not seen yet)"
    ]


async def test_a_placeholder_that_makes_a_wildcard_topic_is_a_clear_error(rig: Rig) -> None:
    await rig.engine.save(parse_automation(webhook(action=[
        {"action": "publish", "topic": "home/{trigger.data.room}"}])))  # fmt: skip
    rig.engine.fire_webhook("go", {"room": "#"})
    trace = await finished(rig.engine)
    assert trace["result"] == "error"
    assert "no wildcards" in trace["error"]
    assert rig.broker.sent == 0
