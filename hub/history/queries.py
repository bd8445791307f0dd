"""Reading history: a feature's raw rows or its statistics at a resolution, a page at a time.

Raw rows are found one minute-block at a time and statistics one 5-minute bucket at a time,
by key seeks (see ``schema``), so a query costs the length of its range, not the size of the
house. Statistics are filled forward: a bucket with no stored row held the previous value.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from datetime import time as midnight
from typing import Any

from hub.history.backend import ENTITY_SPAN, HistoryBackend
from hub.history.schema import BLOCK_MS, BUCKET, COMMAND, ORIGINS

_RAW = {
    # SQLite: one key seek per minute block (its keys are time first, for cheap commits)
    "sqlite": """
WITH RECURSIVE b(block) AS (
    SELECT CAST(? AS BIGINT) UNION ALL SELECT block + 1 FROM b WHERE block < ?
)
SELECT e.at, e.kind, e.entity, e.value, e.is_bool, e.origin, e.status
FROM b CROSS JOIN events AS e ON e.block = b.block AND e.entity IN ({entities})
WHERE e.at >= ? AND e.at < ? AND (e.at, e.kind, e.entity) > (?, ?, ?)
ORDER BY e.at, e.kind, e.entity LIMIT ?
""",
    # PostgreSQL: its keys are the feature first, one range scan per feature
    "postgresql": """
SELECT e.at, e.kind, e.entity, e.value, e.is_bool, e.origin, e.status
FROM events AS e
WHERE e.block >= ? AND e.block <= ? AND e.entity IN ({entities})
    AND e.at >= ? AND e.at < ? AND (e.at, e.kind, e.entity) > (?, ?, ?)
ORDER BY e.at, e.kind, e.entity LIMIT ?
""",
}
_BUCKETS = {
    "sqlite": f"""
WITH RECURSIVE b(start) AS (
    SELECT CAST(? AS BIGINT) UNION ALL SELECT start + {BUCKET} FROM b WHERE start < ?
)
SELECT s.start, s.mean, s.min, s.max, s.first, s.last
FROM b CROSS JOIN statistics AS s ON s.start = b.start AND s.entity = ?
""",  # noqa: S608 - BUCKET is a constant
    "postgresql": """
SELECT s.start, s.mean, s.min, s.max, s.first, s.last
FROM statistics AS s WHERE s.start >= ? AND s.start <= ? AND s.entity = ? ORDER BY s.start
""",
}
"""The two queries the databases answer best in different words, with the same parameters."""
_LATEST = "SELECT start, last FROM latest WHERE entity = ?"
_NEXT = "SELECT first FROM statistics WHERE entity = ? AND start >= ? ORDER BY start LIMIT 1"


@dataclass(frozen=True, slots=True)
class RawRow:
    feature: str
    at: float
    kind: str
    """state or command"""
    value: Any
    origin: str
    status: str | None


@dataclass(frozen=True, slots=True)
class StatRow:
    feature: str
    start: int
    mean: float
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Any]
    next: str | None
    """The cursor of the next page, or None when this is the last."""


class BadCursor(ValueError):
    """A cursor this reader did not make."""


DAY = 86_400


class HistoryReader:
    """Statistics group by the hub's own clock (``tz``): an hour or a day starts when the
    kitchen clock says so, so a day is local midnight to midnight, 23 or 25 hours long on the
    days summer time starts or ends."""

    def __init__(self, db: HistoryBackend, clock: Any = time.time, tz: tzinfo = UTC) -> None:
        self.db = db
        self.clock = clock
        self.tz = tz
        self._raw_sql = _RAW[db.dialect]
        self._buckets_sql = _BUCKETS[db.dialect]

    async def features(self, device_id: str) -> dict[str, int]:
        """The device's recorded features and their entity ids."""
        first = self.db.first_entity  # this hub's, when hubs share the database
        rows = await self.db.fetch(
            "SELECT feature, id FROM entities WHERE device_id = ? AND id > ? AND id <= ? "
            "ORDER BY id",
            (device_id, first, first + ENTITY_SPAN),
        )
        return dict(rows)

    async def raw(
        self,
        features: Mapping[str, int],
        start: float,
        end: float,
        limit: int,
        cursor: str | None = None,
    ) -> Page:
        """State changes and commands of these features in [start, end), oldest first."""
        if not features:
            return Page([], None)
        after = (
            _parse(cursor, "r", 3)
            if cursor is not None
            else (int(start * 1000) - 1, COMMAND - 1, 0)
        )
        start_ms, end_ms = max(int(start * 1000), after[0]), int(end * 1000)
        names = {entity: feature for feature, entity in features.items()}
        sql = self._raw_sql.format(entities=",".join(str(int(e)) for e in names))
        params = (
            start_ms // BLOCK_MS,
            (end_ms - 1) // BLOCK_MS,
            start_ms,
            end_ms,
            *after,
            limit + 1,
        )
        found = await self.db.fetch(sql, params)
        rows = [_raw_row(names, row) for row in found[:limit]]
        if len(found) <= limit:
            return Page(rows, None)
        last = found[limit - 1]
        return Page(rows, f"r.{last[0]}.{last[1]}.{last[2]}")

    async def statistics(
        self,
        features: Mapping[str, int],
        start: float,
        end: float,
        resolution: int,
        limit: int,
        cursor: str | None = None,
    ) -> Page:
        """Mean, min and max per ``resolution`` seconds (a multiple of 5 minutes), filled
        forward, feature by feature, in [start, end) and up to now."""
        first = self._group_start(int(start // BUCKET) * BUCKET, resolution)
        end = min(end, self.clock())
        after_entity, after_start = (
            _parse(cursor, "s", 2) if cursor is not None else (0, first - resolution)
        )
        rows: list[StatRow] = []
        last_entity = 0
        for feature, entity in sorted(features.items(), key=lambda item: item[1]):
            if entity < after_entity:
                continue
            begin = self._next_group(after_start, resolution) if entity == after_entity else first
            for point in await self._series(feature, entity, begin, end, resolution):
                if len(rows) == limit:
                    return Page(rows, f"s.{last_entity}.{rows[-1].start}")
                rows.append(point)
                last_entity = entity
        return Page(rows, None)

    async def _series(
        self, feature: str, entity: int, start: int, end: float, resolution: int
    ) -> list[StatRow]:
        if start >= end:
            return []
        last_bucket = int((end - 1) // BUCKET) * BUCKET
        stored = await self.db.fetch(self._buckets_sql, (start, last_bucket, entity))
        held = await self._held_at(entity, start, stored)
        by_start = {row[0]: row for row in stored}
        groups: dict[int, list[tuple[float, float, float]]] = {}
        group, following = start, self._next_group(start, resolution)
        for bucket in range(start, last_bucket + 1, BUCKET):
            if bucket >= following:
                group = self._group_start(bucket, resolution)
                following = self._next_group(group, resolution)
            row = by_start.get(bucket)
            if row is not None:
                _, mean, low, high, _, held = row
            elif held is None:
                continue
            else:
                mean = low = high = held
            groups.setdefault(group, []).append((mean, low, high))
        return [
            StatRow(
                feature,
                group,
                sum(point[0] for point in points) / len(points),
                min(point[1] for point in points),
                max(point[2] for point in points),
            )
            for group, points in groups.items()
        ]

    def _group_start(self, at: int, resolution: int) -> int:
        """The start of the group holding the bucket that starts at ``at``: local midnight for
        a day, else a whole multiple of ``resolution`` on the local clock."""
        if resolution == BUCKET:  # every time zone's offset is a whole number of buckets
            return at
        local = datetime.fromtimestamp(at, self.tz)
        if resolution >= DAY:
            return int(datetime.combine(local.date(), midnight(), self.tz).timestamp())
        offset = local.utcoffset() or timedelta()
        return at - (at + int(offset.total_seconds())) % resolution

    def _next_group(self, group: int, resolution: int) -> int:
        if resolution < DAY:
            return group + resolution
        tomorrow = datetime.fromtimestamp(group, self.tz).date() + timedelta(days=1)
        return int(datetime.combine(tomorrow, midnight(), self.tz).timestamp())

    async def _held_at(self, entity: int, start: int, stored: list[Any]) -> float | None:
        """The value the feature held as ``start`` began, if history knows it."""
        if stored:
            first: float | None = stored[0][4]
            return first
        latest = await self.db.fetch(_LATEST, (entity,))
        if not latest:
            return None
        latest_start, last = latest[0]
        if latest_start < start:
            return float(last)
        following = await self.db.fetch(_NEXT, (entity, start))
        return None if not following else following[0][0]


def _raw_row(names: Mapping[int, str], row: Any) -> RawRow:
    at, kind, entity, value, is_bool, origin, status = row
    kind_name = "command" if kind == COMMAND else "state"
    value = bool(value) if is_bool else value
    return RawRow(names[entity], at / 1000, kind_name, value, str(ORIGINS[origin]), status)


def _parse(cursor: str, prefix: str, parts: int) -> tuple[int, ...]:
    pieces = cursor.split(".")
    if len(pieces) != parts + 1 or pieces[0] != prefix:
        raise BadCursor(cursor)
    try:
        return tuple(int(piece) for piece in pieces[1:])
    except ValueError:
        raise BadCursor(cursor) from None
