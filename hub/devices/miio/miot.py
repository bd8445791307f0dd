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


OK_REPLIES = (0, "ok", ["ok"], [0])
"""What firmware (and python-miio's simulators) answer to a set instead of per-property codes."""


def shown(value: Any, limit: int = 120) -> str:
    """A device's reply as a log or error shows it: repr, cut at ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def reply_result(reply: dict[str, Any]) -> Any:
    """The ``result`` of a reply; a reply without one (and without ``error``) is the result.

    python-miio and Home Assistant accept both (``payload.get("result", payload)``);
    python-miio's own MIoT simulator answers ``miIO.info`` unwrapped."""
    if "result" in reply:
        return reply["result"]
    return {k: v for k, v in reply.items() if k not in ("id", "exe_time")}


def reply_error(host: str, method: str, reply: dict[str, Any]) -> DeviceError | None:
    """A miIO error reply as a DeviceError with the device's code; None for a result.

    The text is the device's ``message``, else its ``error`` (``{"error": {"error": ...}}``),
    else the error object itself, never "None"."""
    error = reply.get("error")
    if error is None:
        return None
    details = error if isinstance(error, dict) else {"message": error}
    code = details.get("code")
    code = code if isinstance(code, int) else None
    text = details.get("message") or details.get("error") or shown(details)
    suffix = f" ({code})" if code is not None else ""
    return DeviceError(f"{host}: {method} failed: {text}{suffix}", code)


def set_succeeded(reply: Any) -> bool:
    """True for a set answered with 0, "ok", ["ok"] or [0] rather than per-property codes."""
    return any(type(reply) is type(ok) and reply == ok for ok in OK_REPLIES)


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
            raise ProtocolError(f"{self.host}: miIO.info returned {shown(result)}")
        return result

    async def get_properties(self, props: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
        """One ``{did, siid, piid, code[, value]}`` per property, in the order asked."""
        did = await self._did()
        items = [{"did": did, "siid": siid, "piid": piid} for siid, piid in props]
        return await self._batched("get_properties", items)

    async def set_properties(self, props: Sequence[tuple[int, int, Any]]) -> list[dict[str, Any]]:
        """One ``{did, siid, piid, code}`` per property; a non-zero code is a refusal.

        A device that answers a plain success (``0``, ``"ok"``, ...) accepted every property."""
        did = await self._did()
        items = [
            {"did": did, "siid": siid, "piid": piid, "value": value} for siid, piid, value in props
        ]
        return await self._batched("set_properties", items)

    async def action(self, siid: int, aiid: int, args: Sequence[Any] = ()) -> dict[str, Any]:
        """Run an action; the reply has ``code`` and, for actions with outputs, ``out``."""
        params = {"did": await self._did(), "siid": siid, "aiid": aiid, "in": list(args)}
        result = await self.send("action", params)
        if set_succeeded(result):
            return {"siid": siid, "aiid": aiid, "code": 0}
        if not isinstance(result, dict):
            raise ProtocolError(f"{self.host}: action returned {shown(result)}")
        return result

    async def _batched(self, method: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        for start in range(0, len(items), MAX_PROPERTIES):
            batch = items[start : start + MAX_PROPERTIES]
            reply = await self.send(method, batch)
            if method == "set_properties" and set_succeeded(reply):
                reply = [{k: v for k, v in i.items() if k != "value"} | {"code": 0} for i in batch]
            if not isinstance(reply, list) or not all(isinstance(i, dict) for i in reply):
                raise ProtocolError(f"{self.host}: {method} returned {shown(reply)}")
            results.extend(reply)
        return results
