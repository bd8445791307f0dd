"""Habit mining: its cost on a big house, the event loop beside it, and how right it is.

- mining time: 30 days of a simulated household of 50 devices (the household's 7 and 43 more:
  lights and plugs people switch at random, temperature sensors every 10 minutes), the
  median and the worst of ``--runs`` runs of ``hub.habits.miner.mine``;
- loop stall: a task sleeps 1 ms again and again on an asyncio loop while ``mine`` runs in a
  thread (``loop.run_in_executor``), as the hub runs it; how late the wake-ups come, against
  the same loop with nothing beside it (the floor). Python threads share one interpreter lock:
  a wake-up waits for the miner's thread to give it up, a switch interval (5 ms) or more on a
  busy machine. The same with ``mine`` in a process of its own (a ``ProcessPoolExecutor``),
  which shares nothing with the loop but the rows it is sent;
- precision and recall per seeded household (28 days, the 7 devices), scored against the
  household's planted routines (``tests/habits/scoring.py``), and over all seeds.

    .venv/bin/python bench/habits.py [--seeds 20] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware_sim.household import HouseDevices
from hub.habits.miner import mine
from hub.habits.model import HabitEvent, Suggestion
from tests.habits.scoring import NAMES, TZ, matches, precision_recall, run

BIG = HouseDevices(others=tuple(f"device-{n:02d}" for n in range(43)))


def big_house() -> tuple[list[HabitEvent], float]:
    result = run(1, days=30, devices=BIG)
    precision, recall = precision_recall(result)
    print(
        f"50 devices, 30 days: precision {precision:.2f}, recall {recall:.2f}: "
        + "; ".join(s.title for s in result.suggestions)
    )
    return result.rows, result.now


def timed(rows: list[HabitEvent], now: float) -> tuple[float, list[Suggestion]]:
    began = time.perf_counter()
    found = mine(rows, names=NAMES, automations=[], now=now, tz=TZ, window_days=30)
    return time.perf_counter() - began, found


async def lateness(
    seconds: float | None, rows: list[HabitEvent], now: float, runs: int, pool: Executor | None
) -> list[float]:
    """Wake-up lateness (s) of 1 ms sleeps: for ``seconds``, or while mining runs ``runs``
    times, one after another, in ``pool`` (the loop's default thread pool when None)."""
    loop = asyncio.get_running_loop()
    late: list[float] = []

    async def mining() -> None:
        for _ in range(runs):
            await loop.run_in_executor(pool, timed, rows, now)

    work = None if seconds is not None else asyncio.create_task(mining())
    stop = time.perf_counter() + (seconds or 0)
    while (work is not None and not work.done()) or (work is None and time.perf_counter() < stop):
        asked = time.perf_counter()
        await asyncio.sleep(0.001)
        late.append(time.perf_counter() - asked - 0.001)
    if work is not None:
        await work
    return late


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    rows, now = big_house()
    times = []
    for _ in range(args.runs):
        took, found = timed(rows, now)
        times.append(took)
    print(
        f"mining 30 days of 50 devices ({len(rows)} rows, {len(found)} suggestions): "
        f"median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms"
    )

    beside = asyncio.run(lateness(None, rows, now, args.runs, None))
    with ProcessPoolExecutor(1) as processes:
        processes.submit(int).result()  # the process starts before the clock runs
        apart = asyncio.run(lateness(None, rows, now, args.runs, processes))
    floor = asyncio.run(lateness(sum(times), rows, now, 0, None))
    for name, late in (
        ("idle loop (floor)", floor),
        ("mining in a thread", beside),
        ("mining in a process", apart),
    ):
        print(
            f"{name}: longest stall {max(late) * 1000:.1f} ms, "
            f"median {statistics.median(late) * 1000:.2f} ms over {len(late)} wake-ups"
        )

    right = suggested = found_total = planted = 0
    print("seed  suggestions  precision  recall  missed / wrong")
    for seed in range(1, args.seeds + 1):
        result = run(seed)
        precision, recall = precision_recall(result)
        routines = result.household.routines
        wrong = [s.title for s in result.suggestions if not any(matches(s, r) for r in routines)]
        missed = [
            f"{r.kind} {r.device_id} {r.feature}={r.value}"
            for r in routines
            if not any(matches(s, r) for s in result.suggestions)
        ]
        right += len(result.suggestions) - len(wrong)
        suggested += len(result.suggestions)
        found_total += len(routines) - len(missed)
        planted += len(routines)
        print(
            f"{seed:4d}  {len(result.suggestions):11d}  {precision:9.2f}  {recall:6.2f}  "
            f"{'; '.join(missed + wrong)}"
        )
    print(
        f"all {args.seeds} seeds: precision {right / suggested:.3f} ({right}/{suggested}), "
        f"recall {found_total / planted:.3f} ({found_total}/{planted})"
    )


if __name__ == "__main__":
    main()
