"""The bus routes by event type, isolates failing handlers, and bounds slow streams."""

from __future__ import annotations

import logging

import pytest

from hub.bus import DeviceOnline, EventBus, StateChanged


def test_handlers_receive_only_their_event_type() -> None:
    bus = EventBus()
    seen: list[object] = []
    bus.subscribe(StateChanged, seen.append)
    bus.publish(DeviceOnline("a"))
    bus.publish(StateChanged("a", "power", True))
    assert seen == [StateChanged("a", "power", True)]


def test_unsubscribe_stops_delivery() -> None:
    bus = EventBus()
    seen: list[object] = []
    unsubscribe = bus.subscribe(StateChanged, seen.append)
    unsubscribe()
    bus.publish(StateChanged("a", "power", True))
    assert seen == []


def test_a_failing_handler_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[object] = []

    def broken(event: StateChanged) -> None:
        raise RuntimeError("boom")

    bus.subscribe(StateChanged, broken)
    bus.subscribe(StateChanged, seen.append)
    with caplog.at_level(logging.ERROR):
        bus.publish(StateChanged("a", "power", True))
    assert len(seen) == 1
    assert "boom" in caplog.text


async def test_a_slow_stream_drops_and_counts_instead_of_blocking() -> None:
    bus = EventBus()
    async with bus.stream([StateChanged], maxsize=3) as stream:
        for i in range(10):
            bus.publish(StateChanged("a", "pm25", i))
        assert stream.dropped == 7
        received = [stream.get_nowait() for _ in range(3)]
        assert [e.value for e in received if isinstance(e, StateChanged)] == [0, 1, 2]
    bus.publish(StateChanged("a", "pm25", 99))
    assert stream.get_nowait() is None
