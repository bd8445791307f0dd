"""5-minute statistics of a numeric feature: time-weighted mean, min and max, from its changes.

Pure and synchronous: the recorder feeds it every numeric change and asks it, now and then,
for the buckets that have ended. A bucket in which the value did not change yields nothing:
its value is the one held, which the queries fill in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hub.history.schema import BUCKET


@dataclass(frozen=True, slots=True)
class Bucket:
    entity: int
    start: int
    mean: float
    min: float
    max: float
    first: float | None
    """The value held as the bucket began (None: not known, the feature's first bucket)."""
    last: float


class BucketAccumulator:
    """The open bucket of one numeric feature."""

    __slots__ = (
        "_area",
        "_first",
        "_from",
        "_max",
        "_min",
        "_since",
        "entity",
        "start",
        "value",
    )

    def __init__(self, entity: int) -> None:
        self.entity = entity
        self.value: float | None = None
        """The value now held."""
        self.start: int | None = None
        """The open bucket's start, or None when no change is waiting to be summed."""
        self._first: float | None = None
        self._from = 0.0
        self._since = 0.0
        self._area = 0.0
        self._min = 0.0
        self._max = 0.0

    def add(self, at: float, value: float) -> Bucket | None:
        """Take a change; returns the previous bucket if this change is in a later one."""
        finished = None
        start = int(at // BUCKET) * BUCKET
        if self.start is not None and start > self.start:
            finished = self._finish(self.start + BUCKET)
        if self.start is None:
            self._open(start, at)
        at = max(at, self._since)
        if self.value is not None:
            self._area += self.value * (at - self._since)
        else:
            self._from = at
        self._since = at
        self.value = value
        self._min = min(self._min, value)
        self._max = max(self._max, value)
        return finished

    def close_due(self, now: float) -> Bucket | None:
        """The open bucket, if it has ended by ``now``."""
        if self.start is None or self.start + BUCKET > now:
            return None
        return self._finish(self.start + BUCKET)

    def close_now(self, now: float) -> Bucket | None:
        """The open bucket as it stands at ``now`` (the hub stops): its covered part only."""
        if self.start is None:
            return None
        return self._finish(min(now, self.start + BUCKET))

    def _open(self, start: int, at: float) -> None:
        self.start = start
        self._first = self.value
        self._from = float(start) if self.value is not None else at
        self._since = self._from
        self._area = 0.0
        held = self.value
        self._min = held if held is not None else math.inf
        self._max = held if held is not None else -math.inf

    def _finish(self, end: float) -> Bucket:
        start, value = self.start, self.value
        if start is None or value is None:
            raise RuntimeError("no open bucket")
        end = max(end, self._since)
        area = self._area + value * (end - self._since)
        covered = end - self._from
        mean = area / covered if covered > 0 else value
        bucket = Bucket(self.entity, start, mean, self._min, self._max, self._first, value)
        self.start = None
        return bucket
