"""Waiting on conditions, never on fixed sleeps: the suite's one polling helper.

::

    await until(lambda: light.feature("power") is True, 5)
    await until_async(lambda: page.text_content("#count"), "3")

A fixed ``asyncio.sleep`` in a test is either the behaviour under test (a simulated clock
running, a delay that must pass, a check that something does NOT happen within a window):
then a comment says so; or it is a wait, and belongs here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

POLL_S = 0.01


async def until(predicate: Callable[[], object], seconds: float = 3.0) -> None:
    """Wait until ``predicate()`` is true, polling; ``TimeoutError`` after ``seconds``."""
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - most conditions have no event to await
            await asyncio.sleep(POLL_S)


async def until_async(
    read: Callable[[], Awaitable[object]], expected: object, seconds: float = 5.0
) -> None:
    """Wait until ``await read()`` equals ``expected``; ``AssertionError`` naming the last
    value seen after ``seconds``."""
    seen: object = None
    try:
        async with asyncio.timeout(seconds):
            while (seen := await read()) != expected:  # noqa: ASYNC110 - as above
                await asyncio.sleep(POLL_S * 5)
    except TimeoutError:
        raise AssertionError(f"waited {seconds} s for {expected!r}; last saw {seen!r}") from None
