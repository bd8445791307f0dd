"""Limits that protect the hub from its clients: back-off for wrong credentials (by what was
guessed, not by address) and an idempotency cache so that a retried command is answered
without being sent again."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Container
from dataclasses import dataclass

from hub.api.errors import ApiError

_LOGGER = logging.getLogger(__name__)

Answer = tuple[int, bytes]


class GuessWindow:
    """Failures per key in a sliding window: after ``limit`` of them within ``window`` seconds
    the key is locked until the oldest leaves the window. At most ``max_keys`` keys are kept
    (the least recently failing go first), so a flood of made-up keys costs bounded memory.
    """

    def __init__(
        self,
        limit: int,
        window: float,
        max_keys: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = max(1, limit)
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, key: str = "") -> int:
        """Whole seconds until ``key`` is no longer locked, or 0."""
        failures = self._failures.get(key)
        if failures is None:
            return 0
        now = self.clock()
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return 0
        if len(failures) < self.limit:
            return 0
        return max(1, math.ceil(self.window - (now - failures[0])))

    def failed(self, key: str = "") -> bool:
        """Count a failure; True when this one locks the key (it was not locked before)."""
        was_locked = self.retry_after(key) > 0
        failures = self._failures.get(key)
        if failures is None:
            failures = self._failures[key] = deque(maxlen=self.limit)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)
        else:
            self._failures.move_to_end(key)
        failures.append(self.clock())
        return not was_locked and self.retry_after(key) > 0

    def exhausted_since(self, moment: float, key: str = "") -> bool:
        """Whether ``limit`` failures (or more) happened after ``moment`` (on ``clock``)."""
        failures = self._failures.get(key)
        return failures is not None and len(failures) >= self.limit and failures[0] > moment


class GuessLimits:
    """Back-off by what was guessed, never by who asks: many phones share one address behind
    a router or a reverse proxy, and a right credential is always checked first and accepted.

    - **API tokens**, per token id (the part before the dot): after ``token_limit`` wrong
      secrets for one id within ``token_window`` s, wrong tokens for it answer 429. A token's
      secret is 256 random bits, so this is about noise and telling a broken client, not odds.
    - **Pairing codes** (24 bits, valid 10 minutes) have one global budget: a code stops
      working once ``pairing_ceiling`` wrong codes were tried during its life, so a guesser
      gets at most that many tries at any code (odds of 100 in 16.7 million with the default).
      While the ceiling is reached, wrong codes answer 429; a code made afterwards works.

    Each lockout is logged at WARNING once, with the client address, never the secret.
    """

    def __init__(
        self,
        token_limit: int = 5,
        token_window: float = 60.0,
        pairing_ceiling: int = 100,
        pairing_window: float = 600.0,
    ) -> None:
        self.tokens = GuessWindow(token_limit, token_window)
        self.pairing = GuessWindow(pairing_ceiling, pairing_window, clock=time.time)
        self.lockouts = 0

    def token_failed(self, token: str, known: Container[str], client: str) -> int:
        """Count a wrong token; the seconds its id was already locked for (0: answer 401)."""
        token_id = token.partition(".")[0][:64]
        wait = self.tokens.retry_after(token_id)
        if self.tokens.failed(token_id):
            self.lockouts += 1
            # an id the hub never issued may be a pasted secret: log only its hash
            label = token_id if token_id in known else f"#{_hash8(token_id)} (never issued)"
            _LOGGER.warning(
                "API token lockout: %d wrong tokens for token id %s within %.0f s (last from "
                "%s); wrong tokens for it answer 429 for %d s, the right one still works",
                self.tokens.limit, label, self.tokens.window, client,
                self.tokens.retry_after(token_id),
            )  # fmt: skip
        return wait

    def pairing_failed(self, client: str) -> int:
        """Count a wrong pairing code; the seconds wrong codes were already answered 429 for."""
        wait = self.pairing.retry_after()
        if self.pairing.failed():
            self.lockouts += 1
            _LOGGER.warning(
                "pairing lockout: %d wrong pairing codes within %.0f s (last from %s); the "
                "codes made before now no longer work: make a new one with 'mihub pair'",
                self.pairing.limit, self.pairing.window, client,
            )  # fmt: skip
        return wait

    def code_void(self, created: float) -> bool:
        """Whether a code made at ``created`` (wall clock) has seen too many wrong guesses."""
        return self.pairing.exhausted_since(created)


def _hash8(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


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
