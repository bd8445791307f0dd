"""A bare miIO client for firmware tests: exact packets in, exact packets out.

It builds and reads packets with python-miio's codec only (never the hub's), so the firmware
is checked against an independent reading of the wire.
"""

from __future__ import annotations

import asyncio
import datetime
import struct
from dataclasses import dataclass
from typing import Any

from miio.protocol import Message

HELLO = bytes.fromhex("21310020" + "ff" * 28)
HEADER = struct.Struct(">HHIII")


@dataclass(frozen=True, slots=True)
class Packet:
    did: int
    stamp: int
    payload: dict[str, Any]


def build(token: str, did: int, stamp: int, payload: dict[str, Any]) -> bytes:
    header = {
        "length": 0,
        "unknown": 0,
        "device_id": did.to_bytes(4, "big"),
        "ts": datetime.datetime.fromtimestamp(stamp, datetime.UTC).replace(tzinfo=None),
    }
    msg = {"data": {"value": payload}, "header": {"value": header}, "checksum": 0}
    return bytes(Message.build(msg, token=bytes.fromhex(token)))


def parse(token: str, data: bytes) -> Packet:
    """Raises construct's ChecksumError when ``token`` is not the one the packet was made with."""
    message = Message.parse(data, token=bytes.fromhex(token))
    _, _, _, did, stamp = HEADER.unpack_from(data)
    payload = message.data.value
    assert isinstance(payload, dict), payload
    return Packet(did, stamp, payload)


class _Inbox(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.packets.put_nowait(data)


class RawClient:
    """``async with RawClient(host, port, token) as c: await c.request(1, "miIO.info")``

    Entering does the hello and keeps the device's id and stamp for later requests."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.addr = (host, port)
        self.token = token
        self.did = 0
        self.stamp = 0
        self.local: tuple[str, int] = ("127.0.0.1", 0)
        self._udp: asyncio.DatagramTransport | None = None
        self._inbox = _Inbox()

    async def __aenter__(self) -> RawClient:
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(
            lambda: self._inbox, local_addr=("127.0.0.1", 0)
        )
        self.local = self._udp.get_extra_info("sockname")
        reply = await self.hello()
        assert reply is not None, "no hello reply"
        self.did, self.stamp = reply
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._udp is not None:
            self._udp.close()

    def send_raw(self, data: bytes) -> None:
        assert self._udp is not None
        self._udp.sendto(data, self.addr)

    async def receive(self, timeout: float = 0.5) -> bytes | None:
        try:
            return await asyncio.wait_for(self._inbox.packets.get(), timeout)
        except TimeoutError:
            return None

    async def hello(self, timeout: float = 0.5) -> tuple[int, int] | None:
        """(device id, stamp) from the hello reply, or None when none came."""
        self.send_raw(HELLO)
        data = await self.receive(timeout)
        if data is None:
            return None
        assert len(data) == 32
        _, _, _, did, stamp = HEADER.unpack_from(data)
        return did, stamp

    def packet(
        self,
        msg_id: int,
        method: str,
        params: Any = None,
        token: str | None = None,
        stamp: int | None = None,
    ) -> bytes:
        payload = {"id": msg_id, "method": method, "params": [] if params is None else params}
        return build(
            token or self.token, self.did, self.stamp + 1 if stamp is None else stamp, payload
        )

    async def request(
        self, msg_id: int, method: str, params: Any = None, timeout: float = 0.5, **kwargs: Any
    ) -> dict[str, Any] | None:
        """The reply's payload, or None when the device stayed silent for ``timeout``."""
        self.send_raw(self.packet(msg_id, method, params, **kwargs))
        data = await self.receive(timeout)
        return None if data is None else parse(self.token, data).payload

    async def result(self, msg_id: int, method: str, params: Any = None) -> Any:
        reply = await self.request(msg_id, method, params)
        assert reply is not None, f"no reply to {method}"
        assert reply["id"] == msg_id
        assert "error" not in reply, reply
        return reply["result"]

    async def pushes(self, seconds: float) -> list[Packet]:
        """Every packet the device sends within ``seconds``."""
        found = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (left := deadline - loop.time()) > 0:
            data = await self.receive(left)
            if data is None:
                break
            found.append(parse(self.token, data))
        return found

    def ack(self, msg_id: int) -> None:
        self.send_raw(build(self.token, self.did, self.stamp + 1, {"id": msg_id, "result": ["ok"]}))
