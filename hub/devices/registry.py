"""DeviceRegistry: every device in the home, its state and availability, and commands to it.

Protocol layers call :meth:`DeviceRegistry.update` with feature values and
:meth:`DeviceRegistry.set_availability`; everything above calls :meth:`command`. One
``StateChanged`` is published per real change; an unchanged value publishes nothing.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import orjson

from hub.bus import (
    CommandSent,
    DeviceAdded,
    DeviceRemoved,
    DeviceRenamed,
    EventBus,
    Origin,
    StateChanged,
)
from hub.devices.availability import AvailabilityGuard, refusal
from hub.devices.model import (
    CommandResult,
    CommandStatus,
    Device,
    Feature,
    FeatureKind,
    FeatureState,
    Value,
)
from hub.devices.model import Protocol as DeviceProtocol
from hub.devices.references import keys_of, resolve_device
from hub.errors import (
    DeviceError,
    DeviceTimeout,
    DeviceUnavailable,
    HubError,
    InvalidValue,
    NotFound,
)
from hub.store import Store

_LOGGER = logging.getLogger(__name__)


class DeviceAdapter(Protocol):
    """What a protocol layer offers the registry to send commands to its devices."""

    async def set_value(self, device: Device, feature: Feature, value: Value) -> None:
        """Send the value; return when the device acknowledged it, raise DeviceError if not."""

    async def call_action(
        self, device: Device, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Run a device action and return its output."""


@runtime_checkable
class Recheck(Protocol):
    """An adapter that can try a device again now, instead of at its next retry."""

    def recheck(self, device: Device) -> None:
        """Try to reach ``device`` soon (it was offline when a command was asked of it)."""


_Waiter = tuple[Value, asyncio.Future[None], Origin]
"""A command waiting for the device to report its value, and who sent it."""


class DeviceRegistry:
    def __init__(
        self,
        bus: EventBus,
        store: Store | None = None,
        offline_grace: float = 3.0,
        confirm_timeout: float = 3.0,
    ) -> None:
        self.bus = bus
        self.store = store
        self.confirm_timeout = confirm_timeout
        self.devices: dict[str, Device] = {}
        self.adapters: dict[DeviceProtocol, DeviceAdapter] = {}
        self.availability = AvailabilityGuard(bus, offline_grace, self._touch)
        self._waiters: dict[tuple[str, str], list[_Waiter]] = {}
        self.generation = 0
        """Bumps on every change a reader of ``devices`` could see; readers cache by it."""
        self._generations: dict[str, int] = {}
        self._keys: dict[str, tuple[str, str | None, tuple[str, ...]]] = {}
        """Per device: the name and room its reference keys were made from, and the keys."""

    def _touch(self, device_id: str) -> None:
        self.generation += 1
        self._generations[device_id] = self.generation

    def generation_of(self, device_id: str) -> int:
        """The ``generation`` at which this device last changed (name, state, anything)."""
        return self._generations.get(device_id, 0)

    # ---- persistence ----------------------------------------------------------------------

    async def load(self) -> int:
        """Load every stored device with its last known state, marked stale until refreshed."""
        if self.store is None:
            return 0
        docs = await self.store.all("devices")
        states = await self.store.all("state")
        shared: dict[bytes, Feature] = {}
        for device_id, doc in docs.items():
            device = Device(
                id=device_id,
                name=doc["name"],
                model=doc["model"],
                protocol=DeviceProtocol(doc["protocol"]),
                manufacturer=doc.get("manufacturer", ""),
                room=doc.get("room"),
                features={f["id"]: _stored_feature(f, shared) for f in doc.get("features", [])},
                endpoint=doc.get("endpoint", {}),
                hub=doc.get("hub"),
            )
            for feature_id, (value, changed_at) in states.get(device_id, {}).items():
                device.state[feature_id] = FeatureState(value, changed_at, stale=True)
            self.devices[device_id] = device
            self._touch(device_id)
        return len(docs)

    def _save_device(self, device: Device) -> None:
        if self.store is None:
            return
        self.store.put_later(
            "devices",
            device.id,
            {
                "name": device.name,
                "model": device.model,
                "protocol": str(device.protocol),
                "manufacturer": device.manufacturer,
                "room": device.room,
                "features": _features_to_store(tuple(device.features.values())),
                "endpoint": device.endpoint,
                **({"hub": device.hub} if device.hub else {}),
            },
        )

    def _save_state(self, device: Device) -> None:
        if self.store is not None:
            self.store.put_later(
                "state", device.id, {k: [s.value, s.changed_at] for k, s in device.state.items()}
            )

    async def set_secret(self, device_id: str, name: str, value: str) -> None:
        """Keep a device secret (a miIO token); never returned by anything user-facing."""
        if self.store is None:
            return
        doc = await self.store.get("secrets", device_id) or {}
        doc[name] = value
        await self.store.put("secrets", device_id, doc)

    async def secret(self, device_id: str, name: str) -> str | None:
        if self.store is None:
            return None
        doc = await self.store.get("secrets", device_id)
        return None if doc is None else doc.get(name)

    # ---- devices --------------------------------------------------------------------------

    def get(self, device_id: str) -> Device:
        try:
            return self.devices[device_id]
        except KeyError:
            raise NotFound(f"no device '{device_id}'") from None

    def resolve(self, reference: str) -> Device:
        """The device a scene or automation names: id, 'Room/Name' or a unique name.

        Raises NotFound saying why (unknown, or which devices share the name).
        """
        return resolve_device(self.devices, reference)

    def find(self, reference: str) -> Device | None:
        """Like :meth:`resolve`, but None when the reference names no single device."""
        device = self.devices.get(reference)
        if device is not None:
            return device
        try:
            return resolve_device(self.devices, reference)
        except NotFound:
            return None

    def keys_of(self, device_id: str) -> tuple[str, ...]:
        """The reference keys (see hub.devices.references) that name this device."""
        device = self.devices.get(device_id)
        if device is None:
            return (device_id,)
        cached = self._keys.get(device_id)
        if cached is not None and cached[0] == device.name and cached[1] == device.room:
            return cached[2]
        keys = keys_of(device)
        self._keys[device_id] = (device.name, device.room, keys)
        return keys

    def add(self, device: Device) -> Device:
        """Add a device, or refresh a known one's model and features (keeping name and room)."""
        known = self.devices.get(device.id)
        if known is not None:
            known.features = device.features
            known.model = device.model
            known.manufacturer = device.manufacturer or known.manufacturer
            known.endpoint = device.endpoint
            known.hub = device.hub
            self._touch(known.id)
            self._save_device(known)
            return known
        self.devices[device.id] = device
        self._touch(device.id)
        self._save_device(device)
        self.bus.publish(DeviceAdded(device.id))
        return device

    def remove(self, device_id: str) -> Device | None:
        """Forget a device its protocol withdrew (e.g. an empty MQTT discovery config)."""
        device = self.devices.pop(device_id, None)
        if device is None:
            return None
        self.generation += 1
        del self._generations[device_id]
        self._keys.pop(device_id, None)
        self.availability.forget(device_id)
        if self.store is not None:
            self.store.put_later("devices", device_id, None)
            self.store.put_later("state", device_id, None)
        self.bus.publish(DeviceRemoved(device_id))
        return device

    async def delete(self, device_id: str) -> Device:
        """Remove a device for good: its state and its secrets (token) go from the store too.

        Raises NotFound. A device that is still out there comes back when its protocol finds
        it again (a miIO device in config.yaml at the next start, a Zigbee device when the
        bridge lists it again); without its token, a miIO device is only reported as found.
        """
        device = self.get(device_id)
        self.remove(device_id)
        if self.store is not None:
            for collection in ("devices", "state", "secrets"):
                await self.store.delete(collection, device_id)
        _LOGGER.info("%s (%s) removed, with its state and secrets", device.name, device_id)
        return device

    async def rename(
        self, device_id: str, name: str | None = None, room: str | None = None
    ) -> Device:
        """Rename a device or move it to a room; return once the change is committed."""
        device = self.rename_nowait(device_id, name, room)
        if self.store is not None:
            await self.store.commit()
        return device

    def rename_nowait(
        self, device_id: str, name: str | None = None, room: str | None = None
    ) -> Device:
        """:meth:`rename` for a caller that acknowledges nothing (written with the next batch)."""
        device = self.get(device_id)
        if name is not None:
            device.name = name
        if room is not None:
            device.room = room or None
        self._touch(device_id)
        self._save_device(device)
        self.bus.publish(DeviceRenamed(device_id))
        return device

    def in_room(self, room: str) -> Iterable[Device]:
        return (d for d in self.devices.values() if d.room == room)

    # ---- state ----------------------------------------------------------------------------

    def update(self, device_id: str, values: Mapping[str, Value], at: float | None = None) -> int:
        """Store reported values; publish one StateChanged per change. Returns the count."""
        device = self.devices.get(device_id)
        if device is None:
            return 0
        now = time.time() if at is None else at
        changed = 0
        state = device.state
        for feature_id, value in values.items():
            current = state.get(feature_id)
            if current is None:
                state[feature_id] = FeatureState(value, now)
            elif current.value == value and type(current.value) is type(value):
                if current.stale:
                    current.stale = False
                    self._touch(device_id)
                continue
            else:
                old = current.value
                current.value, current.changed_at, current.stale = value, now, False
                changed += 1
                origin = self._origin(device_id, feature_id, value)
                self.bus.publish(StateChanged(device_id, feature_id, value, old, now, origin))
                continue
            changed += 1
            origin = self._origin(device_id, feature_id, value)
            self.bus.publish(StateChanged(device_id, feature_id, value, None, now, origin))
        if self._waiters:
            self._resolve_waiters(device_id, values)
        if changed:
            self._touch(device_id)
            self._save_state(device)
        return changed

    def _origin(self, device_id: str, feature_id: str, value: Value) -> Origin:
        """Who caused this change: the sender of a command waiting for it, else the device."""
        if self._waiters:
            for expected, _, origin in self._waiters.get((device_id, feature_id), ()):
                if expected == value:
                    return origin
        return Origin.DEVICE

    def _resolve_waiters(self, device_id: str, values: Mapping[str, Value]) -> None:
        for feature_id, value in values.items():
            waiters = self._waiters.get((device_id, feature_id))
            if not waiters:
                continue
            for expected, future, _ in waiters:
                if expected == value and not future.done():
                    future.set_result(None)

    # ---- availability ---------------------------------------------------------------------

    def set_availability(self, device_id: str, online: bool, reason: str | HubError = "") -> None:
        """Report a device reachable or not (see :class:`AvailabilityGuard`); ``reason`` says
        why not, in words or as the error the protocol got (a :class:`DeviceAuthError`
        marks the device's token rejected)."""
        device = self.devices.get(device_id)
        if device is not None:
            self.availability.report(device, online, reason)

    def close(self) -> None:
        self.availability.close()

    # ---- commands -------------------------------------------------------------------------

    async def command(
        self, device_id: str, feature_id: str, value: Value, origin: Origin = Origin.UNKNOWN
    ) -> CommandResult:
        """Validate, send, and wait briefly for the device's own report to confirm.

        Raises NotFound / InvalidValue before anything is sent; a device failure is a
        FAILED result with the reason and its ``cause``. A device the hub knows to be offline
        or rejecting its token is not sent anything: the result fails at once, saying why and
        since when (see :meth:`refusal`). The result is published as a ``CommandSent`` with
        ``origin``, and the change it causes as a ``StateChanged`` with the same origin.
        """
        at = time.time()
        device_id = self.resolve(device_id).id
        result = await self._command(device_id, feature_id, value, origin)
        self.bus.publish(
            CommandSent(device_id, feature_id, result.value, origin, str(result.status), at,
                        result.error or "")
        )  # fmt: skip
        return result

    def refusal(self, device: Device) -> DeviceError | None:
        """Why a command to ``device`` is refused unsent (:func:`refusal`), or None.

        An offline device's adapter is asked to try it again now (``Recheck``), so the hub
        does not stay stuck refusing a device that came back; one that rejects the token
        waits for a person to give the right one.
        """
        refused = refusal(device)
        if isinstance(refused, DeviceUnavailable):
            adapter: object = self.adapters.get(device.protocol)  # any adapter may offer it
            if isinstance(adapter, Recheck):
                adapter.recheck(device)
        return refused

    async def _command(
        self, device_id: str, feature_id: str, value: Value, origin: Origin
    ) -> CommandResult:
        device = self.get(device_id)
        feature = device.feature(feature_id)
        checked = feature.validate(value)
        refused = self.refusal(device)
        if refused is not None:
            return _failed(device_id, feature_id, checked, refused)
        adapter = self._adapter(device)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        key = (device_id, feature_id)
        entry = (checked, future, origin)
        self._waiters.setdefault(key, []).append(entry)
        try:
            try:
                await adapter.set_value(device, feature, checked)
            except DeviceError as exc:
                return _failed(device_id, feature_id, checked, exc)
            if device.value(feature_id) == checked and not future.done():
                future.set_result(None)
            try:
                await asyncio.wait_for(asyncio.shield(future), self.confirm_timeout)
            except TimeoutError:
                return CommandResult(device_id, feature_id, CommandStatus.ACKNOWLEDGED, checked)
            return CommandResult(device_id, feature_id, CommandStatus.CONFIRMED, checked)
        finally:
            waiters = self._waiters.get(key, [])
            if entry in waiters:
                waiters.remove(entry)
            if not waiters:
                self._waiters.pop(key, None)
            future.cancel()

    async def call_action(
        self,
        device_id: str,
        feature_id: str,
        args: Mapping[str, Any] | None = None,
        origin: Origin = Origin.UNKNOWN,
    ) -> dict[str, Any]:
        device = self.resolve(device_id)
        device_id = device.id
        feature = device.feature(feature_id)
        if feature.kind is not FeatureKind.ACTION:
            raise InvalidValue(f"feature '{feature_id}' of '{device_id}' is not an action")
        refused = self.refusal(device)
        if refused is not None:
            self.bus.publish(CommandSent(device_id, feature_id, None, origin, "failed",
                                         time.time(), str(refused)))  # fmt: skip
            raise refused
        adapter = self._adapter(device)
        at = time.time()
        status = CommandStatus.FAILED
        try:
            output = await adapter.call_action(device, feature, args or {})
            status = CommandStatus.ACKNOWLEDGED
            return output
        finally:
            self.bus.publish(CommandSent(device_id, feature_id, None, origin, str(status), at))

    def _adapter(self, device: Device) -> DeviceAdapter:
        adapter = self.adapters.get(device.protocol)
        if adapter is None:
            raise DeviceError(f"no {device.protocol} connection is running for '{device.id}'")
        return adapter


def _failed(device_id: str, feature_id: str, value: Value, exc: DeviceError) -> CommandResult:
    """A FAILED result; a timeout's reason starts "device offline" (scenes report it so)."""
    reason = f"device offline: {exc}" if isinstance(exc, DeviceTimeout) else str(exc)
    return CommandResult(device_id, feature_id, CommandStatus.FAILED, value, reason, exc)


def _stored_feature(data: dict[str, Any], shared: dict[bytes, Feature]) -> Feature:
    """The Feature stored as ``data``, built once per distinct definition: devices of one
    model store the same features, and Features are frozen, so 200 stored purifiers share 25
    objects instead of holding 5,000 (and the store loads ~40 ms sooner)."""
    key = orjson.dumps(data)
    feature = shared.get(key)
    if feature is None:
        feature = shared[key] = Feature.from_dict(data)
    return feature


@functools.lru_cache(maxsize=256)
def _features_to_store(features: tuple[Feature, ...]) -> list[dict[str, Any]]:
    """The stored form of a feature set, built once per distinct set and shared (the store
    only encodes it): saving 200 purifiers at onboarding does not hold 5,000 small dicts in
    the write batch, whose scattered leftovers kept ~2 MB of allocator arenas resident."""
    return [f.as_dict() for f in features]
