"""Eager runs: a run that never waits needs no task; one that waits becomes an ordinary task."""

from __future__ import annotations

import asyncio

import pytest

from hub.scenes.runs import start_eagerly


async def test_a_coroutine_that_never_waits_runs_at_once_without_a_task() -> None:
    done: list[str] = []

    async def quick() -> None:
        done.append("ran")

    before = len(asyncio.all_tasks())
    assert start_eagerly(quick(), "quick") is None
    assert done == ["ran"]
    assert len(asyncio.all_tasks()) == before


async def test_a_coroutine_that_waits_carries_on_in_a_named_task() -> None:
    steps: list[str] = []

    async def slow() -> None:
        steps.append("before")
        await asyncio.sleep(0.01)  # the coroutine under test waits: that is the behaviour
        steps.append("after")

    task = start_eagerly(slow(), "slow-run")
    assert steps == ["before"]  # the synchronous part ran already
    assert task is not None
    assert task.get_name() == "slow-run"
    await task
    assert steps == ["before", "after"]


@pytest.mark.parametrize("before_first_step", [True, False])
async def test_cancelling_reaches_the_coroutine_where_it_waits(before_first_step: bool) -> None:
    seen: list[str] = []

    async def waits() -> None:
        try:
            await asyncio.sleep(10)  # the coroutine under test, cancelled while it waits
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        finally:
            seen.append("cleaned up")

    task = start_eagerly(waits(), "waiting")
    assert task is not None
    if not before_first_step:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled", "cleaned up"]


async def test_an_exception_before_the_first_wait_reaches_the_caller() -> None:
    async def fails() -> None:
        raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        start_eagerly(fails(), "fails")


async def test_results_of_awaited_futures_reach_the_coroutine() -> None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[int] = loop.create_future()
    got: list[int] = []

    async def reads() -> None:
        got.append(await future)
        got.append(await asyncio.wait_for(asyncio.sleep(0, 7), 1))

    task = start_eagerly(reads(), "reads")
    assert task is not None
    loop.call_later(0.01, future.set_result, 42)
    await task
    assert got == [42, 7]
