"""Reading a device's reply payload, leniently: what python-miio and Home Assistant accept.

A reply with neither ``result`` nor ``error`` is the result (``payload.get("result",
payload)``); a set answered with ``0`` / ``"ok"`` / ``["ok"]`` / ``[0]`` succeeded; an error's
text is its ``message``, else its ``error`` (``{"error": {"error": ...}}``), never "None".
"""

from __future__ import annotations

from typing import Any

from hub.errors import DeviceError

RETRY_CODES = frozenset({-9999, -30001})
"""'User ack timeout' and 'busy': the device asks us to try again."""
OK_REPLIES: tuple[Any, ...] = (0, "ok", ["ok"], [0])
"""What firmware (and python-miio's simulators) answer to a set instead of per-property codes."""


def shown(value: Any, limit: int = 120) -> str:
    """A device's reply as a log line or an error shows it: repr, cut at ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def reply_result(reply: dict[str, Any]) -> Any:
    """The ``result`` of a reply; a reply without one (and without ``error``) is the result."""
    if "result" in reply:
        return reply["result"]
    return {k: v for k, v in reply.items() if k not in ("id", "exe_time")}


def reply_error(host: str, method: str, reply: dict[str, Any]) -> DeviceError | None:
    """A miIO error reply as a DeviceError with the device's code; None for a result."""
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
