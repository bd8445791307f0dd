"""Commands end within a deadline, and a slow or lossy device is never called wrong-token
(issue 10 item 9), against the simulated firmware's faults on the real wire."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from hub.devices.miio.wire.transport import MiioSession, MiioTransport, RetryPolicy
from hub.errors import DeviceAuthError, DeviceError, DeviceTimeout

# Scaled down 10x from the defaults (1 s attempts, 5 s deadline) so the suite stays quick.
POLICY = RetryPolicy(timeout=0.1, deadline=0.5, backoff=0.01)


@pytest.fixture
async def purifier() -> AsyncIterator[SimulatedDevice]:
    config = DeviceConfig("zhimi.airpurifier.mb3", "127.0.0.1", port=0)
    async with Fleet([config], tick=60.0) as fleet:
        yield fleet.devices[0]


@pytest.fixture
async def session(purifier: SimulatedDevice) -> AsyncIterator[MiioSession]:
    async with MiioTransport(("127.0.0.1", 0), policy=POLICY) as transport:
        session = transport.session(purifier.host, purifier.token, port=purifier.port)
        await session.handshake()
        yield session


async def test_a_slow_device_answers_in_its_own_time_not_thrice_it(
    purifier: SimulatedDevice,
) -> None:
    purifier.faults.slow_reply = 0.3  # three attempts' worth: no attempt's own reply comes
    # within its 0.1 s, so only a call that takes a late reply to an earlier attempt succeeds
    # (a deadline far beyond the reply, so a loaded machine does not turn this into a timeout)
    patient = RetryPolicy(timeout=0.1, retries=30, deadline=5.0, backoff=0.01)
    async with MiioTransport(("127.0.0.1", 0), policy=patient) as transport:
        session = transport.session(purifier.host, purifier.token, port=purifier.port)
        await session.handshake()
        assert (await session.info())["model"] == "zhimi.airpurifier.mb3"


async def test_a_device_slower_than_the_deadline_is_reported_slow_never_wrong_token(
    purifier: SimulatedDevice, session: MiioSession
) -> None:
    purifier.faults.slow_reply = 0.6
    for _ in range(8):  # 40 requests ignored in time, far past the "wrong token" count
        with pytest.raises(DeviceTimeout) as caught:
            await session.info()
        assert "did not answer miIO.info within 0.5 s" in str(caught.value)
        assert "token" not in str(caught.value)


async def test_thirty_percent_loss_never_says_wrong_token(
    purifier: SimulatedDevice, session: MiioSession
) -> None:
    purifier.faults.loss = 0.3
    purifier.faults.rng = random.Random(3)
    failures: list[DeviceError] = []
    for _ in range(60):
        try:
            await session.info()
        except DeviceError as exc:
            failures.append(exc)
    assert not [f for f in failures if isinstance(f, DeviceAuthError)]
    assert len(failures) <= 6  # 5 attempts each: a command fails ~3 % of the time
