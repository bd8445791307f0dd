"""A bare UDP client for firmware tests: exact packets in, exact packets out."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.devices.miio import codec


class _Inbox(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.packets: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.packets.put_nowait(data)


class RawClient:
    """``async with RawClient(host, port, token) as c: await c.request(1, "miIO.info")``"""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.addr = (host, port)
        self.token = token
        self.did = 0
        self.stamp = 0
        self._udp: asyncio.DatagramTransport | None = None
        self._inbox = _Inbox()

    async def __aenter__(self) -> RawClient:
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(
            lambda: self._inbox, local_addr=("127.0.0.1", 0)
        )
        hello = await self.hello()
        assert hello is not None
        self.did, self.stamp = hello.device_id, hello.stamp
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

    async def hello(self, timeout: float = 0.5) -> codec.Message | None:
        self.send_raw(codec.HELLO)
        data = await self.receive(timeout)
        return None if data is None else codec.parse_hello(data)

    def packet(
        self,
        msg_id: int,
        method: str,
        params: Any = None,
        token: str | None = None,
        stamp: int | None = None,
    ) -> bytes:
        payload = {"id": msg_id, "method": method, "params": [] if params is None else params}
        return codec.build(
            token or self.token, self.did, self.stamp + 1 if stamp is None else stamp, payload
        )

    async def request(
        self, msg_id: int, method: str, params: Any = None, timeout: float = 0.5, **kwargs: Any
    ) -> dict[str, Any] | None:
        self.send_raw(self.packet(msg_id, method, params, **kwargs))
        data = await self.receive(timeout)
        if data is None:
            return None
        payload = codec.parse(self.token, data).payload
        assert payload is not None
        return payload

    def ack(self, msg_id: int) -> None:
        self.send_raw(
            codec.build(self.token, self.did, self.stamp + 1, {"id": msg_id, "result": ["ok"]})
        )
