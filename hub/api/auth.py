"""Pairing codes, bearer tokens (stored only as hashes), scopes and a lockout.

A token is ``<id>.<secret>``: the id finds the stored record, the secret's SHA-256 is compared
in constant time. Secrets are 32 random bytes, so a plain hash is enough (no slow KDF needed).
Codes and tokens are shown once, when issued, and never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from hub.api.routes import Scope
from hub.store import Store

PAIRING_TTL = 600.0
TOKENS = "api_tokens"
CODES = "pairing_codes"
MAX_FAILURES = 5
FAILURE_WINDOW = 60.0
SCOPE_ORDER = {Scope.NONE: 0, Scope.READ: 1, Scope.CONTROL: 2, Scope.ADMIN: 3}


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Caller:
    token_id: str
    name: str
    scopes: frozenset[str]

    def allows(self, needed: Scope) -> bool:
        return needed is Scope.NONE or str(needed) in self.scopes


class Lockout:
    """Failed attempts per client address; too many in a minute and it waits."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = FAILURE_WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, client: str) -> int:
        """Seconds the client must wait, or 0."""
        failures = self._failures.get(client)
        if not failures:
            return 0
        now = time.monotonic()
        while failures and now - failures[0] > self.window:
            failures.popleft()
        if len(failures) < self.limit:
            return 0
        return int(self.window - (now - failures[0])) + 1

    def failed(self, client: str) -> None:
        if len(self._failures) > 10_000:
            self._failures.clear()
        self._failures.setdefault(client, deque()).append(time.monotonic())


class TokenAuth:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.lockout = Lockout()

    async def create_pairing_code(self, scopes: list[str] | None = None) -> str:
        """A one-time code, valid for 10 minutes, stored only as a hash."""
        code = "-".join(secrets.token_hex(2).upper() for _ in range(3))
        await self.store.put(CODES, _hash(code), {
            "expires": time.time() + PAIRING_TTL,
            "scopes": scopes or ["read", "control", "admin"],
        })  # fmt: skip
        return code

    async def pair(self, code: str, name: str) -> tuple[str, list[str]] | None:
        """Exchange a code for a new token (returned once); None when the code is not valid."""
        key = _hash(code.strip().upper())
        doc = await self.store.get(CODES, key)
        if doc is None:
            return None
        await self.store.delete(CODES, key)  # one time, even if expired
        if doc["expires"] < time.time():
            return None
        return await self.issue(name, list(doc["scopes"])), list(doc["scopes"])

    async def issue(self, name: str, scopes: list[str]) -> str:
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        await self.store.put(TOKENS, token_id, {
            "hash": _hash(secret), "name": name, "scopes": scopes,
            "created": time.time(), "last_used": None,
        })  # fmt: skip
        return f"{token_id}.{secret}"

    async def verify(self, token: str) -> Caller | None:
        token_id, _, secret = token.partition(".")
        if not token_id or not secret or len(token) > 200:
            return None
        doc = await self.store.get(TOKENS, token_id)
        if doc is None or not hmac.compare_digest(doc["hash"], _hash(secret)):
            return None
        doc["last_used"] = time.time()
        self.store.put_later(TOKENS, token_id, doc)
        return Caller(token_id, doc["name"], frozenset(doc["scopes"]))

    async def list_tokens(self) -> list[dict[str, Any]]:
        docs = await self.store.all(TOKENS)
        return [
            {"id": key, "name": d["name"], "scopes": d["scopes"], "created": d["created"],
             "last_used": d["last_used"]}
            for key, d in sorted(docs.items(), key=lambda item: item[1]["created"])
        ]  # fmt: skip

    async def revoke(self, token_id: str) -> bool:
        if await self.store.get(TOKENS, token_id) is None:
            return False
        await self.store.delete(TOKENS, token_id)
        return True
