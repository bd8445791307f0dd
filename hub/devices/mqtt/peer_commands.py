"""Commands to a device another mihub hub owns: its ``/set`` or ``/action`` topic, a
``transaction`` to match the answer on its ``/result`` topic, and a deadline.

The answer is the owning hub's: a feature it reports confirmed is confirmed here too (the
value is taken at once, not at its next state message), a failure fails with its reason, and
no answer within ``timeout`` seconds is a :class:`DeviceTimeout`.

Commands go at QoS 0: the owning hub's answer is their acknowledgment, and a command is worth
running only while its sender waits for the answer (at QoS 1, a broker keeps it for a hub that
is away and delivers it when it is back, maybe minutes after the sender gave up). QoS 0 also
spares a PUBACK that, followed a few ms later by the answer on the same connection, made the
answer wait ~40 ms for a delayed ACK at a broker that leaves Nagle's algorithm on (Mosquitto
2.0's default): docs/PERFORMANCE.md.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Mapping
from typing import Any

import orjson

from hub.devices.mqtt.bridge_commands import TRANSACTION
from hub.devices.mqtt.connection import MqttConnection
from hub.errors import DeviceError, DeviceTimeout

_OFFLINE = "device offline: "
"""How the owning hub's registry words a device that did not answer (hub.devices.registry)."""


class PeerCommands:
    def __init__(self, connection: MqttConnection, hub_id: str, timeout: float = 10.0) -> None:
        self.connection = connection
        self.timeout = timeout
        self._prefix = f"{hub_id}-{secrets.token_hex(3)}-"
        self._numbers = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def on_result(self, payload: bytes) -> None:
        """An answer on some device's ``/result`` topic: ours when its transaction is."""
        try:
            answer = orjson.loads(payload)
        except orjson.JSONDecodeError:
            return
        if not isinstance(answer, dict):
            return
        future = self._waiting.get(str(answer.get(TRANSACTION)))
        if future is not None and not future.done():
            future.set_result(answer)

    async def ask(self, hub: str, topic: str, body: dict[str, Any]) -> dict[str, Any]:
        """Publish ``body`` with a new transaction to ``topic``; return the hub's answer."""
        transaction = f"{self._prefix}{next(self._numbers)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[transaction] = future
        try:
            payload = orjson.dumps({**body, TRANSACTION: transaction})
            await self.connection.publish(topic, payload, qos=0)  # see the module's doc
            async with asyncio.timeout(self.timeout):
                answer: dict[str, Any] = await future
        except TimeoutError:
            raise DeviceTimeout(f"hub '{hub}' did not answer within {self.timeout:g} s") from None
        finally:
            self._waiting.pop(transaction, None)
        if isinstance(answer.get("error"), str):
            raise DeviceError(f"hub '{hub}': {answer['error']}")
        return answer

    def cancel_all(self) -> None:
        for future in self._waiting.values():
            future.cancel()


def feature_outcome(hub: str, answer: Mapping[str, Any], feature: str) -> dict[str, Any]:
    """The owning hub's outcome for ``feature`` of a ``/set``: raise its failure as ours."""
    results = answer.get("results")
    outcome = results.get(feature) if isinstance(results, dict) else None
    if not isinstance(outcome, dict):
        raise DeviceError(f"hub '{hub}' answered without an outcome for '{feature}'")
    if outcome.get("status") == "failed":
        raise _failure(hub, outcome.get("error"))
    return outcome


def action_output(hub: str, answer: Mapping[str, Any]) -> dict[str, Any]:
    if answer.get("status") == "failed":
        raise _failure(hub, answer.get("error"))
    output = answer.get("output")
    return output if isinstance(output, dict) else {}


def _failure(hub: str, error: Any) -> DeviceError:
    reason = str(error or "failed")
    if reason.startswith(_OFFLINE):
        return DeviceTimeout(f"{reason.removeprefix(_OFFLINE)} (on hub '{hub}')")
    return DeviceError(f"{reason} (on hub '{hub}')")
