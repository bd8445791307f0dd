"""A device scripted packet by packet, on a real loopback UDP socket.

For the cases the simulated firmware has no switch for (a duplicate reply, a reply signed with
another token, garbage): the hub still meets it only on the wire.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Any

from hub.devices.miio.wire import codec

Reply = dict[str, Any] | bytes
Script = Callable[[dict[str, Any]], list[Reply]]


def ok(request: dict[str, Any]) -> list[Reply]:
    return [{"id": request["id"], "result": ["ok"]}]


class ScriptedDevice(asyncio.DatagramProtocol):
    def __init__(
        self,
        host: str,
        token: str,
        script: Script = ok,
        did: int = 0x1234,
        stamp: int = 100,
    ) -> None:
        self.host = host
        self.port = 0
        self.token = token
        self.script = script
        self.did = did
        self.stamp = stamp
        self.answer_hello = True
        self.hellos = 0
        self.requests: list[dict[str, Any]] = []
        self.acks: list[dict[str, Any]] = []
        self.client: tuple[str, int] | None = None
        self._udp: asyncio.DatagramTransport | None = None

    async def __aenter__(self) -> ScriptedDevice:
        loop = asyncio.get_running_loop()
        udp, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(self.host, 0))
        self._udp = udp
        self.port = udp.get_extra_info("sockname")[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._udp is not None:
            self._udp.close()
        await asyncio.sleep(0)

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.client = (str(addr[0]), int(addr[1]))
        if len(data) == 32:
            self.hellos += 1
            if self.answer_hello:
                self.send(codec.build_hello_reply(self.did, self.stamp))
            return
        payload = codec.parse(self.token, data).payload
        assert payload is not None
        if "method" not in payload:
            self.acks.append(payload)
            return
        self.requests.append(payload)
        for reply in self.script(payload):
            self.send(reply)

    def send(self, reply: Reply, token: str | None = None) -> None:
        if isinstance(reply, dict):
            reply = codec.build(token or self.token, self.did, self.stamp, reply)
        assert self._udp is not None
        assert self.client is not None
        self._udp.sendto(reply, self.client)
