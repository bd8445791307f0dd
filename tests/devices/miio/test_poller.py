"""The poll scheduler: one timer, each device at its own rhythm, polls due together batched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hub.devices.miio.poller import PollScheduler
from tests.waiting import until


class Polled:
    """Something polled: it notes when each poll began and answers its next interval."""

    def __init__(self, name: str, interval: float, busy: float = 0.0) -> None:
        self.name = name
        self.interval = interval
        self.busy = busy
        self.polls: list[float] = []
        self.fail = False

    async def cycle(self) -> float:
        self.polls.append(asyncio.get_running_loop().time())
        if self.busy:
            await asyncio.sleep(self.busy)
        if self.fail:
            raise RuntimeError("a bug in a link")
        return self.interval


@pytest.fixture
async def scheduler() -> AsyncIterator[PollScheduler]:
    scheduler = PollScheduler(batch=0.1, retry=0.2)
    yield scheduler
    await scheduler.stop()


async def test_each_device_keeps_its_own_rhythm(scheduler: PollScheduler) -> None:
    quick, slow = Polled("quick", 0.1), Polled("slow", 0.4)
    scheduler.add(quick, 0.0)
    scheduler.add(slow, 0.0)
    await until(lambda: len(slow.polls) >= 3)
    assert len(quick.polls) > len(slow.polls)
    for device in (quick, slow):  # never early (late is the machine's load: bench/ measures it)
        gaps = [b - a for a, b in zip(device.polls, device.polls[1:], strict=False)]
        assert all(gap >= device.interval - 0.003 for gap in gaps), (device.name, gaps)


async def test_devices_due_close_together_are_polled_in_one_wake(
    scheduler: PollScheduler,
) -> None:
    loop = asyncio.get_running_loop()
    devices = [Polled(f"d{i}", 10.0) for i in range(5)]
    added = loop.time()
    for i, device in enumerate(devices):
        scheduler.add(device, 0.2 + i * 0.02)  # due within 0.08 s: one wake, or two at a slot edge
    await until(lambda: all(d.polls for d in devices))
    assert all(len(d.polls) == 1 for d in devices)
    assert len({round(d.polls[0], 3) for d in devices}) <= 2
    for i, device in enumerate(devices):
        assert device.polls[0] >= added + 0.2 + i * 0.02 - 0.003  # never early


async def test_a_hurried_device_is_polled_now_and_again_after_a_running_poll(
    scheduler: PollScheduler,
) -> None:
    loop = asyncio.get_running_loop()
    device = Polled("lamp", 10.0, busy=0.1)
    scheduler.add(device, 5.0)
    await asyncio.sleep(0.05)  # the behaviour: the device is not due for 5 s
    hurried = loop.time()
    scheduler.hurry(device)
    await until(lambda: len(device.polls) == 1)
    assert device.polls[0] < hurried + 4.9  # now, not when it was due (5 s)
    scheduler.hurry(device)  # while that poll runs: another one right after it
    await until(lambda: len(device.polls) == 2)
    assert device.polls[1] < device.polls[0] + 9.9  # right after, not at its 10 s interval


async def test_a_failing_poll_is_logged_retried_and_does_not_stop_the_others(
    scheduler: PollScheduler, caplog: pytest.LogCaptureFixture
) -> None:
    broken, fine = Polled("broken", 0.05), Polled("fine", 0.05)
    broken.fail = True
    scheduler.add(broken, 0.0)
    scheduler.add(fine, 0.0)
    await asyncio.sleep(0.35)  # the behaviour: the scheduler runs; polls are counted
    assert "broken: polling failed" in caplog.text
    assert len(broken.polls) == 2  # at once, then after `retry` (0.2 s)
    assert len(fine.polls) >= 3  # every 0.05 s, on slots of 0.1 s


async def test_a_removed_device_is_no_longer_polled_and_its_poll_is_cancelled(
    scheduler: PollScheduler,
) -> None:
    device = Polled("gone", 0.05, busy=1.0)
    scheduler.add(device, 0.0)
    await until(lambda: len(device.polls) == 1)
    await scheduler.remove(device)
    scheduler.hurry(device)  # a late push for a removed device changes nothing
    await asyncio.sleep(0.2)  # absence: no poll follows
    assert len(device.polls) == 1
