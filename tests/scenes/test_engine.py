"""The automation engine: every trigger, condition and action kind, run modes and traces."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub.bus import AutomationRan, DeviceEvent, DeviceOffline, EventBus, MqttMessage, Notification
from hub.devices.registry import DeviceRegistry
from hub.errors import ConfigError, InvalidValue, NotFound
from hub.scenes.engine import AutomationEngine
from hub.scenes.model import DuplicateId, InvalidDefinition, parse_automation, parse_scene
from hub.store import Store
from tests.scenes.home import EchoAdapter, Published, build_home
from tests.waiting import until


@dataclass
class Rig:
    bus: EventBus
    registry: DeviceRegistry
    adapter: EchoAdapter
    engine: AutomationEngine
    published: Published


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    bus = EventBus()
    registry, adapter = build_home(bus)
    published = Published()
    engine = AutomationEngine(registry, bus, publish=published)
    await engine.start()
    try:
        yield Rig(bus, registry, adapter, engine, published)
    finally:
        await engine.stop()
        registry.close()


async def add(rig: Rig, **data: Any) -> str:
    data.setdefault("id", "a1")
    await rig.engine.save(parse_automation(data))
    return str(data["id"])


LAMP_ON = [{"action": "set", "device": "lamp", "feature": "power", "value": True}]


# ---- triggers -----------------------------------------------------------------------------


async def test_state_trigger_to_and_from(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "state", "device": "thermo", "feature": "temperature",
                             "to": 25.0, "from": 20.0}], action=LAMP_ON)  # fmt: skip
    rig.registry.update("thermo", {"temperature": 25.0})
    await until(lambda: rig.registry.get("lamp").value("power") is True)


async def test_numeric_trigger_fires_on_crossing_not_on_every_change(rig: Rig) -> None:
    await add(rig, mode="parallel", trigger=[{"platform": "state", "device": "thermo",
              "feature": "temperature", "above": 24}], action=LAMP_ON)  # fmt: skip
    for value in (25.0, 26.0, 27.0):
        rig.registry.update("thermo", {"temperature": value})
    await until(lambda: rig.engine.traces("a1"))
    await asyncio.sleep(0.05)  # absence: no second run follows
    assert len(rig.engine.traces("a1")) == 1


async def test_state_held_for_a_duration(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "state", "device": "thermo", "feature": "temperature",
                             "above": 24, "for": 1.0}], action=LAMP_ON)  # fmt: skip
    rig.registry.update("thermo", {"temperature": 25.0})
    await asyncio.sleep(0.05)  # the behaviour: held for a moment, far less than its 1 s
    rig.registry.update("thermo", {"temperature": 20.0})  # not held long enough
    await asyncio.sleep(1.1)  # absence: the 1 s pass and nothing fires
    assert rig.registry.get("lamp").value("power") is False
    rig.registry.update("thermo", {"temperature": 26.0})
    await until(lambda: rig.registry.get("lamp").value("power") is True)


async def test_device_event_trigger_with_data_match(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "event", "device": "button", "event": "action",
                             "data": {"value": "double"}}], action=LAMP_ON)  # fmt: skip
    rig.bus.publish(DeviceEvent("button", "action", {"value": "single"}))
    await asyncio.sleep(0.05)  # absence: a single press does not match
    assert rig.registry.get("lamp").value("power") is False
    rig.bus.publish(DeviceEvent("button", "action", {"value": "double"}))
    await until(lambda: rig.registry.get("lamp").value("power") is True)


async def test_availability_trigger(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "availability", "device": "thermo", "to": "offline"}],
              action=[{"action": "notify", "message": "thermometer gone"}])  # fmt: skip
    notes: list[Notification] = []
    rig.bus.subscribe(Notification, notes.append)
    rig.bus.publish(DeviceOffline("thermo", "no reply"))
    await until(lambda: notes)
    assert notes[0].message == "thermometer gone"


async def test_mqtt_trigger_with_json_payload_match_and_templated_publish(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "mqtt", "topic": "bench/trigger", "value_path": "value",
                             "payload": "1"}],
              action=[{"action": "publish", "topic": "bench/action",
                       "payload": "{trigger.payload_json.value}:{trigger.payload}"}])  # fmt: skip
    assert "bench/trigger" in rig.engine.topic_filters()
    rig.bus.publish(MqttMessage("bench/trigger", b'{"value": 0}'))
    rig.bus.publish(MqttMessage("bench/trigger", b'{"value": 1}'))
    await until(lambda: rig.published.messages)
    await asyncio.sleep(0.02)  # absence: the first message never publishes
    assert rig.published.messages == [("bench/action", b'1:{"value": 1}')]


async def test_mqtt_wildcard_trigger(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "mqtt", "topic": "home/+/button"}], action=LAMP_ON)
    assert rig.engine.topic_filters() == {"home/+/button"}
    rig.bus.publish(MqttMessage("home/hall/button", b"press"))
    await until(lambda: rig.registry.get("lamp").value("power") is True)


async def test_webhook_trigger(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "webhook", "webhook_id": "door-bell"}], action=LAMP_ON)
    assert rig.engine.fire_webhook("nope") == 0
    assert rig.engine.fire_webhook("door-bell", {"who": "me"}) == 1
    await until(lambda: rig.registry.get("lamp").value("power") is True)
    assert rig.engine.traces("a1")[0]["trigger"]["data"] == {"who": "me"}


async def test_time_trigger_fires_at_the_time_of_day(rig: Rig) -> None:
    soon = (rig.engine.now() + dt.timedelta(seconds=1.2)).time().replace(microsecond=0)
    await add(rig, trigger=[{"platform": "time", "at": soon.isoformat()}], action=LAMP_ON)
    await until(lambda: rig.registry.get("lamp").value("power") is True, 3)


async def test_start_trigger_fires_when_the_engine_starts() -> None:
    bus = EventBus()
    registry, _ = build_home(bus)
    engine = AutomationEngine(registry, bus)
    await engine.start([{"id": "boot", "trigger": [{"platform": "start"}], "action": LAMP_ON}])
    try:
        await until(lambda: registry.get("lamp").value("power") is True)
    finally:
        await engine.stop()


# ---- conditions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "passes"),
    [
        ({"condition": "state", "device": "lamp", "feature": "brightness", "state": [50, 60]}, True),
        ({"condition": "numeric", "device": "thermo", "feature": "temperature", "above": 21}, False),
        ({"condition": "numeric", "device": "thermo", "feature": "temperature", "below": 21}, True),
        ({"condition": "available", "device": "thermo", "online": False}, True),
        ({"condition": "time", "after": "00:00:00", "before": "23:59:59"}, True),
        ({"condition": "time", "after": "23:59:59", "before": "00:00:00"}, False),
        ({"condition": "not", "conditions": [
            {"condition": "state", "device": "lamp", "feature": "power", "state": True}]}, True),
        ({"condition": "or", "conditions": [
            {"condition": "state", "device": "lamp", "feature": "power", "state": True},
            {"condition": "numeric", "device": "thermo", "feature": "temperature",
             "below": 30}]}, True),
        ({"condition": "and", "conditions": [
            {"condition": "state", "device": "lamp", "feature": "power", "state": True},
            {"condition": "numeric", "device": "thermo", "feature": "temperature",
             "below": 30}]}, False),
    ],
)  # fmt: skip
async def test_conditions_gate_the_actions_and_leave_a_trace(
    rig: Rig, condition: dict[str, Any], passes: bool
) -> None:
    await add(rig, trigger=[{"platform": "webhook", "webhook_id": "go"}], condition=[condition],
              action=LAMP_ON)  # fmt: skip
    rig.engine.fire_webhook("go")
    await until(lambda: rig.engine.traces("a1")[0]["result"] != "running")
    trace = rig.engine.traces("a1")[0]
    assert trace["result"] == ("done" if passes else "conditions_failed")
    assert trace["conditions"][0]["result"] is passes
    assert rig.registry.get("lamp").value("power") is passes


async def test_a_trigger_id_says_which_trigger_started_the_run(rig: Rig) -> None:
    """Like Home Assistant's ``trigger.id``: named, or the trigger's position when unnamed."""
    await add(rig, mode="queued", max=5, trigger=[
        {"platform": "webhook", "webhook_id": "on", "id": "lamp-on"},
        {"platform": "webhook", "webhook_id": "other"}],
        action=[{"action": "choose", "choices": [
            {"conditions": [{"condition": "trigger", "path": "id", "state": "lamp-on"}],
             "sequence": [{"action": "set", "device": "lamp", "feature": "power", "value": True}]}],
            "default": [{"action": "publish", "topic": "other/{trigger.id}"}]}])  # fmt: skip
    rig.engine.fire_webhook("other")
    await until(lambda: rig.published.messages)
    assert rig.published.messages[0][0] == "other/1"
    assert rig.registry.get("lamp").value("power") is False
    rig.engine.fire_webhook("on")
    await until(lambda: rig.registry.get("lamp").value("power") is True)
    assert [t["trigger"]["id"] for t in rig.engine.traces("a1")] == ["lamp-on", "1"]


async def test_the_trace_shows_what_a_condition_saw(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "webhook", "webhook_id": "go"}],
              condition=[{"condition": "numeric", "device": "thermo", "feature": "temperature",
                          "above": 30}], action=LAMP_ON)  # fmt: skip
    rig.engine.fire_webhook("go")
    trace = rig.engine.traces("a1")[0]
    assert trace["result"] == "conditions_failed"
    assert trace["conditions"][0]["saw"] == 20.0


# ---- actions ------------------------------------------------------------------------------


async def test_call_delay_notify_and_scene(rig: Rig) -> None:
    await rig.engine.scenes.save(parse_scene({"id": "dim", "name": "Dim", "targets": [
        {"device": "lamp", "feature": "brightness", "value": 10}]}))  # fmt: skip
    notes: list[Notification] = []
    rig.bus.subscribe(Notification, notes.append)
    await add(rig, trigger=[{"platform": "webhook", "webhook_id": "go"}], action=[
        {"action": "call", "device": "lamp", "feature": "toggle"},
        {"action": "delay", "seconds": 0.05},
        {"action": "scene", "scene": "dim"},
        {"action": "notify", "title": "Lamp", "message": "now {trigger.webhook_id}"},
    ])  # fmt: skip
    rig.engine.fire_webhook("go")
    await until(lambda: notes)
    lamp = rig.registry.get("lamp")
    assert (lamp.value("power"), lamp.value("brightness")) == (True, 10)
    assert notes[0].message == "now go"
    steps = rig.engine.traces("a1")[0]["actions"]
    assert [s["action"] for s in steps] == ["call", "delay", "scene", "notify"]
    assert steps[1]["ms"] >= 50
    assert steps[2]["devices"][0]["status"] in {"confirmed", "acknowledged"}


async def test_wait_for_a_trigger_and_its_timeout(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "webhook", "webhook_id": "go"}], action=[
        {"action": "wait", "timeout": 1, "trigger": [
            {"platform": "event", "device": "button", "event": "action"}]},
        {"action": "set", "device": "lamp", "feature": "brightness", "value": 77},
    ])  # fmt: skip
    rig.engine.fire_webhook("go")
    await until(lambda: rig.engine.traces("a1") and rig.engine.traces("a1")[0]["actions"])
    rig.bus.publish(DeviceEvent("button", "action", {"value": "single"}))
    await until(lambda: rig.registry.get("lamp").value("brightness") == 77)
    await add(rig, id="a2", trigger=[{"platform": "webhook", "webhook_id": "go2"}], action=[
        {"action": "wait", "timeout": 0.05, "continue_on_timeout": False, "trigger": [
            {"platform": "event", "device": "button", "event": "action"}]},
        {"action": "set", "device": "lamp", "feature": "brightness", "value": 1},
    ])  # fmt: skip
    rig.engine.fire_webhook("go2")
    await until(lambda: rig.engine.traces("a2")[0]["result"] == "stopped")
    assert rig.registry.get("lamp").value("brightness") == 77


async def test_choose_repeat_and_stop(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "webhook", "webhook_id": "go"}], action=[
        {"action": "choose", "choices": [
            {"conditions": [{"condition": "state", "device": "lamp", "feature": "power",
                             "state": True}],
             "sequence": [{"action": "set", "device": "lamp", "feature": "brightness",
                           "value": 99}]}],
         "default": [{"action": "set", "device": "lamp", "feature": "brightness", "value": 5}]},
        {"action": "repeat", "count": 3, "sequence": [
            {"action": "publish", "topic": "t/{trigger.repeat.index}", "payload": "x"}]},
        {"action": "repeat", "until": [{"condition": "state", "device": "lamp",
                                        "feature": "power", "state": True}],
         "sequence": [{"action": "call", "device": "lamp", "feature": "toggle"}]},
        {"action": "stop", "reason": "enough"},
        {"action": "set", "device": "lamp", "feature": "brightness", "value": 42},
    ])  # fmt: skip
    rig.engine.fire_webhook("go")
    await until(lambda: rig.engine.traces("a1")[0]["result"] == "stopped")
    lamp = rig.registry.get("lamp")
    assert (lamp.value("brightness"), lamp.value("power")) == (5, True)
    assert [t for t, _ in rig.published.messages] == ["t/1", "t/2", "t/3"]
    steps = rig.engine.traces("a1")[0]["actions"]
    assert steps[0]["chose"] == "default"
    assert steps[2]["iterations"] == 1
    assert rig.engine.traces("a1")[0]["error"] == "enough"


async def test_enable_and_disable_other_automations(rig: Rig) -> None:
    await add(rig, id="target", trigger=[{"platform": "webhook", "webhook_id": "t"}],
              action=LAMP_ON)  # fmt: skip
    await add(rig, id="switch", trigger=[{"platform": "webhook", "webhook_id": "s"}],
              action=[{"action": "disable", "automation": "target"}])  # fmt: skip
    rig.engine.fire_webhook("s")
    await until(lambda: not rig.engine.get("target").enabled)
    rig.engine.fire_webhook("t")
    await asyncio.sleep(0.05)  # absence: a disabled automation does not run
    assert rig.registry.get("lamp").value("power") is False
    assert rig.engine.traces("target") == []


async def test_a_failing_action_is_an_error_in_the_trace(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "webhook", "webhook_id": "go"}], action=[
        {"action": "set", "device": "lamp", "feature": "brightness", "value": 500}])  # fmt: skip
    rig.engine.fire_webhook("go")
    await until(lambda: rig.engine.traces("a1")[0]["result"] == "error")
    assert "from 1 to 100" in rig.engine.traces("a1")[0]["error"]


# ---- run modes ----------------------------------------------------------------------------

SLOW = [{"action": "delay", "seconds": 0.15}, {"action": "publish", "topic": "done"}]


@pytest.mark.parametrize(
    ("mode", "results", "published"),
    [
        ("single", ["done", "skipped", "skipped"], 1),
        ("restart", ["cancelled", "cancelled", "done"], 1),
        ("queued", ["done", "done", "skipped"], 2),
        ("parallel", ["done", "done", "skipped"], 2),
    ],
)
async def test_run_modes(rig: Rig, mode: str, results: list[str], published: int) -> None:
    await add(rig, mode=mode, max=2, trigger=[{"platform": "webhook", "webhook_id": "go"}],
              action=SLOW)  # fmt: skip
    for _ in range(3):
        rig.engine.fire_webhook("go")
    traces = rig.engine.traces
    await until(
        lambda: len(traces("a1")) == 3 and all(t["result"] != "running" for t in traces("a1")), 2
    )
    await asyncio.sleep(0.05)  # absence: no further run starts
    traces = list(reversed(rig.engine.traces("a1")))
    assert [t["result"] for t in traces] == results
    assert len(rig.published.messages) == published


@pytest.mark.parametrize("how", ["disable", "delete"])
async def test_disabling_or_deleting_an_automation_cancels_its_runs(rig: Rig, how: str) -> None:
    await add(rig, mode="queued", max=3, trigger=[{"platform": "webhook", "webhook_id": "go"}],
              action=SLOW)  # fmt: skip
    rig.engine.fire_webhook("go")
    rig.engine.fire_webhook("go")  # queued behind the first
    await until(lambda: len(rig.engine.trace_log.of("a1")) == 2)
    traces = rig.engine.trace_log.of("a1")
    if how == "disable":
        await rig.engine.set_enabled("a1", False)
    else:
        await rig.engine.delete("a1")
    await asyncio.sleep(0.3)  # long enough for the delay to have ended
    assert rig.published.messages == []  # the step after the delay never ran
    assert sorted(t["result"] for t in traces) == ["cancelled", "cancelled"]


async def test_runs_are_announced_and_traces_are_bounded(rig: Rig) -> None:
    ran: list[AutomationRan] = []
    rig.bus.subscribe(AutomationRan, ran.append)
    await add(rig, mode="parallel", max=50,
              trigger=[{"platform": "webhook", "webhook_id": "go"}],
              action=[{"action": "publish", "topic": "x"}])  # fmt: skip
    for _ in range(15):
        rig.engine.fire_webhook("go")
    await until(lambda: len(ran) == 15)
    assert len(rig.engine.traces("a1")) == 10


# ---- the index ----------------------------------------------------------------------------


async def test_an_event_only_evaluates_the_automations_that_can_match(rig: Rig) -> None:
    for i in range(200):
        await add(rig, id=f"other{i}", trigger=[{"platform": "state", "device": f"dev{i}",
                                                 "feature": "power"}], action=LAMP_ON)  # fmt: skip
    await add(rig, id="mine", trigger=[{"platform": "state", "device": "thermo",
                                        "feature": "temperature"}], action=LAMP_ON)  # fmt: skip
    before = rig.engine.evaluations
    rig.registry.update("thermo", {"temperature": 21.0})
    assert rig.engine.evaluations - before == 1


# ---- validation ---------------------------------------------------------------------------


def test_errors_name_the_automation_and_the_field() -> None:
    with pytest.raises(ConfigError, match=r"automation 'Night light' \(n\): action\.0\.value"):
        parse_automation({"id": "n", "alias": "Night light",
                          "trigger": [{"platform": "start"}],
                          "action": [{"action": "set", "device": "x", "feature": "y"}]})  # fmt: skip
    with pytest.raises(ConfigError, match=r"automation 'c': trigger\.0\.cron"):
        parse_automation({"id": "c", "trigger": [{"platform": "cron", "cron": "* * *"}],
                          "action": [{"action": "stop"}]})  # fmt: skip
    with pytest.raises(ConfigError, match=r"automation 'u': trigger\.0"):
        parse_automation({"id": "u", "trigger": [{"platform": "telepathy"}],
                          "action": [{"action": "stop"}]})  # fmt: skip


# ---- the hot path -------------------------------------------------------------------------

MQTT_ECHO = {
    "mode": "parallel",
    "max": 100,
    "trigger": [{"platform": "mqtt", "topic": "bench/trigger", "value_path": "value",
                 "payload": 1}],
    "action": [{"action": "publish", "topic": "bench/action", "payload": "{trigger.payload}"}],
}  # fmt: skip


async def test_an_mqtt_reply_is_sent_inside_the_bus_handler_without_a_task(rig: Rig) -> None:
    await add(rig, **MQTT_ECHO)
    tasks = asyncio.all_tasks()
    rig.bus.publish(MqttMessage("bench/trigger", b'{"value": 1, "seq": 7}'))
    assert rig.published.messages == [("bench/action", b'{"value": 1, "seq": 7}')]
    assert asyncio.all_tasks() == tasks
    rig.bus.publish(MqttMessage("bench/trigger", b'{"value": 2}'))  # the condition says no
    assert len(rig.published.messages) == 1
    assert [t["result"] for t in rig.engine.traces("a1")] == ["done"]


async def test_a_run_with_device_commands_is_one_task(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "webhook", "webhook_id": "go"}], action=LAMP_ON)
    tasks = asyncio.all_tasks()
    rig.engine.fire_webhook("go")
    new = asyncio.all_tasks() - tasks
    assert [t.get_name() for t in new] == [f"automation-{rig.engine.traces('a1')[0]['id']}"]
    await until(lambda: rig.registry.get("lamp").value("power") is True)


async def test_a_run_that_triggers_itself_does_not_recurse_forever() -> None:
    bus = EventBus()
    registry, _ = build_home(bus)
    engine = AutomationEngine(registry, bus, publish=Published(bus))
    await engine.start([{"id": "loop", "trigger": [{"platform": "mqtt", "topic": "echo"}],
                         "action": [{"action": "publish", "topic": "echo"}]}])  # fmt: skip
    try:
        bus.publish(MqttMessage("echo", b""))
        # newest first: the run's own message came back while it ran (mode single)
        assert [t["result"] for t in engine.traces("loop")] == ["skipped", "done"]
    finally:
        await engine.stop()
        registry.close()


async def test_mqtt_and_event_triggers_only_reach_their_own_automations(rig: Rig) -> None:
    for number in range(300):
        await add(rig, id=f"mqtt{number}", trigger=[{"platform": "mqtt", "topic": f"t/{number}"}],
                  action=[{"action": "stop"}])  # fmt: skip
        await add(rig, id=f"event{number}", trigger=[{"platform": "event",
                  "device": f"button{number}", "event": "action"}],
                  action=[{"action": "stop"}])  # fmt: skip
    before = rig.engine.evaluations
    rig.bus.publish(MqttMessage("t/7", b""))
    rig.bus.publish(MqttMessage("t/unknown", b""))
    rig.bus.publish(DeviceEvent("button9", "action", {}))
    assert rig.engine.evaluations - before == 2
    assert len(rig.engine.traces("mqtt7")) == len(rig.engine.traces("event9")) == 1


# ---- definitions over the API -------------------------------------------------------------


async def test_create_update_delete_and_their_errors(rig: Rig) -> None:
    engine = rig.engine
    created = await engine.create({"alias": "Lamp on!", "trigger": [{"platform": "start"}],
                                   "action": LAMP_ON})  # fmt: skip
    assert created.id == "lamp-on"
    with pytest.raises(DuplicateId):
        await engine.create({"id": "lamp-on", "trigger": [{"platform": "start"}],
                             "action": LAMP_ON})  # fmt: skip
    with pytest.raises(InvalidDefinition, match=r"automation 'lamp-on': trigger\.0"):
        await engine.update("lamp-on", {"trigger": [{"platform": "nope"}], "action": LAMP_ON})
    updated = await engine.update("lamp-on", {"alias": "Renamed",
                                              "trigger": [{"platform": "webhook",
                                                           "webhook_id": "x"}],
                                              "action": LAMP_ON})  # fmt: skip
    assert (updated.id, updated.alias) == ("lamp-on", "Renamed")
    assert engine.fire_webhook("x") == 1
    status = engine.status("lamp-on")
    assert (status.source, status.enabled, status.last_result) == ("api", True, "running")
    await engine.delete("lamp-on")
    with pytest.raises(NotFound):
        engine.get("lamp-on")
    with pytest.raises(NotFound):
        engine.traces("lamp-on")
    assert engine.fire_webhook("x") == 0


async def test_run_now_skips_triggers_and_conditions(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "webhook", "webhook_id": "never"}],
              condition=[{"condition": "state", "device": "lamp", "feature": "power",
                          "state": True}], action=LAMP_ON)  # fmt: skip
    trace_id = rig.engine.run_now("a1", {"who": "phone"})
    await until(lambda: rig.registry.get("lamp").value("power") is True)
    trace = rig.engine.traces("a1")[0]
    assert trace["id"] == trace_id
    assert trace["trigger"] == {"platform": "manual", "who": "phone"}


async def test_config_automations_are_read_only_but_remember_being_disabled(
    tmp_path: Path,
) -> None:
    configured = [{"id": "cfg", "trigger": [{"platform": "webhook", "webhook_id": "c"}],
                   "action": LAMP_ON}]  # fmt: skip
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        bus = EventBus()
        registry, _ = build_home(bus, store)
        engine = AutomationEngine(registry, bus, store)
        await engine.start(configured)
        assert engine.status("cfg").source == "config"
        with pytest.raises(InvalidValue, match=r"config\.yaml"):
            await engine.update("cfg", configured[0])
        with pytest.raises(InvalidValue, match=r"config\.yaml"):
            await engine.delete("cfg")
        await engine.set_enabled("cfg", False)
        await engine.stop()
        registry.close()
    async with Store(path) as store:
        bus = EventBus()
        registry, _ = build_home(bus, store)
        engine = AutomationEngine(registry, bus, store)
        await engine.start(configured)
        try:
            assert engine.get("cfg").enabled is False
            assert engine.fire_webhook("c") == 1
            assert engine.traces("cfg") == []  # disabled: not even evaluated
        finally:
            await engine.stop()
            registry.close()


async def test_the_app_is_told_the_topic_filters_once_at_start_and_on_changes() -> None:
    bus = EventBus()
    registry, _ = build_home(bus)
    engine = AutomationEngine(registry, bus)
    told: list[set[str]] = []
    engine.on_topics = told.append
    await engine.start([{"id": f"m{n}", "trigger": [{"platform": "mqtt", "topic": f"t/{n}"}],
                         "action": [{"action": "stop"}]} for n in range(50)])  # fmt: skip
    try:
        assert len(told) == 1
        assert len(told[0]) == 50
        await engine.create({"id": "w", "trigger": [{"platform": "mqtt", "topic": "z/#"}],
                             "action": [{"action": "stop"}]})  # fmt: skip
        assert told[-1] == engine.topic_filters()
        assert "z/#" in told[-1]
        await engine.delete("w")
        assert "z/#" not in told[-1]
        assert len(told[-1]) == 50
    finally:
        await engine.stop()
        registry.close()


# ---- more trigger and action details ------------------------------------------------------


async def test_for_with_from_only_waits_for_the_new_state_to_stay(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "state", "device": "lamp", "feature": "brightness",
                             "from": 50, "for": 0.15}], action=[
              {"action": "set", "device": "plug", "feature": "state", "value": True}])  # fmt: skip
    rig.registry.update("lamp", {"brightness": 60})  # left 50: counting
    await asyncio.sleep(0.05)  # the behaviour: a third of the 0.15 s "for"
    rig.registry.update("lamp", {"brightness": 70})  # did not stay at 60
    await asyncio.sleep(0.2)  # absence: the 0.15 s pass and nothing fires
    assert rig.registry.get("plug").value("state") is False
    rig.registry.update("lamp", {"brightness": 50})
    rig.registry.update("lamp", {"brightness": 40})
    await until(lambda: rig.registry.get("plug").value("state") is True)
    assert rig.engine.traces("a1")[0]["trigger"]["value"] == 40


async def test_a_wait_can_wait_for_a_webhook_and_its_data_is_kept(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "webhook", "webhook_id": "go"}], action=[
        {"action": "wait", "timeout": 1, "trigger": [{"platform": "webhook",
                                                      "webhook_id": "confirm"}]},
        {"action": "notify", "message": "confirmed by {trigger.wait.data.who}"}])  # fmt: skip
    notes: list[Notification] = []
    rig.bus.subscribe(Notification, notes.append)
    rig.engine.fire_webhook("go")
    rig.engine.fire_webhook("confirm", {"who": "Ann"})
    await until(lambda: notes)
    assert notes[0].message == "confirmed by Ann"


async def test_a_failed_device_command_is_recorded_and_the_run_goes_on(rig: Rig) -> None:
    rig.adapter.unreachable.add("lamp")
    await add(rig, trigger=[{"platform": "webhook", "webhook_id": "go"}], action=[
        *LAMP_ON, {"action": "set", "device": "plug", "feature": "state", "value": True}])  # fmt: skip
    rig.engine.fire_webhook("go")
    await until(lambda: rig.engine.traces("a1")[0]["result"] == "done")
    lamp, plug = rig.engine.traces("a1")[0]["actions"]
    assert (lamp["result"], plug["result"]) == ("failed", "confirmed")
    assert "offline" in lamp["error"]


async def test_repeat_while_records_its_iterations(rig: Rig) -> None:
    await add(rig, trigger=[{"platform": "webhook", "webhook_id": "go"}], action=[
        {"action": "repeat", "while": [{"condition": "numeric", "device": "lamp",
                                        "feature": "brightness", "below": 53}],
         "sequence": [{"action": "call", "device": "lamp", "feature": "toggle"},
                      {"action": "publish", "topic": "n/{trigger.repeat.index}"}]}])  # fmt: skip
    rig.registry.update("lamp", {"brightness": 50})

    async def count_up(topic: str, payload: bytes, qos: int, retain: bool) -> None:
        rig.registry.update("lamp", {"brightness": 50 + int(topic.split("/")[1])})

    rig.engine.publish = count_up
    rig.engine.fire_webhook("go")
    await until(lambda: rig.engine.traces("a1")[0]["result"] == "done")
    repeat = rig.engine.traces("a1")[0]["actions"][0]
    assert repeat["iterations"] == 3
    assert [[s["action"] for s in steps] for steps in repeat["steps"]] == [["call", "publish"]] * 3


async def test_a_bad_config_automation_stops_the_start_and_leaves_nothing_running() -> None:
    bus = EventBus()
    registry, _ = build_home(bus)
    engine = AutomationEngine(registry, bus)
    with pytest.raises(InvalidDefinition, match=r"automations\[1\] 'broken': action"):
        await engine.start([
            {"id": "fine", "trigger": [{"platform": "time", "at": "07:00"}], "action": LAMP_ON},
            {"id": "broken", "trigger": [{"platform": "start"}], "action": []},
        ])  # fmt: skip
    registry.close()  # the autouse fixture checks that no task was left behind


async def test_a_stored_automation_that_no_longer_validates_is_skipped(tmp_path: Path) -> None:
    async with Store(tmp_path / "hub.db") as store:
        await store.put("automations", "old", {"id": "old", "trigger": [{"platform": "gone"}],
                                               "action": LAMP_ON})  # fmt: skip
        bus = EventBus()
        registry, _ = build_home(bus, store)
        engine = AutomationEngine(registry, bus, store)
        await engine.start([{"id": "new", "trigger": [{"platform": "start"}], "action": LAMP_ON}])
        try:
            assert [a.id for a in engine.all()] == ["new"]
        finally:
            await engine.stop()
            registry.close()


async def test_a_condition_on_the_payload_and_a_choice_on_the_button(rig: Rig) -> None:
    await add(rig, mode="parallel", trigger=[{"platform": "mqtt", "topic": "in"},
                                             {"platform": "event", "device": "button",
                                              "event": "action"}],
              condition=[{"condition": "or", "conditions": [
                  {"condition": "trigger", "path": "payload_json.value", "above": 0},
                  {"condition": "trigger", "path": "platform", "state": "event"}]}],
              action=[{"action": "choose", "choices": [
                  {"conditions": [{"condition": "trigger", "path": "data.value",
                                   "state": "double"}],
                   "sequence": [{"action": "publish", "topic": "out", "payload": "double"}]}],
                  "default": [{"action": "publish", "topic": "out",
                               "payload": "{trigger.payload}"}]}])  # fmt: skip
    rig.bus.publish(MqttMessage("in", b'{"value": 0}'))
    rig.bus.publish(MqttMessage("in", b'{"value": 5}'))
    rig.bus.publish(DeviceEvent("button", "action", {"value": "double"}))
    assert rig.published.messages == [("out", b'{"value": 5}'), ("out", b"double")]
    failed = rig.engine.traces("a1")[-1]
    assert failed["result"] == "conditions_failed"
    assert failed["conditions"][0]["conditions"][0]["saw"] == 0
