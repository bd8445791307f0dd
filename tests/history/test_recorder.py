"""The recorder: changes and commands land in the history database with their origin,
in batches, with 5-minute statistics, and old rows are pruned."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.bus import CommandSent, EventBus, Origin, StateChanged
from hub.devices.registry import DeviceRegistry
from hub.history import HistoryBackend, HistoryRecorder, Retention
from hub.history.schema import COMMAND, ORIGINS, STATE
from tests.api.home import build_home
from tests.history.conftest import MakeBackend
from tests.waiting import until

DAY = 86_400


async def rows(db: HistoryBackend, sql: str, *params: Any) -> list[Any]:
    return await db.fetch(sql, params)


async def raw(db: HistoryBackend, device: str, feature: str) -> list[tuple[Any, ...]]:
    """(kind, value, origin, status) of a feature's raw rows, oldest first."""
    found = await rows(
        db,
        "SELECT kind, value, origin, status FROM events JOIN entities ON entities.id = entity "
        "WHERE device_id = ? AND feature = ? ORDER BY at, kind",
        device,
        feature,
    )
    return [(kind, value, str(ORIGINS[origin]), status) for kind, value, origin, status in found]


@pytest.fixture
async def home(make_backend: MakeBackend) -> AsyncIterator[tuple[DeviceRegistry, HistoryRecorder]]:
    bus = EventBus()
    registry, _ = build_home(bus)
    recorder = HistoryRecorder(bus, make_backend(), commit_interval=60)
    async with recorder:
        yield registry, recorder
    registry.close()


async def test_each_change_and_command_is_recorded_with_who_caused_it(
    home: tuple[DeviceRegistry, HistoryRecorder],
) -> None:
    registry, recorder = home
    await registry.command("lamp", "power", True, Origin.API)  # a phone
    await registry.command("lamp", "power", False, Origin.AUTOMATION)
    registry.update("lamp", {"power": True})  # someone pressed the lamp's own button
    await registry.call_action("lamp", "toggle", origin=Origin.SCENE)
    await recorder.flush()
    assert await raw(recorder.db, "lamp", "power") == [
        (COMMAND, 1, "api", "confirmed"),
        (STATE, 1, "api", None),
        (COMMAND, 0, "automation", "confirmed"),
        (STATE, 0, "automation", None),
        (STATE, 1, "device", None),
        (STATE, 0, "device", None),  # the toggle action's effect, reported by the device
    ]
    assert await raw(recorder.db, "lamp", "toggle") == [(COMMAND, None, "scene", "acknowledged")]


async def test_a_command_sorts_after_the_change_before_it_in_the_same_millisecond(
    home: tuple[DeviceRegistry, HistoryRecorder],
) -> None:
    """A command is published when it ends, after its own effect: the phone's change and the
    automation's command below share a millisecond, and the automation's comes later."""
    registry, recorder = home
    t = 1_800_000_000.0
    for event in (  # in the order the bus carries them
        StateChanged("lamp", "power", True, at=t + 0.0003, origin=Origin.API),
        CommandSent("lamp", "power", True, Origin.API, "confirmed", at=t - 0.0001),
        StateChanged("lamp", "power", False, at=t + 0.0009, origin=Origin.AUTOMATION),
        CommandSent("lamp", "power", False, Origin.AUTOMATION, "confirmed", at=t + 0.0006),
    ):
        registry.bus.publish(event)
    await recorder.flush()
    assert await raw(recorder.db, "lamp", "power") == [
        (COMMAND, 1, "api", "confirmed"),
        (STATE, 1, "api", None),
        (COMMAND, 0, "automation", "confirmed"),
        (STATE, 0, "automation", None),
    ]


async def test_values_keep_their_type(home: tuple[DeviceRegistry, HistoryRecorder]) -> None:
    registry, recorder = home
    registry.update("lamp", {"brightness": 70, "mode": "night"})
    registry.update("thermo", {"temperature": 21.5})
    await recorder.flush()
    assert [r[1] for r in await raw(recorder.db, "lamp", "brightness")] == [70]
    assert [r[1] for r in await raw(recorder.db, "lamp", "mode")] == ["night"]
    assert [r[1] for r in await raw(recorder.db, "thermo", "temperature")] == [21.5]


async def test_nothing_is_written_until_a_batch_is_full_or_the_interval_passes(
    home: tuple[DeviceRegistry, HistoryRecorder],
) -> None:
    registry, recorder = home
    recorder.batch_rows = 10
    for brightness in range(1, 10):
        registry.update("lamp", {"brightness": brightness})
    await asyncio.sleep(0.05)
    assert recorder.commits == 0
    assert recorder.pending == 9
    registry.update("lamp", {"brightness": 10})
    await until(lambda: recorder.commits == 1)
    assert recorder.pending == 0
    assert len(await raw(recorder.db, "lamp", "brightness")) == 10
    assert await recorder.flush() == 0  # nothing new: no transaction at all
    assert recorder.commits == 1


async def test_numbers_get_5_minute_statistics_and_switches_do_not(
    home: tuple[DeviceRegistry, HistoryRecorder],
) -> None:
    registry, recorder = home
    t0 = (int(time.time()) // 300 - 10) * 300
    registry.update("thermo", {"temperature": 18.0}, at=t0 - 1)
    registry.update("thermo", {"temperature": 23.0}, at=t0 + 200)
    registry.update("lamp", {"power": True}, at=t0 + 30)
    registry.update("thermo", {"temperature": 26.0}, at=t0 + 330)
    await recorder.flush()
    stats = await rows(
        recorder.db, "SELECT start, mean, min, max, first, last FROM statistics ORDER BY start"
    )
    assert [s[0] for s in stats] == [t0 - 300, t0, t0 + 300]
    _, mean, low, high, first, last = stats[1]
    assert mean == pytest.approx((18 * 200 + 23 * 100) / 300)
    assert (low, high, first, last) == (18, 23, 18, 23)
    entities = await rows(recorder.db, "SELECT DISTINCT entity FROM statistics")
    assert len(entities) == 1  # the thermometer only


async def test_old_rows_are_pruned_and_statistics_outlive_raw_rows(
    make_backend: MakeBackend,
) -> None:
    bus = EventBus()
    registry, _ = build_home(bus)
    retention = Retention(raw_days=10, statistics_days=365)
    # the recorder's own pruning (at start) keeps everything: the test prunes when it is ready
    recorder = HistoryRecorder(bus, make_backend(), retention=Retention(1000, 1000))
    async with recorder:
        now = time.time()
        for age_days in (400, 30, 1):
            registry.update("thermo", {"temperature": float(age_days)}, at=now - age_days * DAY)
        await recorder.flush()
        assert len(await raw(recorder.db, "thermo", "temperature")) == 3
        await retention.prune(recorder.db, now)
        assert [r[1] for r in await raw(recorder.db, "thermo", "temperature")] == [1.0]
        kept = await rows(recorder.db, "SELECT last FROM statistics ORDER BY start")
        assert [k[0] for k in kept] == [30.0, 1.0]
    registry.close()


async def test_stopping_writes_what_waits_and_a_restart_carries_on(
    make_backend: MakeBackend,
) -> None:
    bus = EventBus()
    registry, _ = build_home(bus)
    async with HistoryRecorder(bus, make_backend(), commit_interval=3600):
        registry.update("lamp", {"brightness": 30})
    async with HistoryRecorder(bus, make_backend(), commit_interval=3600) as recorder:
        registry.update("lamp", {"brightness": 40})
        registry.update("thermo", {"temperature": 19.0})
    async with HistoryRecorder(bus, make_backend()) as recorder:
        assert [r[1] for r in await raw(recorder.db, "lamp", "brightness")] == [30, 40]
        assert [r[1] for r in await raw(recorder.db, "thermo", "temperature")] == [19.0]
    registry.close()


async def test_a_postgresql_restart_loses_no_rows(postgres_database: str) -> None:
    """The server drops every connection (a restart): the commit that finds its connection
    broken fails and keeps its rows, the next one reconnects and writes them."""
    import psycopg

    from hub.history.postgres import PostgresHistory

    bus = EventBus()
    registry, _ = build_home(bus)
    async with HistoryRecorder(bus, PostgresHistory(postgres_database, "home")) as recorder:
        registry.update("lamp", {"brightness": 10})
        await recorder.flush()
        async with await psycopg.AsyncConnection.connect(postgres_database) as admin:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        registry.update("lamp", {"brightness": 20})
        try:  # the first use of the dropped connection fails: here, or in the start's pruning
            await recorder.flush()
        except psycopg.OperationalError:
            assert recorder.pending == 1  # the failed commit kept its rows
        registry.update("lamp", {"brightness": 30})
        await recorder.flush()
        assert [r[1] for r in await raw(recorder.db, "lamp", "brightness")] == [10, 20, 30]
    registry.close()
