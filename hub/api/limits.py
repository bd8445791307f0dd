"""Limits that protect the hub from its clients: a lockout for failed credentials and an
idempotency cache so that a retried command is answered without being sent again."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hub.api.errors import ApiError

Answer = tuple[int, bytes]


class Lockout:
    """Failed attempts (bad token, bad pairing code) per client address.

    After ``limit`` failures within ``window`` seconds the address waits until the oldest of
    them leaves the window: every credential it sends meanwhile is refused with 429, right
    or wrong, so guessing cannot go on by watching for a different answer.
    """

    def __init__(self, limit: int = 5, window: float = 60.0, max_clients: int = 4096) -> None:
        self.limit = limit
        self.window = window
        self.max_clients = max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, client: str) -> int:
        """Whole seconds the client must wait before trying again, or 0."""
        failures = self._failures.get(client)
        if failures is None:
            return 0
        now = time.monotonic()
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return 0
        if len(failures) < self.limit:
            return 0
        return max(1, math.ceil(self.window - (now - failures[0])))

    def failed(self, client: str) -> None:
        failures = self._failures.get(client)
        if failures is None:
            failures = self._failures[client] = deque(maxlen=self.limit)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)  # the least recently failing address
        else:
            self._failures.move_to_end(client)
        failures.append(time.monotonic())


@dataclass(slots=True)
class _Entry:
    fingerprint: bytes
    answer: asyncio.Future[Answer]
    created: float


class IdempotencyCache:
    """First answers per (caller, key), kept ``ttl`` seconds, at most ``limit`` of them.

    A retry with the same key gets the first answer (waiting for it if the first request is
    still running); the same key with a different request is refused with 422.
    """

    def __init__(self, ttl: float = 600.0, limit: int = 10_000) -> None:
        self.ttl = ttl
        self.limit = limit
        self.replays = 0
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def run(
        self, key: tuple[str, str], fingerprint: bytes, compute: Callable[[], Awaitable[Answer]]
    ) -> tuple[int, bytes, bool]:
        """The answer and whether it is a replay."""
        now = time.monotonic()
        self._expire(now)
        entry = self._entries.get(key)
        if entry is not None:
            if entry.fingerprint != fingerprint:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different request",
                    "Idempotency-Key",
                )
            status, body = await asyncio.shield(entry.answer)
            self.replays += 1
            return status, body, True
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._entries[key] = _Entry(fingerprint, future, now)
        try:
            answer = await compute()
        except BaseException as exc:
            # Not an answer: forget the key so that a retry really runs again.
            if self._entries.get(key) is not None and self._entries[key].answer is future:
                del self._entries[key]
            if isinstance(exc, Exception):
                future.set_exception(exc)
                with contextlib.suppress(Exception):
                    future.exception()  # retrieved: nobody else may be waiting
            else:
                future.cancel()
            raise
        future.set_result(answer)
        return answer[0], answer[1], False

    def _expire(self, now: float) -> None:
        entries = self._entries
        while entries:
            oldest = next(iter(entries.values()))
            if len(entries) <= self.limit and now - oldest.created < self.ttl:
                break
            entries.popitem(last=False)
