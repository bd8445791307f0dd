"""Pairing codes, bearer tokens (stored only as hashes) and scopes.

A token is ``<id>.<secret>``: the id finds the record, the secret's SHA-256 is compared in
constant time. Secrets are 32 random bytes, so a plain hash is enough (no slow KDF needed).
A pairing code is one-time, valid 10 minutes, and stored only as its hash too, so ``mihub
pair`` can write it into the store while the hub runs. Codes and tokens are shown once, when
issued, and never logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import sys
import time
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from hub.api.routes import Scope
from hub.errors import HubError, NotFound
from hub.store import Store

PAIRING_TTL = 600.0
TOKENS = "api_tokens"
CODES = "pairing_codes"
ALL_SCOPES = ("read", "control", "admin")
_IMPLIED = {
    "admin": ("admin", "control", "read"),
    "control": ("control", "read"),
    "read": ("read",),
}
_LAST_USED_EVERY = 60.0


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalize_code(code: str) -> str:
    return code.strip().upper()


def expand_scopes(scopes: Iterable[str]) -> list[str]:
    """``admin`` includes ``control``, which includes ``read``; unknown names are refused."""
    granted: set[str] = set()
    for scope in scopes:
        if scope not in _IMPLIED:
            raise HubError(f"unknown scope '{scope}'; scopes are: {', '.join(ALL_SCOPES)}")
        granted.update(_IMPLIED[scope])
    return [s for s in ALL_SCOPES if s in granted]


@dataclass(frozen=True, slots=True)
class Caller:
    token_id: str
    name: str
    scopes: frozenset[str]

    def allows(self, needed: Scope) -> bool:
        return needed is Scope.NONE or str(needed) in self.scopes


@dataclass(frozen=True, slots=True)
class PairingCode:
    created: float
    expires: float
    scopes: tuple[str, ...]

    @property
    def expired(self) -> bool:
        return self.expires < time.time()


@dataclass(slots=True)
class _Token:
    hash: str
    caller: Caller
    created: float
    last_used: float | None
    saved_last_used: float | None

    def doc(self) -> dict[str, Any]:
        return {"hash": self.hash, "name": self.caller.name, "scopes": sorted(self.caller.scopes),
                "created": self.created, "last_used": self.last_used}  # fmt: skip

    def public(self) -> dict[str, Any]:
        return {"id": self.caller.token_id, "name": self.caller.name,
                "scopes": [s for s in ALL_SCOPES if s in self.caller.scopes],
                "created": self.created, "last_used": self.last_used}  # fmt: skip


async def create_pairing_code(
    store: Store, scopes: Iterable[str] = ALL_SCOPES, ttl: float = PAIRING_TTL
) -> str:
    """A one-time code, valid ``ttl`` seconds, written to ``store`` (as a hash only)."""
    granted = expand_scopes(scopes)
    code = "-".join(secrets.token_hex(2).upper() for _ in range(3))
    now = time.time()
    for key, doc in (await store.all(CODES)).items():
        if doc.get("expires", 0) < now:
            await store.delete(CODES, key)
    await store.put(CODES, _hash(code), {"created": now, "expires": now + ttl, "scopes": granted})
    return code


def pairing_url(base_url: str, code: str) -> str:
    """The page's address with the code in its fragment (never sent to the server)."""
    return f"{base_url.rstrip('/')}/#pair={code}"


def print_pairing_code(code: str, url: str, out: TextIO | None = None) -> None:
    """The code and a QR code of ``url`` in the terminal, for a phone's camera."""
    import qrcode

    out = out or sys.stdout
    qr = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_L)
    qr.add_data(url)
    qr.make(fit=True)
    qr.print_ascii(out=out, invert=True)
    minutes = round(PAIRING_TTL / 60)
    out.write(f"\nPairing code: {code}\n")
    out.write(f"Scan the QR code with the phone, or open {url.split('#')[0]} and enter the code.\n")
    out.write(f"It works once, within {minutes} minutes.\n")
    out.flush()


async def pair_in_terminal(
    store: Store, base_url: str, scopes: Iterable[str] = ALL_SCOPES, out: TextIO | None = None
) -> str:
    """``mihub pair``: store a new code so the running hub accepts it, and show it."""
    code = await create_pairing_code(store, scopes)
    print_pairing_code(code, pairing_url(base_url, code), out)
    return code


class TokenAuth:
    """The hub's API tokens: kept in memory for a fast check, persisted in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._tokens: dict[str, _Token] = {}
        self._pairing = asyncio.Lock()

    async def load(self) -> None:
        for token_id, doc in (await self.store.all(TOKENS)).items():
            if token_id in self._tokens or "hash" not in doc:
                continue
            caller = Caller(token_id, str(doc.get("name", "")), frozenset(doc.get("scopes", ())))
            last_used = doc.get("last_used")
            self._tokens[token_id] = _Token(doc["hash"], caller, float(doc.get("created", 0)),
                                            last_used, last_used)  # fmt: skip

    async def create_pairing_code(self, scopes: Iterable[str] | None = None) -> str:
        return await create_pairing_code(self.store, scopes or ALL_SCOPES)

    async def take_code(self, code: str) -> PairingCode | None:
        """Look a code up and use it up (one time, valid or not); None when it is unknown."""
        key = _hash(normalize_code(code))
        async with self._pairing:  # two requests with one code: only the first gets it
            doc = await self.store.get(CODES, key)
            if doc is None:
                return None
            await self.store.delete(CODES, key)
        expires = float(doc.get("expires", 0))
        created = float(doc.get("created", expires - PAIRING_TTL))
        return PairingCode(created, expires, tuple(expand_scopes(doc.get("scopes", ()))))

    async def issue(self, name: str, scopes: Iterable[str]) -> str:
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        caller = Caller(token_id, name, frozenset(expand_scopes(scopes)))
        record = _Token(_hash(secret), caller, time.time(), None, None)
        self._tokens[token_id] = record
        await self.store.put(TOKENS, token_id, record.doc())
        return f"{token_id}.{secret}"

    @property
    def ids(self) -> Container[str]:
        """The ids of the tokens issued (ids are not secrets: ``GET /api/tokens`` lists them)."""
        return self._tokens.keys()

    def check(self, token: str) -> Caller | None:
        """The caller a presented token belongs to, or None. No I/O: it runs per request."""
        token_id, _, secret = token.partition(".")
        if not token_id or not secret or len(token) > 200:
            return None
        record = self._tokens.get(token_id)
        if record is None or not hmac.compare_digest(record.hash, _hash(secret)):
            return None
        now = time.time()
        record.last_used = now
        if record.saved_last_used is None or now - record.saved_last_used > _LAST_USED_EVERY:
            record.saved_last_used = now
            self.store.put_later(TOKENS, token_id, record.doc())
        return record.caller

    async def verify(self, token: str) -> Caller | None:
        return self.check(token)

    async def list_tokens(self) -> list[dict[str, Any]]:
        return [t.public() for t in sorted(self._tokens.values(), key=lambda t: t.created)]

    async def revoke(self, token_id: str) -> bool:
        if self._tokens.pop(token_id, None) is None:
            return False
        await self.store.delete(TOKENS, token_id)
        return True

    async def revoke_or_raise(self, token_id: str) -> None:
        if not await self.revoke(token_id):
            raise NotFound(f"no token '{token_id}'")
