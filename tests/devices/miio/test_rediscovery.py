"""What discovery does with a device it already has a connection to: one that went away and
answers the hello again is tried at once, not after its backoff; one that rejected the hub's
token keeps its long hold (a wrong token stays wrong until a person gives another), so every
discovery round does not send it another round of requests it must ignore."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from hub.bus import EventBus
from hub.config import MiioSection
from hub.devices.miio.connection import ConnectionState, MiioConnection, Timing
from hub.devices.miio.runtime import MiioRuntime
from hub.devices.registry import DeviceRegistry
from tests.loopback import free_hosts
from tests.waiting import until

STALE_TOKEN = "ffeeddccbbaa99887766554433221100"
PATIENT = Timing(fast=0.2, slow=1.0, retry=60.0, retry_cap=60.0)
"""Retries an unanswered device after 60 s."""
QUICK = Timing(fast=0.2, slow=1.0, retry=0.1, retry_cap=0.2)
"""Soon tells a wrong token (12 unanswered requests in a row): then holds it 300 s."""


@asynccontextmanager
async def hub_beside(
    sim: SimulatedDevice, token: str, timing: Timing, timeout: float = 0.2
) -> AsyncIterator[tuple[MiioRuntime, MiioConnection]]:
    config = MiioSection.model_validate({
        "bind": "127.0.0.1", "timeout": timeout, "deadline": 1.0,
        "discovery": {"hosts": [sim.host], "interval": 0},  # rounds run by the test
        "devices": [{"host": sim.host, "token": token}],
    })  # fmt: skip
    registry = DeviceRegistry(EventBus(), offline_grace=0)
    runtime = MiioRuntime(config, registry, timing)
    await runtime.start()
    try:
        yield runtime, runtime.connections[(sim.host, sim.port)]
    finally:
        await runtime.stop()
        registry.close()


async def test_a_device_seen_again_is_tried_at_once() -> None:
    (host,) = free_hosts(1)
    async with Fleet([DeviceConfig("zhimi.airpurifier.mb3", host)], tick=60.0) as fleet:
        sim = fleet.devices[0]
        sim.faults.offline = True  # unplugged as the hub starts
        async with hub_beside(sim, sim.token, PATIENT) as (runtime, connection):
            await until(lambda: connection.state is ConnectionState.OFFLINE, 10)
            due_in = runtime.scheduler.due_in
            await until(lambda: (due_in(connection) or 0) > 30, 10)  # its 60 s backoff
            sim.faults.offline = False  # plugged in again
            await runtime.discover_once()
            await until(lambda: connection.online, 10)


async def test_a_wrong_token_is_not_retried_on_every_discovery_round() -> None:
    (host,) = free_hosts(1)
    async with Fleet([DeviceConfig("zhimi.airpurifier.mb3", host)], tick=60.0) as fleet:
        sim = fleet.devices[0]
        async with hub_beside(sim, STALE_TOKEN, QUICK, timeout=0.05) as (runtime, connection):
            await until(lambda: connection.state is ConnectionState.WRONG_TOKEN, 10)
            due_in = runtime.scheduler.due_in
            await until(lambda: (due_in(connection) or 0) > 200, 10)
            ignored = sim.server.ignored
            for _ in range(2):  # each round listens 1.5 s
                await runtime.discover_once()  # it answers the hello each time
                assert (due_in(connection) or 0) > 200  # still its hold, not now
            assert sim.server.ignored == ignored  # no request with the stale token was sent
