"""The trigger index and the matching rules behind each trigger kind."""

from __future__ import annotations

from typing import Any

import pytest

from hub.bus import DeviceEvent, DeviceOffline, DeviceOnline, MqttMessage, StateChanged
from hub.scenes.model import Automation, MqttTrigger, StateTrigger, parse_automation
from hub.scenes.triggers import (
    TriggerIndex,
    WebhookCall,
    crossed,
    holds,
    match_event,
    mqtt_data,
)


def automation(automation_id: str, *triggers: dict[str, Any]) -> Automation:
    return parse_automation({"id": automation_id, "trigger": list(triggers),
                             "action": [{"action": "stop"}]})  # fmt: skip


def state(**fields: Any) -> StateTrigger:
    trigger = automation("s", {"platform": "state", "device": "d", "feature": "f", **fields})
    assert isinstance(trigger.trigger[0], StateTrigger)
    return trigger.trigger[0]


def mqtt(**fields: Any) -> MqttTrigger:
    trigger = automation("m", {"platform": "mqtt", "topic": "t", **fields}).trigger[0]
    assert isinstance(trigger, MqttTrigger)
    return trigger


def test_the_index_keys_each_kind_and_forgets_only_what_it_removes() -> None:
    index = TriggerIndex()
    a = automation("a", {"platform": "state", "device": "lamp", "feature": "power"},
                   {"platform": "event", "device": "button", "event": "action"},
                   {"platform": "availability", "device": "lamp", "to": "offline"},
                   {"platform": "mqtt", "topic": "home/door"},
                   {"platform": "mqtt", "topic": "home/+/motion"},
                   {"platform": "webhook", "webhook_id": "bell"},
                   {"platform": "start"})  # fmt: skip
    b = automation("b", {"platform": "state", "device": "lamp", "feature": "power"},
                   {"platform": "mqtt", "topic": "home/door"})  # fmt: skip
    index.add(a.id, a.trigger)
    index.add(b.id, b.trigger)
    assert [e.automation_id for e in index.state[("lamp", "power")]] == ["a", "b"]
    assert index.event[("button", "action")][0].index == 1
    assert index.topic_filters() == {"home/door", "home/+/motion"}
    assert [e.automation_id for e in index.topics("home/hall/motion")] == ["a"]
    assert [e.automation_id for e in index.topics("home/door")] == ["a", "b"]
    assert index.topics("home/hall/motion/extra") == []
    index.remove("a")
    assert [e.automation_id for e in index.state[("lamp", "power")]] == ["b"]
    assert not index.event
    assert not index.availability
    assert not index.webhook
    assert not index.wildcards
    assert not index.start
    assert index.topic_filters() == {"home/door"}
    index.remove("b")
    assert not index.state
    assert not index.topic


def test_a_state_trigger_fires_on_crossing_into_its_state() -> None:
    warm = state(above=24)
    assert crossed(warm, 25, 20)
    assert not crossed(warm, 26, 25)  # already warm: not a new crossing
    assert crossed(warm, 25, None)  # the first report counts
    on = state(to=True, **{"from": False})
    assert crossed(on, True, False)
    assert not crossed(on, True, None)
    assert not crossed(state(to=1), True, False)  # true is not 1
    assert crossed(state(), "b", "a")  # any change
    assert holds(state(to="auto", **{"from": "sleep"}), "auto")  # holding ignores "from"
    assert not holds(state(below=10), "cold")


@pytest.mark.parametrize(
    ("fields", "payload", "matches"),
    [
        ({}, b"anything", True),
        ({"payload": "ON"}, b"ON", True),
        ({"payload": "ON"}, b"on", False),
        ({"payload": 1}, b"1", True),
        ({"value_path": "value", "payload": 1}, b'{"value": 1}', True),
        ({"value_path": "value", "payload": "1"}, b'{"value": 1}', True),
        ({"value_path": "value", "payload": 1}, b'{"value": 2}', False),
        ({"value_path": "value", "payload": True}, b'{"value": 1}', False),
        ({"value_path": "value", "payload": "true"}, b'{"value": true}', True),
        ({"value_path": "a.b", "payload": "x"}, b'{"a": {"b": "x"}}', True),
        ({"value_path": "a.b", "payload": "x"}, b'{"a": 3}', False),
        ({"value_path": "value", "payload": 1}, b"not json", False),
    ],
)
def test_mqtt_payload_matching(fields: dict[str, Any], payload: bytes, matches: bool) -> None:
    data = mqtt_data(mqtt(**fields), "t", payload)
    assert (data is not None) is matches
    if data is not None:
        assert data["payload"] == payload.decode()


def test_mqtt_data_parses_json_payloads_for_templates() -> None:
    data = mqtt_data(mqtt(), "t", b'{"value": 5}')
    assert data == {"platform": "mqtt", "topic": "t", "payload": '{"value": 5}',
                    "payload_json": {"value": 5}}  # fmt: skip
    plain = mqtt_data(mqtt(), "t", b"5")
    assert plain is not None
    assert "payload_json" not in plain


def test_wait_triggers_match_every_kind_of_event() -> None:
    triggers = automation(
        "w",
        {"platform": "state", "device": "d", "feature": "f", "to": "on"},
        {"platform": "event", "device": "d", "event": "press", "data": {"n": 2}},
        {"platform": "availability", "device": "d", "to": "online"},
        {"platform": "mqtt", "topic": "x/+"},
        {"platform": "webhook", "webhook_id": "w"},
    ).trigger
    events: list[object] = [
        StateChanged("d", "f", "on", "off"),
        DeviceEvent("d", "press", {"n": 2}),
        DeviceOnline("d"),
        MqttMessage("x/y", b"hi"),
        WebhookCall("w", {"k": 1}),
    ]
    for number, trigger in enumerate(triggers):
        assert [match_event(trigger, e) is not None for e in events] == [
            i == number for i in range(len(events))
        ], trigger.platform
    assert match_event(triggers[1], DeviceEvent("d", "press", {"n": 1})) is None
    assert match_event(triggers[2], DeviceOffline("d")) is None
