"""History: bytes written per hour, storage over 30 days, and chart query time (issue 14).

50 synthetic devices publish ``StateChanged`` / ``CommandSent`` events on a real EventBus into
the real recorder and a real SQLite file (WAL). Time is simulated: events carry simulated
timestamps and the bench commits exactly when the recorder would (every ``commit_interval``
simulated seconds, or as soon as ``batch_rows`` rows wait), so an hour takes seconds. Bytes
written are the process's ``wchar`` from /proc/self/io (every write() to the database and its
WAL, checkpoints included; nothing else writes during the measured hour).

Profiles, per device:
- idle: temperature changes every minute, humidity every 5 minutes, the switch 4 times a day
  (a phone command and its confirmed change);
- busy: temperature and PM2.5 every 2 seconds, the switch every minute (command + change).

Targets: < 2 MB/h idle, 50 devices x 30 days < 100 MB, 7-day chart query p50 < 50 ms.

With ``--postgres URL`` (a server, e.g. postgresql://postgres@127.0.0.1:5432/test) the 30-day
run and its chart queries are repeated on PostgreSQL, in a database the bench creates and
drops; the size is ``pg_database_size`` after a VACUUM (an empty database's size subtracted),
and again after a VACUUM FULL (the rows alone, the space of pruned rows given back).
Bytes per hour are not measured there: the server, not this process, writes them.

    .venv/bin/python bench/history.py [--days 30] [--commit-interval 30] [--queries 200]
        [--postgres URL] [--only-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.bus import CommandSent, EventBus, Origin, StateChanged  # noqa: E402
from hub.history import HistoryBackend, HistoryDatabase, HistoryRecorder, Retention  # noqa: E402
from hub.history.queries import HistoryReader  # noqa: E402

DEVICES = 50
HOUR, DAY = 3600, 86_400
PROFILES = {
    "idle": {"temperature": 60.0, "humidity": 300.0, "power": DAY / 4},
    "busy": {"temperature": 2.0, "pm25": 2.0, "power": 60.0},
}


def events(
    profile: str, start: float, end: float, seed: int = 7
) -> Iterator[tuple[float, str, str]]:
    """(at, device, feature) in time order, each feature on its period with a random phase."""
    rng = random.Random(seed)
    heap = [
        (start + rng.uniform(0, period), f"dev{d:02}", feature, period)
        for d in range(DEVICES)
        for feature, period in PROFILES[profile].items()
    ]
    heapq.heapify(heap)
    while heap[0][0] < end:
        at, device, feature, period = heap[0]
        yield at, device, feature
        heapq.heapreplace(heap, (at + period, device, feature, period))


def wchar() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise RuntimeError("no wchar in /proc/self/io")


class Simulation:
    def __init__(self, db: HistoryBackend, commit_interval: float, batch_rows: int) -> None:
        self.bus = EventBus()
        self.db = db
        self.recorder = HistoryRecorder(
            self.bus, self.db, commit_interval=1e9, batch_rows=1 << 62,
            retention=Retention(10, 365, every=1e9),
        )  # fmt: skip
        self.commit_interval = commit_interval
        self.batch_rows = batch_rows
        self.values: dict[tuple[str, str], float | bool] = {}
        self.rng = random.Random(1)
        self.now = 0.0
        self.next_commit = 0.0

    async def run(self, profile: str, start: float, end: float) -> None:
        if not self.next_commit:  # on the interval's boundaries, as the recorder commits
            self.next_commit = start - start % self.commit_interval + self.commit_interval
        for at, device, feature in events(profile, start, end, seed=int(start)):
            while at >= self.next_commit:
                await self.recorder.flush(self.next_commit)
                self.next_commit += self.commit_interval
            self.now = at
            self._publish(at, device, feature)
            if self.recorder.pending >= self.batch_rows:
                await self.recorder.flush(at)
        while end >= self.next_commit:
            await self.recorder.flush(self.next_commit)
            self.next_commit += self.commit_interval
        self.now = end

    def _publish(self, at: float, device: str, feature: str) -> None:
        key = (device, feature)
        if feature == "power":
            value: float | bool = not self.values.get(key, False)
            self.bus.publish(CommandSent(device, feature, value, Origin.API, "confirmed", at))
            origin = Origin.API
        else:
            base = 21.0 if feature == "temperature" else 45.0
            old = self.values.get(key, base)
            value = round(float(old) + self.rng.choice((-0.1, 0.1)), 1)
            origin = Origin.DEVICE
        self.values[key] = value
        self.bus.publish(StateChanged(device, feature, value, None, at, origin))


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def measure_hour(profile: str, commit_interval: float, batch_rows: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.db"
        sim = Simulation(HistoryDatabase(path), commit_interval, batch_rows)
        await sim.recorder.start()
        t0 = float(int(time.time()) // HOUR * HOUR - 3 * HOUR)
        await sim.run(profile, t0, t0 + HOUR)  # warm up: entities, first pages
        written, commits, rows = wchar(), sim.recorder.commits, sim.recorder.recorded
        began = time.perf_counter()
        await sim.run(profile, t0 + HOUR, t0 + 2 * HOUR)
        elapsed = time.perf_counter() - began
        result = {
            "mb_per_hour": (wchar() - written) / 1e6,
            "commits": sim.recorder.commits - commits,
            "rows": sim.recorder.recorded - rows,
            "cpu_s_per_hour": elapsed,
            "db_mb_after_2h": size(path) / 1e6,
        }
        await sim.recorder.stop()
        return result


@contextlib.asynccontextmanager
async def sqlite_history() -> AsyncIterator[HistoryBackend]:
    with tempfile.TemporaryDirectory() as tmp:
        yield HistoryDatabase(Path(tmp) / "history.db")


@contextlib.asynccontextmanager
async def postgres_history(server: str) -> AsyncIterator[HistoryBackend]:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    from hub.history.postgres import PostgresHistory

    name = f"mihub_bench_{random.randrange(1 << 32):08x}"
    admin = await psycopg.AsyncConnection.connect(server, autocommit=True)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
        yield PostgresHistory(urlunsplit(urlsplit(server)._replace(path=f"/{name}")), "bench")
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def stored_bytes(db: HistoryBackend, full: bool = False) -> int:
    if isinstance(db, HistoryDatabase):
        await db.writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return size(db.path)
    from hub.history.postgres import PostgresHistory

    assert isinstance(db, PostgresHistory)
    await db.writer.execute("VACUUM FULL ANALYZE" if full else "VACUUM ANALYZE")
    cursor = await db.writer.execute("SELECT pg_database_size(current_database())")
    found = await cursor.fetchone()
    assert found is not None
    return int(found[0])


async def month(
    db: HistoryBackend, days: int, commit_interval: float, queries: int
) -> dict[str, float]:
    sim = Simulation(db, commit_interval, 1000)
    await sim.recorder.start()
    empty = await stored_bytes(sim.db) if not isinstance(db, HistoryDatabase) else 0
    t0 = float(int(time.time()) // DAY * DAY - days * DAY)
    for day in range(days):
        await sim.run("idle", t0 + day * DAY, t0 + (day + 1) * DAY)
        await sim.recorder.retention.prune(sim.db, sim.now)
    stored = await stored_bytes(sim.db) - empty
    reader = HistoryReader(sim.db, clock=lambda: sim.now)
    timings: dict[str, list[float]] = {"5min": [], "hour": [], "raw_day": []}
    rng = random.Random(3)
    for _ in range(queries):
        device = f"dev{rng.randrange(DEVICES):02}"
        features = await reader.features(device)
        for name, resolution in (("5min", 300), ("hour", HOUR)):
            began = time.perf_counter()
            chosen = {"temperature": features["temperature"]}
            week_ago = sim.now - 7 * DAY
            page = await reader.statistics(chosen, week_ago, sim.now, resolution, 10_000)
            timings[name].append(time.perf_counter() - began)
        began = time.perf_counter()
        raw = await reader.raw({"power": features["power"]}, sim.now - DAY, sim.now, 1000)
        timings["raw_day"].append(time.perf_counter() - began)
    # after the queries, which ran on the tables as the recorder left them
    live = (
        await stored_bytes(sim.db, full=True) - empty if not isinstance(db, HistoryDatabase) else 0
    )
    await sim.recorder.stop()
    return {
        "db_mb": stored / 1e6,
        **({"db_mb_vacuum_full": live / 1e6} if live else {}),
        "points_7d_hour": len(page.rows),
        "raw_rows_day": len(raw.rows),
        **{f"p50_{k}_ms": statistics.median(v) * 1000 for k, v in timings.items()},
        **{f"p95_{k}_ms": sorted(v)[int(len(v) * 0.95)] * 1000 for k, v in timings.items()},
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--commit-interval", type=float, default=60.0)
    parser.add_argument("--batch-rows", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: repeat the 30 days there")
    parser.add_argument("--only-postgres", action="store_true")
    args = parser.parse_args()
    backends = [] if args.only_postgres else [("sqlite", sqlite_history())]
    if args.postgres:
        backends.append(("postgresql", postgres_history(args.postgres)))
    if not args.only_postgres:
        for profile in ("idle", "busy"):
            result = await measure_hour(profile, args.commit_interval, args.batch_rows)
            print(f"{profile}: " + ", ".join(f"{k} {v:.2f}" for k, v in result.items()))
    for name, history in backends:
        async with history as db:
            result = await month(db, args.days, args.commit_interval, args.queries)
        numbers = ", ".join(f"{k} {v:.2f}" for k, v in result.items())
        print(f"{name}, idle x {args.days} days: {numbers}")


if __name__ == "__main__":
    asyncio.run(main())
