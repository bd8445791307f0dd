"""Requests a device sends us (pushes): every copy acknowledged, each id handed on once.

A subscribed device sends miIO *requests* to the transport's socket and resends each until it
is acknowledged; the session's inbox acks every copy (a resend means our ack was lost) and
passes each id on once to the session's ``on_request`` handler.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.devices.miio.wire.session import MiioSession

_LOGGER = logging.getLogger(__name__)

PUSH_MEMORY = 30.0
"""Seconds a device request id is remembered (firmware resends for ~5 s)."""


class PushInbox:
    """Requests from one device: acknowledged every time, handed on once."""

    __slots__ = ("_seen", "_session")

    def __init__(self, session: MiioSession) -> None:
        self._session = session
        self._seen: dict[int, float] = {}

    def clear(self) -> None:
        """Forget seen ids (after a reboot the device counts from 1 again)."""
        self._seen.clear()

    def received(self, device_id: int, payload: dict[str, Any]) -> None:
        session, stats = self._session, self._session.stats
        msg_id = payload.get("id")
        if not isinstance(msg_id, int):
            stats.malformed += 1
            return
        session.reply(msg_id, ["ok"], device_id)  # every copy: a resend means our ack was lost
        now = time.monotonic()
        if len(self._seen) > 256:
            self._seen = {i: t for i, t in self._seen.items() if now - t < PUSH_MEMORY}
        seen = self._seen.get(msg_id)
        self._seen[msg_id] = now
        if seen is not None and now - seen < PUSH_MEMORY:
            stats.duplicate_pushes += 1
            return
        stats.pushes += 1
        if session.on_request is not None:
            try:
                session.on_request(session, payload)
            except Exception:
                _LOGGER.exception("%s: the push handler failed", session.host)
