"""The miIO UDP service of one simulated device: the real wire, via python-miio's codec.

hello (token masked), ``miIO.info``, MIoT get/set/action checked against the spec, push to
subscribers (resent until acknowledged), and the quirks of real firmware: a repeated message
id from the same client is ignored, as is a wrong token or a stamp far from the device's clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, cast

from construct import ChecksumError
from miio.protocol import Message

from firmware_sim.miio.identity import Identity
from firmware_sim.miio.miot import MiotHandler
from firmware_sim.miio.push import Subscribers

_LOGGER = logging.getLogger(__name__)

HELLO_LEN = 32
DUPLICATE_WINDOW = 10.0
STAMP_TOLERANCE = 60
Address = tuple[str, int]


class MiioServer(asyncio.DatagramProtocol):
    def __init__(self, identity: Identity, miot: MiotHandler, faults: Any) -> None:
        self.identity = identity
        self.miot = miot
        self.faults = faults
        self.transport: asyncio.DatagramTransport | None = None
        self.subscribers = Subscribers(identity, self._send)
        self._seen: dict[tuple[Address, int], float] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.requests = 0

    # ---- lifecycle --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # asyncio's selector transport does not subclass DatagramTransport: cast, not check.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        self.subscribers.close()
        if self.transport is not None:
            self.transport.close()

    def forget(self) -> None:
        """As after a reboot: subscriptions and seen message ids are gone."""
        self._seen.clear()
        self.subscribers.clear()

    def _send(self, data: bytes, addr: Address) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(data, addr)

    def _later(self, delay: float, action: Callable[[], None]) -> None:
        async def run() -> None:
            await asyncio.sleep(delay)
            action()

        task = asyncio.get_running_loop().create_task(run(), name=f"sim-reply-{self.identity.did}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- receiving --------------------------------------------------------------------

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        client = (str(addr[0]), int(addr[1]))
        if self.faults.drops():
            return
        if len(data) == HELLO_LEN:
            reply = self.identity.hello_reply()
            self._reply(reply, client, self.faults.latency)
            return
        try:
            message = Message.parse(data, token=bytes.fromhex(self.identity.token))
        except ChecksumError:
            return  # a wrong token gets no reply, as on real firmware
        except Exception:  # construct raises many kinds; noise gets no reply either
            _LOGGER.debug("%s: unreadable packet from %s", self.identity.did, client)
            return
        payload = message.data.value
        if not isinstance(payload, dict):
            return
        if "method" not in payload:
            self.subscribers.acknowledge(client, payload.get("id"))
            return
        stamp = int(message.header.value.ts.timestamp())
        if abs(stamp - self.identity.stamp) > STAMP_TOLERANCE:
            return  # from before our last boot, or a forged clock
        if self._duplicate(client, payload.get("id")):
            return
        self.requests += 1
        answer = self._answer(payload, client)
        delay = self.faults.latency + self.faults.slow_reply
        self._reply(self.identity.packet(answer), client, delay)

    def _duplicate(self, client: Address, msg_id: Any) -> bool:
        now = time.monotonic()
        if len(self._seen) > 2048:
            self._seen = {k: t for k, t in self._seen.items() if now - t < DUPLICATE_WINDOW}
        key = (client, msg_id if isinstance(msg_id, int) else -1)
        seen = self._seen.get(key)
        self._seen[key] = now
        return seen is not None and now - seen < DUPLICATE_WINDOW

    def _reply(self, data: bytes, client: Address, delay: float) -> None:
        if delay > 0:
            self._later(delay, lambda: self._send(data, client))
        else:
            self._send(data, client)

    def _answer(self, payload: dict[str, Any], client: Address) -> dict[str, Any]:
        msg_id = payload.get("id")
        method = payload.get("method")
        params = payload.get("params")
        if self.faults.busy_replies > 0:
            self.faults.busy_replies -= 1
            return {"id": msg_id, "error": {"code": -9999, "message": "user ack timeout"}}
        if method == "miIO.info":
            return {"id": msg_id, "result": self.identity.info()}
        if method == "miIO.sub":
            expire = params.get("expire", 300) if isinstance(params, dict) else 300
            self.subscribers.add(client, float(expire))
            return {"id": msg_id, "result": ["ok"]}
        if method == "miIO.unsub":
            self.subscribers.remove(client)
            return {"id": msg_id, "result": ["ok"]}
        result = self.miot.handle(str(method), params)
        return {"id": msg_id, **result}
