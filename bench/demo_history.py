"""What the demo's week of history costs at start (issue 14: the demo has a week of plausible
history, so its charts and suggestions show on first start, and still starts quickly).

1. Playing the week (hub.demo_history.demo_week), writing it through the recorder in one
   transaction (seed_history), and mining it once through the habit service's path (read
   through the history query layer, mined in a thread), each timed, best of ``--rounds``.
2. The whole demo (simulators, private broker, hub, first suggestions) started on a fresh
   data directory, as `mihub demo` does, against the same with the history already there
   (no seeding): the difference is what the week costs the demo's start.

    .venv/bin/python bench/demo_history.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.demo import HOME, demo_home  # noqa: E402
from hub.demo_history import demo_week, seed_history  # noqa: E402
from tests.loopback import free_hosts  # noqa: E402

UTC = ZoneInfo("UTC")


async def seeding(rounds: int) -> None:
    ids = {name: f"miio-{i}" for i, (_, name, _) in enumerate(HOME)}
    best: dict[str, float] = {}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            began = time.perf_counter()
            events = demo_week(ids, time.time(), UTC)
            played = time.perf_counter() - began
            written = await seed_history(Path(tmp) / "history.db", events)
            size = (Path(tmp) / "history.db").stat().st_size
        for name, value in (("play", played), ("write", written)):
            best[name] = min(best.get(name, value), value)
    print(f"week: {len(events)} changes and commands, {size / 1e6:.2f} MB")
    print(f"play the week: {best['play'] * 1000:.0f} ms; write it (one transaction): "
          f"{best['write'] * 1000:.0f} ms")  # fmt: skip


async def demo_start(rounds: int) -> None:
    fresh: list[float] = []
    again: list[float] = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            for times in (fresh, again):  # the second start finds the history there
                began = time.perf_counter()
                first = free_hosts(len(HOME))[0]
                async with demo_home(Path(tmp), port=0, first_host=first, speed=0.001) as home:
                    times.append(time.perf_counter() - began)
                    habits = home.hub.habits
                    found = len(habits.offered()) if habits else 0
                    rows = habits.rows_read if habits else 0
                    read, mined = habits.seconds if habits else (0.0, 0.0)
    print(f"demo start, fresh (seeds the week): best {min(fresh):.2f} s of {fresh}")
    print(f"demo start, history there:          best {min(again):.2f} s of {again}")
    print(f"first mining: read {rows} rows in {read * 1000:.0f} ms, mined them in "
          f"{mined * 1000:.0f} ms (a thread), offers {found} suggestions")  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    await seeding(args.rounds)
    await demo_start(args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
