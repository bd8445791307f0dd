"""The habit service: mines the household's recent history for suggestions, in the background,
and remembers what the household decided about each one.

History is read through its query layer (raw state and command rows with their origin, a
bounded window and a bounded number of rows), then mined off the event loop
(``asyncio.to_thread``: :func:`hub.habits.miner.mine` is pure and synchronous). Mining runs
``first_after`` seconds after start, so it never competes with the hub's own start, and then
every ``every`` seconds.

Decisions live in the store's ``suggestions`` collection, keyed by the suggestion's id (stable
across re-mining): ``dismissed`` and ``accepted`` ones are never offered again, ``snoozed``
ones come back once their time is up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from hub.bus import Origin
from hub.devices.model import Feature, FeatureCategory, FeatureKind
from hub.devices.registry import DeviceRegistry
from hub.errors import NotFound
from hub.habits.miner import mine
from hub.habits.model import HabitEvent, Suggestion
from hub.history.queries import HistoryReader, RawRow
from hub.store import Store

_LOGGER = logging.getLogger(__name__)

COLLECTION = "suggestions"
DAY = 86_400.0
PAGE_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class HabitSettings:
    every: float = 6 * 3600.0
    """Seconds between two minings."""
    first_after: float = 300.0
    """Seconds after start before the first mining."""
    window_days: int = 28
    """How far back history is read (raw history is kept ``history.raw_days``)."""
    max_rows: int = 500_000
    """At most this many history rows are read for one mining (the newest are dropped)."""
    snooze_days: float = 7.0


Automations = Callable[[], Sequence[Mapping[str, Any]]]
"""The automations the hub has now, as bodies (the miner never suggests what one does)."""


class HabitService:
    def __init__(
        self,
        history: HistoryReader,
        registry: DeviceRegistry,
        store: Store,
        automations: Automations,
        *,
        tz: ZoneInfo,
        settings: HabitSettings | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.history = history
        self.registry = registry
        self.store = store
        self.automations = automations
        self.tz = tz
        self.settings = settings or HabitSettings()
        self.clock = clock
        self.suggestions: list[Suggestion] = []
        """What the last mining found, best first (decisions not applied: see ``offered``)."""
        self.mined_at: float | None = None
        self.rows_read = 0
        self.seconds = (0.0, 0.0)
        """The last mining's time to read history, and to mine it (in a thread)."""
        self._decisions: dict[str, dict[str, Any]] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._decisions = await self.store.all(COLLECTION)
        self._task = asyncio.create_task(self._run(), name="habit-mining")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        await asyncio.sleep(self.settings.first_after)
        while True:
            try:
                await self.refresh()
            except Exception:  # the next round tries again; habits must not stop the hub
                _LOGGER.exception("mining habits failed")
            await asyncio.sleep(self.settings.every)

    # ---- mining ----------------------------------------------------------------------------

    async def refresh(self) -> list[Suggestion]:
        """Mine the window of history now; returns (and keeps) what was found."""
        async with self._lock:  # one mining at a time: a demo's and the timer's never overlap
            now = self.clock()
            began = time.perf_counter()
            rows = await self._read(now - self.settings.window_days * DAY, now)
            read_s = time.perf_counter() - began
            names = {device.id: device.name for device in self.registry.devices.values()}
            automations = list(self.automations())
            found = await asyncio.to_thread(
                _mine_rows, rows, names, automations, now, self.tz, self.settings.window_days
            )
            self.suggestions, self.mined_at, self.rows_read = found, now, len(rows)
            self.seconds = (read_s, time.perf_counter() - began - read_s)
            _LOGGER.info(
                "habits: %d suggestions from %d history rows (read %.2f s, mined %.2f s)",
                len(found), len(rows), *self.seconds,
            )  # fmt: skip
            return found

    async def _read(self, start: float, end: float) -> list[tuple[str, str, RawRow]]:
        """Every device's raw rows in [start, end), oldest first, at most ``max_rows``:
        (device id, feature, row). Only everyday features are read (see ``_everyday``): each
        feature read costs a key seek per minute of the window. They are read in one query,
        each labelled by its entity id (the row's ``feature`` is that label)."""
        where: dict[str, tuple[str, str]] = {}
        for device_id, device in list(self.registry.devices.items()):
            for feature, entity in (await self.history.features(device_id)).items():
                known = device.features.get(feature)
                if known is None or _everyday(known):
                    where[str(entity)] = (device_id, feature)
        labels = {label: int(label) for label in where}
        rows: list[tuple[str, str, RawRow]] = []
        limit = self.settings.max_rows
        for day in range(int(start), int(end), int(DAY)):  # a chart's query waits a day at most
            cursor: str | None = None
            while len(rows) < limit:
                page = await self.history.raw(
                    labels, max(day, start), min(day + DAY, end),
                    min(PAGE_ROWS, limit - len(rows)), cursor,
                )  # fmt: skip
                rows.extend((*where[row.feature], row) for row in page.rows)
                if page.next is None:
                    break
                cursor = page.next
            else:
                _LOGGER.warning("habits: read the first %d history rows of the window", limit)
                break
        return rows

    # ---- what is offered, and decisions ----------------------------------------------------

    def offered(self) -> list[Suggestion]:
        """The suggestions to show now: not dismissed, not accepted, not snoozed."""
        now = self.clock()
        return [s for s in self.suggestions if self._open(s.id, now)]

    def _open(self, suggestion_id: str, now: float) -> bool:
        decision = self._decisions.get(suggestion_id)
        if decision is None:
            return True
        return decision.get("decision") == "snoozed" and float(decision.get("until", 0)) <= now

    def get(self, suggestion_id: str) -> Suggestion:
        """An offered suggestion; :class:`NotFound` when there is none by that id (or it has
        been dismissed, accepted, or snoozed)."""
        for suggestion in self.offered():
            if suggestion.id == suggestion_id:
                return suggestion
        raise NotFound(f"no suggestion {suggestion_id!r} is offered now")

    async def dismiss(self, suggestion_id: str) -> None:
        await self._decide(self.get(suggestion_id), "dismissed")

    async def snooze(self, suggestion_id: str, days: float | None = None) -> float:
        """Hide a suggestion for ``days`` (default ``snooze_days``); returns when it returns."""
        until = self.clock() + (self.settings.snooze_days if days is None else days) * DAY
        await self._decide(self.get(suggestion_id), "snoozed", until=until)
        return until

    async def accepted(self, suggestion: Suggestion, automation_id: str) -> None:
        await self._decide(suggestion, "accepted", automation=automation_id)

    async def _decide(self, suggestion: Suggestion, decision: str, **extra: Any) -> None:
        doc = {"decision": decision, "at": self.clock(), "title": suggestion.title, **extra}
        await self.store.put(COLLECTION, suggestion.id, doc)  # committed before the answer
        self._decisions[suggestion.id] = doc


def _everyday(feature: Feature) -> bool:
    """Whether habits can be in a feature: not diagnostics (link quality, fault codes), not
    set-once settings (a child lock, the buzzer), not pictures or names."""
    return feature.category in _EVERYDAY and feature.kind not in _NOT_HABITS


_EVERYDAY = (FeatureCategory.PRIMARY, FeatureCategory.CONTROL)
_NOT_HABITS = (FeatureKind.IMAGE, FeatureKind.TEXT)


def _mine_rows(
    rows: Iterable[tuple[str, str, RawRow]],
    names: Mapping[str, str],
    automations: Sequence[Mapping[str, Any]],
    now: float,
    tz: ZoneInfo,
    window_days: int,
) -> list[Suggestion]:
    """In a worker thread: the rows as the miner's events, then the miner."""
    events = [
        HabitEvent(row.at, device_id, feature, row.value, Origin(row.origin), row.kind == "command")
        for device_id, feature, row in rows
    ]
    return mine(
        events, names=names, automations=automations, now=now, tz=tz, window_days=window_days
    )
