"""What "acknowledged means durable" costs: the latency of an awaited Store write (issue 10.4).

Every `put` returns once its transaction is committed with ``synchronous=FULL`` (on disk,
fsync'd); writers that arrive during a commit share the next one. Measured for 1, 4 and 16
concurrent writers, each doing sequential puts of a small document, against the same store
with ``synchronous=NORMAL`` (the old setting: survives a process kill, not a power cut) as the
floor. Printed: per-write p50 / p99 latency, writes/s, and writes per commit.

    .venv/bin/python bench/durable_writes.py [--writes 400] [--dir /var/tmp]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from hub.store import Store


async def run(directory: Path, writers: int, writes: int, synchronous: str) -> str:
    async with Store(directory / f"bench-{synchronous}-{writers}.db") as store:
        await store.db.execute(f"PRAGMA synchronous={synchronous}")
        latencies: list[float] = []

        async def writer(number: int) -> None:
            for n in range(writes // writers):
                began = time.perf_counter()
                await store.put("scenes", f"w{number}-{n}", {"name": f"scene {n}", "n": n})
                latencies.append(time.perf_counter() - began)

        began, commits = time.perf_counter(), store.commits
        await asyncio.gather(*(writer(w) for w in range(writers)))
        took = time.perf_counter() - began
        cuts = statistics.quantiles(latencies, n=100)
        per_commit = len(latencies) / max(1, store.commits - commits)
        return (
            f"{synchronous:<6} {writers:>2} writers: p50 {cuts[49] * 1000:6.2f} ms  "
            f"p99 {cuts[98] * 1000:6.2f} ms  {len(latencies) / took:7.0f} writes/s  "
            f"{per_commit:5.1f} writes per commit"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writes", type=int, default=400)
    parser.add_argument("--dir", type=Path, default=None, help="where the databases go")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        for writers in (1, 4, 16):
            for synchronous in ("NORMAL", "FULL"):
                print(await run(Path(directory), writers, args.writes, synchronous), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
