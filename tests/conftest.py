"""Suite-wide fixtures: every test must clean up after itself."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest


def _open_sockets() -> set[str]:
    sockets = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            sockets.add(f"{fd}->{target}")
    return sockets


def _child_pids() -> set[int]:
    pids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        try:
            pids.update(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return pids


@pytest.fixture(autouse=True)
async def verify_no_leftovers() -> AsyncIterator[None]:
    """Fail a test that leaves tasks, sockets or child processes behind."""
    tasks_before = asyncio.all_tasks()
    sockets_before = _open_sockets()
    children_before = _child_pids()
    yield
    for _ in range(3):  # let just-cancelled tasks and closing transports finish
        await asyncio.sleep(0)
    current = asyncio.current_task()
    lingering = [t for t in asyncio.all_tasks() - tasks_before if t is not current and not t.done()]
    leaked_sockets = _open_sockets() - sockets_before
    leaked_children = _child_pids() - children_before
    for task in lingering:
        task.cancel()
    problems = []
    if lingering:
        problems.append(f"lingering tasks: {[t.get_name() for t in lingering]}")
    if leaked_sockets:
        problems.append(f"sockets left open: {sorted(leaked_sockets)}")
    if leaked_children:
        problems.append(f"child processes left running: {sorted(leaked_children)}")
    if problems:
        pytest.fail("; ".join(problems))
