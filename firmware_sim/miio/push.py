"""Push to subscribers: ``properties_changed`` and ``event_occured``, resent until acked."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from firmware_sim.miio.identity import Identity

RESEND_AFTER = 1.0
MAX_SENDS = 5
Address = tuple[str, int]


@dataclass
class _Pending:
    client: Address
    payload: dict[str, Any]
    sends: int = 0


class Subscribers:
    def __init__(self, identity: Identity, send: Callable[[bytes, Address], None]) -> None:
        self.identity = identity
        self._send = send
        self.expiry: dict[Address, float] = {}
        self.pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._resender: asyncio.Task[None] | None = None
        self.acked = 0

    def add(self, client: Address, expire: float) -> None:
        self.expiry[client] = time.monotonic() + expire

    def remove(self, client: Address) -> None:
        self.expiry.pop(client, None)

    def clear(self) -> None:
        self.expiry.clear()
        self.pending.clear()

    def close(self) -> None:
        if self._resender is not None:
            self._resender.cancel()
            self._resender = None

    def _active(self) -> list[Address]:
        now = time.monotonic()
        for client in [c for c, t in self.expiry.items() if t < now]:
            del self.expiry[client]
        return list(self.expiry)

    def property_changed(self, siid: int, piid: int, value: Any) -> None:
        did = str(self.identity.did)
        params = [{"did": did, "siid": siid, "piid": piid, "value": value}]
        self._push("properties_changed", params)

    def event(self, siid: int, eiid: int, arguments: list[dict[str, Any]]) -> None:
        params = {"did": str(self.identity.did), "siid": siid, "eiid": eiid, "arguments": arguments}
        self._push("event_occured", params)

    def _push(self, method: str, params: Any) -> None:
        for client in self._active():
            msg_id = next(self._ids) % 100000 or 1
            pending = _Pending(client, {"id": msg_id, "method": method, "params": params})
            self.pending[msg_id] = pending
            self._transmit(pending)
        if self.pending and self._resender is None:
            self._resender = asyncio.get_running_loop().create_task(
                self._resend_loop(), name=f"sim-push-{self.identity.did}"
            )

    def _transmit(self, pending: _Pending) -> None:
        pending.sends += 1
        self._send(self.identity.packet(pending.payload), pending.client)

    def acknowledge(self, client: Address, msg_id: Any) -> None:
        pending = self.pending.get(msg_id) if isinstance(msg_id, int) else None
        if pending is not None and pending.client == client:
            del self.pending[msg_id]
            self.acked += 1

    async def _resend_loop(self) -> None:
        try:
            while self.pending:
                await asyncio.sleep(RESEND_AFTER)
                for msg_id, pending in list(self.pending.items()):
                    if pending.sends >= MAX_SENDS:
                        del self.pending[msg_id]
                    else:
                        self._transmit(pending)
        finally:
            self._resender = None
