"""MIoT calls over a miIO session: properties by (siid, piid), actions by (siid, aiid).

Firmware accepts at most 15 properties per request, so longer lists go out in batches, one
after the other (a device takes one request at a time anyway); their results are merged in
order and each keeps the device's own per-property ``code`` (0 ok, -4001 unknown, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.errors import DeviceError, ProtocolError

MAX_PROPERTIES = 15
RETRY_CODES = frozenset({-9999, -30001})
"""'User ack timeout' and 'busy': the device asks us to try again."""


def reply_error(host: str, method: str, reply: dict[str, Any]) -> DeviceError | None:
    """A miIO error reply as a DeviceError with the device's code; None for a result."""
    error = reply.get("error")
    if error is None:
        return None
    details = error if isinstance(error, dict) else {"message": error}
    code = details.get("code")
    code = code if isinstance(code, int) else None
    return DeviceError(f"{host}: {method} failed: {details.get('message')} ({code})", code)


class MiotCalls:
    """Mixed into :class:`~hub.devices.miio.session.MiioSession`, which provides ``send``."""

    host: str
    device_id: int

    async def send(self, method: str, params: Any = None) -> Any:
        raise NotImplementedError

    async def ensure_handshake(self) -> None:
        raise NotImplementedError

    async def _did(self) -> str:
        """The device id the MIoT params carry (firmware echoes it back)."""
        await self.ensure_handshake()
        return str(self.device_id)

    async def info(self) -> dict[str, Any]:
        """``miIO.info``: model, firmware version, MAC, Wi-Fi and network details."""
        result = await self.send("miIO.info")
        if not isinstance(result, dict):
            raise ProtocolError(f"{self.host}: miIO.info returned {type(result).__name__}")
        return result

    async def get_properties(self, props: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
        """One ``{did, siid, piid, code[, value]}`` per property, in the order asked."""
        did = await self._did()
        items = [{"did": did, "siid": siid, "piid": piid} for siid, piid in props]
        return await self._batched("get_properties", items)

    async def set_properties(self, props: Sequence[tuple[int, int, Any]]) -> list[dict[str, Any]]:
        """One ``{did, siid, piid, code}`` per property; a non-zero code is a refusal."""
        did = await self._did()
        items = [
            {"did": did, "siid": siid, "piid": piid, "value": value} for siid, piid, value in props
        ]
        return await self._batched("set_properties", items)

    async def action(self, siid: int, aiid: int, args: Sequence[Any] = ()) -> dict[str, Any]:
        """Run an action; the reply has ``code`` and, for actions with outputs, ``out``."""
        params = {"did": await self._did(), "siid": siid, "aiid": aiid, "in": list(args)}
        result = await self.send("action", params)
        if not isinstance(result, dict):
            raise ProtocolError(f"{self.host}: action returned {type(result).__name__}")
        return result

    async def _batched(self, method: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        for start in range(0, len(items), MAX_PROPERTIES):
            reply = await self.send(method, items[start : start + MAX_PROPERTIES])
            if not isinstance(reply, list) or not all(isinstance(i, dict) for i in reply):
                raise ProtocolError(f"{self.host}: {method} returned {reply!r:.80}")
            results.extend(reply)
        return results
