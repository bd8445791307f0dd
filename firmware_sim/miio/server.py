"""The miIO UDP service of one simulated device (pyatv's "Service"): the real wire, through
python-miio's codec.

It answers the hello (token masked once provisioned, in the clear before), ``miIO.info``,
``miIO.config_router`` (the home network's ssid and password: the device then joins it),
``miIO.sub`` / ``miIO.unsub`` (MIoT models; legacy firmware pushes nothing and refuses them
with -32601) and the model's own methods in its dialect, and pushes to subscribers.
Like real firmware it stays silent for:

- a packet whose checksum does not match (a wrong token);
- a request whose stamp is more than 60 s away from the device's clock (sent before the
  device's last reboot, say): the client then does the hello again, as python-miio does;
- a message id it has already seen from the same (ip, port) within the last 10 s.

Faults (:class:`firmware_sim.faults.Faults`) drop, delay or refuse on top of that.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Final, Protocol, cast

from construct import ChecksumError
from miio.protocol import Message

from firmware_sim.faults import Faults
from firmware_sim.miio.identity import HELLO_HEADER, MAGIC, Identity
from firmware_sim.miio.miot import UNKNOWN_METHOD
from firmware_sim.miio.push import DEFAULT_EXPIRE, Subscribers

_LOGGER = logging.getLogger(__name__)

HELLO_LEN: Final = 32
DUPLICATE_WINDOW: Final = 10.0
STAMP_TOLERANCE: Final = 60
SEEN_PRUNE_AT: Final = 4096
BUSY: Final = -9999
INVALID_PARAMS: Final = -32602
Address = tuple[str, int]


class Dialect(Protocol):
    """The model's own methods: MIoT (:class:`MiotHandler`) or legacy (:class:`LegacyHandler`)."""

    pushes: bool
    """Whether it accepts ``miIO.sub`` and pushes to subscribers."""

    def handle(self, method: str, params: Any) -> dict[str, Any]: ...


class MiioServer(asyncio.DatagramProtocol):
    def __init__(
        self,
        identity: Identity,
        dialect: Dialect,
        faults: Faults,
        on_join: Callable[[], None] | None = None,
    ) -> None:
        self.identity = identity
        self.on_join = on_join
        """Called once ``miIO.config_router`` is answered: the device leaves for the network."""
        self.dialect = dialect
        self.faults = faults
        self.transport: asyncio.DatagramTransport | None = None
        self.subscribers = Subscribers(identity, self._send)
        self._seen: dict[tuple[Address, int], float] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self.requests = 0
        """Requests answered (or about to be, when a fault delays the answer)."""
        self.ignored = 0
        """Packets that got no answer: wrong token, stale stamp, repeated id, noise."""
        self.received: Counter[str] = Counter()
        """Requests by method that reached the device with its token, answered or not (lost
        to a fault, a stale stamp, a repeated id): what a client asked of it."""

    # ---- lifecycle --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector transport does not subclass DatagramTransport: cast, not check.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        self.subscribers.close()
        if self.transport is not None:
            self.transport.close()

    def forget(self) -> None:
        """As after a reboot: subscriptions, pushes in flight and seen message ids are gone."""
        self._seen.clear()
        self.subscribers.clear()

    def _send(self, data: bytes, addr: Address) -> None:
        if self.faults.offline:
            return  # an unreachable device says nothing, pushes and late replies included
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)

    def _reply(self, data: bytes, client: Address, delay: float) -> None:
        if delay <= 0:
            self._send(data, client)
            return

        def fire() -> None:
            self._timers.discard(timer)
            self._send(data, client)

        timer = asyncio.get_running_loop().call_later(delay, fire)
        self._timers.add(timer)

    # ---- receiving --------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        client = (str(addr[0]), int(addr[1]))
        if self.faults.drops():
            if len(data) != HELLO_LEN:
                self._count_dropped(data)
            return
        if len(data) == HELLO_LEN:
            if HELLO_HEADER.unpack_from(data)[:2] == (MAGIC, HELLO_LEN):
                self._reply(self.identity.hello_reply(), client, self.faults.latency)
            return
        try:
            message = Message.parse(data, token=self.identity.token_bytes)
        except ChecksumError:
            self.ignored += 1  # a wrong token gets no reply, as on real firmware
            return
        except Exception:  # construct raises many kinds; noise gets no reply either
            _LOGGER.debug("%s: unreadable packet from %s", self.identity.did, client)
            self.ignored += 1
            return
        payload = message.data.value
        if not isinstance(payload, dict):
            self.ignored += 1
            return
        if "method" not in payload:  # a subscriber's answer to one of our pushes
            self.subscribers.acknowledge(client, payload.get("id"))
            return
        self.received[str(payload["method"])] += 1
        stamp = calendar.timegm(message.header.value.ts.timetuple())
        if abs(stamp - self.identity.stamp) > STAMP_TOLERANCE or self._repeated(
            client, payload.get("id")
        ):
            self.ignored += 1
            return
        self.requests += 1
        answer = self._answer(payload, client)
        self._reply(self.identity.packet(answer), client, self.faults.reply_delay)

    def _count_dropped(self, data: bytes) -> None:
        """Count a request a fault dropped in ``received`` too, when it reads with our token."""
        try:
            payload = Message.parse(data, token=self.identity.token_bytes).data.value
        except Exception:  # noise, or another token: nothing to count
            return
        if isinstance(payload, dict) and "method" in payload:
            self.received[str(payload["method"])] += 1

    def _config_router(self, params: Any) -> dict[str, Any]:
        """Join the network in ``params`` ({"ssid", "passwd", "uid"}); the password is only
        checked for presence, as the simulated device has no radio to try it on."""
        ssid = params.get("ssid") if isinstance(params, dict) else None
        passwd = params.get("passwd") if isinstance(params, dict) else None
        uid = params.get("uid", 0) if isinstance(params, dict) else 0
        if not isinstance(ssid, str) or not ssid or not isinstance(passwd, str):
            message = "config_router needs params {ssid: non-empty text, passwd: text, uid}"
            return {"error": {"code": INVALID_PARAMS, "message": message}}
        self.identity.join(ssid, uid if isinstance(uid, int) else 0)
        if self.on_join is not None:  # after this answer is on its way
            asyncio.get_running_loop().call_soon(self.on_join)
        return {"result": ["ok"]}

    def _repeated(self, client: Address, msg_id: Any) -> bool:
        now = time.monotonic()
        if len(self._seen) > SEEN_PRUNE_AT:
            self._seen = {k: t for k, t in self._seen.items() if now - t < DUPLICATE_WINDOW}
        key = (client, msg_id if isinstance(msg_id, int) else -1)
        seen = self._seen.get(key)
        self._seen[key] = now
        return seen is not None and now - seen < DUPLICATE_WINDOW

    def _answer(self, payload: dict[str, Any], client: Address) -> dict[str, Any]:
        msg_id = payload.get("id")
        method = payload.get("method")
        params = payload.get("params")
        if self.faults.busy_replies > 0:
            self.faults.busy_replies -= 1
            return {"id": msg_id, "error": {"code": BUSY, "message": "user ack timeout"}}
        if method == "miIO.info":
            return {"id": msg_id, "result": self.identity.info()}
        if method == "miIO.config_router":
            return {"id": msg_id, **self._config_router(params)}
        if method in ("miIO.sub", "miIO.unsub") and not self.dialect.pushes:
            return {"id": msg_id, "error": {"code": UNKNOWN_METHOD, "message": "Method not found."}}
        if method == "miIO.sub":
            expire = params.get("expire", DEFAULT_EXPIRE) if isinstance(params, dict) else None
            if not isinstance(expire, int | float) or isinstance(expire, bool) or expire <= 0:
                expire = DEFAULT_EXPIRE
            self.subscribers.add(client, float(expire))
            return {"id": msg_id, "result": ["ok"]}
        if method == "miIO.unsub":
            self.subscribers.remove(client)
            return {"id": msg_id, "result": ["ok"]}
        return {"id": msg_id, **self.dialect.handle(str(method), params)}
