"""One miIO device seen through Features: polling, push, commands and availability.

It polls adaptively: every ``fast`` seconds just after a command or a change, backing off
towards ``slow`` while the device stays still; a device that accepted ``miIO.sub`` pushes its
changes and is polled only as a safety net. When to poll is the link's; the polling itself
runs on the adapter's one :class:`PollScheduler` for all devices.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any, Protocol

from hub.bus import DeviceEvent
from hub.devices.miio.features import DeviceFeatures
from hub.devices.miio.poller import PollScheduler
from hub.devices.model import Device, Feature, Value
from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceAuthError, DeviceError, DeviceTimeout, InvalidValue

_LOGGER = logging.getLogger(__name__)


class MiotClient(Protocol):
    """What a link needs from a miIO session (hub/devices/miio/transport.py provides it)."""

    async def get_properties(self, props: list[tuple[int, int]]) -> list[dict[str, Any]]: ...

    async def set_properties(self, props: list[tuple[int, int, Any]]) -> list[dict[str, Any]]: ...

    async def action(self, siid: int, aiid: int, args: list[Any]) -> dict[str, Any]: ...

    async def send(self, method: str, params: Any = None) -> Any: ...


class MiioLink:
    def __init__(
        self,
        device: Device,
        features: DeviceFeatures,
        client: MiotClient,
        registry: DeviceRegistry,
        scheduler: PollScheduler,
        fast: float = 2.0,
        slow: float = 30.0,
    ) -> None:
        self.name = f"miio-poll-{device.id}"
        self.scheduler = scheduler
        self.device = device
        self.features = features
        self.client = client
        self.registry = registry
        self.fast = fast
        self.slow = slow
        self.pushing = False
        self.interval = fast
        self._readable = [
            (b.prop.siid, b.prop.piid) for b in features.properties.values() if b.prop.readable
        ]
        self._auth_reported = False
        self.expire = 0.0
        self.renew_at = 0.0

    def start(self) -> None:
        self.scheduler.add(self, self.interval)

    async def stop(self) -> None:
        await self.scheduler.remove(self)

    def hurry(self) -> None:
        """Poll soon and often again (after a command or a reported change)."""
        self.interval = self.fast
        self.scheduler.hurry(self)

    async def poll(self, props: list[tuple[int, int]] | None = None) -> int:
        """Read properties and report them; returns how many values changed."""
        try:
            results = await self.client.get_properties(props or self._readable)
        except DeviceAuthError as exc:
            self._report_unreachable(f"wrong token: {exc}")
            raise
        except DeviceTimeout:
            self._report_unreachable("no reply")
            raise
        self._auth_reported = False
        self.registry.set_availability(self.device.id, True)
        return self.ingest(results)

    def ingest(self, results: list[dict[str, Any]]) -> int:
        """Property values from a poll reply or a ``properties_changed`` push."""
        values: dict[str, Value] = {}
        by_iid = self.features.by_iid
        for item in results:
            if item.get("code", 0) != 0:
                continue
            binding = by_iid.get((item.get("siid", -1), item.get("piid", -1)))
            if binding is not None and "value" in item:
                values[binding.feature.id] = binding.decode(item["value"])
        return self.registry.update(self.device.id, values) if values else 0

    def ingest_event(self, siid: int, eiid: int, arguments: list[dict[str, Any]]) -> None:
        found = self.features.events.get((siid, eiid))
        if found is None:
            _LOGGER.debug("%s: unknown event %s.%s", self.device.id, siid, eiid)
            return
        feature_id, _ = found
        data = {"arguments": {str(a.get("piid")): a.get("value") for a in arguments}}
        self.registry.bus.publish(DeviceEvent(self.device.id, feature_id, data))

    def subscribed(self, expire: float) -> None:
        """The device accepted ``miIO.sub`` for ``expire`` seconds: renew at a third of it."""
        self.pushing = True
        self.expire = expire
        self.renew_at = time.monotonic() + expire / 3

    async def _renew(self) -> None:
        try:
            await self.client.send("miIO.sub", {"expire": int(self.expire)})
        except DeviceError as exc:
            _LOGGER.info("%s: renewing the push subscription failed: %s", self.device.id, exc)
            self.renew_at = time.monotonic() + min(30.0, self.expire / 6)
            return
        self.renew_at = time.monotonic() + self.expire / 3

    def handle_push(self, payload: dict[str, Any]) -> None:
        method, params = payload.get("method"), payload.get("params")
        if method == "properties_changed" and isinstance(params, list):
            if self.ingest([p for p in params if isinstance(p, dict)]):
                self.hurry()
        elif method == "event_occured" and isinstance(params, dict):
            arguments = params.get("arguments")
            self.ingest_event(
                int(params.get("siid", -1)),
                int(params.get("eiid", -1)),
                [a for a in arguments if isinstance(a, dict)]
                if isinstance(arguments, list)
                else [],
            )
        self.registry.set_availability(self.device.id, True)

    def _report_unreachable(self, reason: str) -> None:
        if reason.startswith("wrong token") and not self._auth_reported:
            _LOGGER.warning("%s (%s): %s", self.device.name, self.device.id, reason)
            self._auth_reported = True
        self.registry.set_availability(self.device.id, False, reason)

    async def set_value(self, feature: Feature, value: Value) -> None:
        binding = self.features.properties.get(feature.id)
        if binding is None:
            raise InvalidValue(f"feature '{feature.id}' cannot be set on {self.device.id}")
        raw = binding.encode(value)
        results = await self.client.set_properties([(binding.prop.siid, binding.prop.piid, raw)])
        for item in results:
            code = item.get("code", 0)
            if code != 0:
                raise DeviceError(f"{self.device.name} refused {feature.id}={value!r}", code)
        if binding.prop.readable:
            await self._confirm([(binding.prop.siid, binding.prop.piid)])
        self.hurry()

    async def _confirm(self, props: list[tuple[int, int]]) -> None:
        try:
            await self.poll(props)
        except DeviceError:
            _LOGGER.debug("%s: read-back after a command failed", self.device.id)

    async def call_action(self, feature: Feature, args: Mapping[str, Any]) -> dict[str, Any]:
        action = self.features.actions.get(feature.id)
        if action is None:
            raise InvalidValue(f"'{feature.id}' is not an action of {self.device.id}")
        values = [args[str(piid)] for piid in action.inputs if str(piid) in args]
        result = await self.client.action(action.siid, action.aiid, values)
        self.hurry()
        if result.get("code", 0) != 0:
            raise DeviceError(f"{self.device.name} refused {feature.id}", result.get("code"))
        return {"out": result.get("out", [])}

    async def cycle(self) -> float:
        """One scheduled poll (and push renewal when due); the seconds until the next."""
        try:
            changed = await self.poll()
        except DeviceError as exc:
            _LOGGER.debug("%s: poll failed: %s", self.device.id, exc)
            changed = 0
        if self.pushing and time.monotonic() >= self.renew_at:
            await self._renew()
        if changed:
            self.interval = self.fast
        else:
            # A pushing device is still read now and then: a keepalive that also
            # notices a reboot (its clock restarts) and any push that went missing.
            ceiling = self.slow * (2 if self.pushing else 1)
            self.interval = min(self.interval * 2, ceiling)
        return self.interval
