"""Commands that arrive on an exported device's ``/set`` and ``/action`` topics.

``/set`` takes several features at once (``{"power": true, "brightness": 40}``), ``/action``
one action (``{"action": "toggle", "args": {...}}``). Both go through the registry, so they
are validated exactly as the API's are, and the answer, on ``<device id>/result``, says how
each feature ended::

    {"device": "miio-1", "results": {"power": {"status": "confirmed", "value": true},
                                     "brightness": {"status": "failed", "error": "..."}}}
    {"device": "miio-1", "error": "the /set payload is not a JSON object: ..."}

The hub speaks MQTT 3.1.1, which has no response topic or correlation data (MQTT 5's): a
sender that wants to match its answer adds ``"transaction"`` (text or a number) to the
command, and the answer carries it back, as Zigbee2MQTT's bridge requests do. So
``transaction`` is not a feature id in ``/set``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hub.bus import Origin
from hub.devices.mqtt import json_payload
from hub.devices.registry import DeviceRegistry
from hub.errors import HubError

TRANSACTION = "transaction"

Transaction = str | int | None


class BadCommand(ValueError):
    """A payload that is not a command: the answer names what is wrong."""

    def __init__(self, message: str, transaction: Transaction = None) -> None:
        super().__init__(message)
        self.transaction = transaction


def parse_set(payload: bytes) -> tuple[dict[str, Any], Transaction]:
    """``({"feature": value, ...}, transaction)``, or raise :class:`BadCommand` saying why."""
    body, transaction = _object(payload, "/set", '{"power": true, "brightness": 40}')
    if not body:
        raise BadCommand(
            'the /set payload names no feature; send e.g. {"power": true}', transaction
        )
    return body, transaction


def parse_action(payload: bytes) -> tuple[str, dict[str, Any], Transaction]:
    """``(action id, args, transaction)``, or raise :class:`BadCommand` saying why not."""
    body, transaction = _object(payload, "/action", '{"action": "toggle", "args": {}}')
    action, args = body.get("action"), body.get("args", {})
    if not isinstance(action, str) or not action:
        raise BadCommand(
            f'the /action payload needs "action": the action\'s id; got {body}', transaction
        )
    if not isinstance(args, dict):
        raise BadCommand(
            f'"args" of the /action payload must be an object; got {args!r}', transaction
        )
    unknown = sorted(set(body) - {"action", "args"})
    if unknown:
        raise BadCommand(f"the /action payload has unknown keys: {', '.join(unknown)}", transaction)
    return action, args, transaction


def _object(payload: bytes, where: str, example: str) -> tuple[dict[str, Any], Transaction]:
    try:
        body = json_payload.loads(payload)
    except ValueError as exc:
        raise BadCommand(f"the {where} payload is not JSON ({exc}); send e.g. {example}") from None
    if not isinstance(body, dict):
        raise BadCommand(f"the {where} payload must be a JSON object such as {example}")
    transaction = body.pop(TRANSACTION, None)
    if transaction is not None and (
        isinstance(transaction, bool) or not isinstance(transaction, str | int)
    ):
        raise BadCommand(f'"{TRANSACTION}" of the {where} payload must be text or a number')
    return body, transaction


async def run_set(
    registry: DeviceRegistry, device_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """Send every feature at once; one outcome per feature, in the order they were given."""
    outcomes = await asyncio.gather(
        *(_set_one(registry, device_id, feature, value) for feature, value in values.items())
    )
    return {"device": device_id, "results": dict(zip(values, outcomes, strict=True))}


async def _set_one(
    registry: DeviceRegistry, device_id: str, feature: str, value: Any
) -> dict[str, Any]:
    try:
        result = await registry.command(device_id, feature, value, origin=Origin.MQTT)
    except HubError as exc:  # InvalidValue, NotFound, DeviceError
        return {"status": "failed", "error": str(exc)}
    outcome: dict[str, Any] = {"status": str(result.status), "value": result.value}
    if result.error:
        outcome["error"] = result.error
    return outcome


async def run_action(
    registry: DeviceRegistry, device_id: str, action: str, args: dict[str, Any]
) -> dict[str, Any]:
    try:
        output = await registry.call_action(device_id, action, args, origin=Origin.MQTT)
    except HubError as exc:
        return {"device": device_id, "action": action, "status": "failed", "error": str(exc)}
    return {"device": device_id, "action": action, "status": "acknowledged", "output": output}
