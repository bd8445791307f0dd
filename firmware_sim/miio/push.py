"""Push to subscribers: ``properties_changed`` and ``event_occured``, resent until acked.

A client subscribes with ``miIO.sub`` from its UDP socket; that (ip, port) then gets, for the
subscription's lifetime (``expire`` seconds, 300 by default) or until a reboot:

- ``{"id": n, "method": "properties_changed", "params": [{"did", "siid", "piid", "value"}]}``:
  every change of a property whose spec access includes ``notify``. Changes made in one turn
  of the event loop (a behaviour tick, one ``set_properties``) travel in one message, at most
  15 properties each, the latest value of each property only;
- ``{"id": n, "method": "event_occured", "params": {"did", "siid", "eiid", "arguments"}}``.

Each push is a miIO request from the device (its did and stamp, its token). The subscriber
answers ``{"id": n, "result": ["ok"]}``; without that answer the device sends the same message
(same id) again every second, five more times at most, then drops it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from firmware_sim.miio.identity import Identity

RESEND_AFTER = 1.0
RESENDS = 5
DEFAULT_EXPIRE = 300.0
MAX_PARAMS = 15
Address = tuple[str, int]


@dataclass(slots=True)
class PendingPush:
    client: Address
    payload: dict[str, Any]
    sends: int = 0
    timer: asyncio.TimerHandle | None = None


class Subscribers:
    """The subscriptions of one device and the pushes waiting for an acknowledgement."""

    def __init__(self, identity: Identity, send: Callable[[bytes, Address], None]) -> None:
        self.identity = identity
        self._send = send
        self.expiry: dict[Address, float] = {}
        """Subscriber -> ``time.monotonic()`` at which its subscription lapses."""
        self.pending: dict[int, PendingPush] = {}
        """Message id -> a push not acknowledged yet."""
        self.acked = 0
        self.dropped = 0
        """Pushes given up on after every resend went unanswered."""
        self._changes: dict[tuple[int, int], Any] = {}
        self._flush: asyncio.Handle | None = None
        self._last_id = 0

    # ---- subscriptions ----------------------------------------------------------------

    def add(self, client: Address, expire: float = DEFAULT_EXPIRE) -> None:
        self.expiry[client] = time.monotonic() + expire

    def remove(self, client: Address) -> None:
        self.expiry.pop(client, None)

    def active(self) -> list[Address]:
        now = time.monotonic()
        for client in [c for c, t in self.expiry.items() if t <= now]:
            del self.expiry[client]
        return list(self.expiry)

    def clear(self) -> None:
        """Forget every subscription and every unacknowledged push (a reboot, a stop)."""
        self.expiry.clear()
        for pending in self.pending.values():
            if pending.timer is not None:
                pending.timer.cancel()
        self.pending.clear()
        self._changes.clear()
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None

    close = clear

    # ---- what the device reports ------------------------------------------------------

    def property_changed(self, key: Hashable, value: Any) -> None:
        """A MIoT property (key ``(siid, piid)``) changed."""
        if not self.expiry:
            return  # the common case: nobody listens, nothing to build
        siid_piid: tuple[int, int] = key  # type: ignore[assignment]
        self._changes.pop(siid_piid, None)  # re-inserted last: order of the latest change
        self._changes[siid_piid] = value
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_soon(self.flush)

    def event(self, siid: int, eiid: int, arguments: list[dict[str, Any]]) -> None:
        if not self.expiry:
            return
        self.flush()  # changes that came first are reported first
        did = str(self.identity.did)
        self._push(
            "event_occured", {"did": did, "siid": siid, "eiid": eiid, "arguments": arguments}
        )

    def flush(self) -> None:
        """Send the property changes collected so far."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        did = str(self.identity.did)
        changes = [
            {"did": did, "siid": siid, "piid": piid, "value": value}
            for (siid, piid), value in self._changes.items()
        ]
        self._changes.clear()
        for start in range(0, len(changes), MAX_PARAMS):
            self._push("properties_changed", changes[start : start + MAX_PARAMS])

    # ---- delivery ---------------------------------------------------------------------

    def acknowledge(self, client: Address, msg_id: Any) -> None:
        pending = self.pending.get(msg_id) if isinstance(msg_id, int) else None
        if pending is not None and pending.client == client:
            del self.pending[msg_id]
            if pending.timer is not None:
                pending.timer.cancel()
            self.acked += 1

    def _push(self, method: str, params: Any) -> None:
        for client in self.active():
            self._last_id = self._last_id % 99999 + 1
            msg_id = self._last_id
            old = self.pending.pop(msg_id, None)  # 100k pushes ago: long given up on
            if old is not None and old.timer is not None:
                old.timer.cancel()
            payload = {"id": msg_id, "method": method, "params": params}
            self.pending[msg_id] = PendingPush(client, payload)
            self._transmit(msg_id)

    def _transmit(self, msg_id: int) -> None:
        pending = self.pending.get(msg_id)
        if pending is None:
            return
        if pending.sends > RESENDS:
            del self.pending[msg_id]
            self.dropped += 1
            return
        pending.sends += 1
        self._send(self.identity.packet(pending.payload), pending.client)
        loop = asyncio.get_running_loop()
        pending.timer = loop.call_later(RESEND_AFTER, self._transmit, msg_id)
