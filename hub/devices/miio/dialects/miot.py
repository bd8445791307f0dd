"""MIoT: properties by (siid, piid), actions by (siid, aiid), pushes of both; features from
the model's spec file (hub/devices/miio/features.py).

Firmware accepts at most 15 properties per request, so longer lists go out in batches, one
after the other (a device takes one request at a time anyway); their results are merged in
order and each keeps the device's own per-property ``code`` (0 ok, -4001 unknown, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hub.devices.miio.dialects.dialect import Pushed, Requester
from hub.devices.miio.features import DeviceFeatures
from hub.devices.miio.wire.replies import set_succeeded, shown
from hub.devices.model import Feature, Value
from hub.errors import DeviceError, InvalidValue, ProtocolError

MAX_PROPERTIES = 15


async def get_properties(
    session: Requester, props: Sequence[tuple[int, int]]
) -> list[dict[str, Any]]:
    """One ``{did, siid, piid, code[, value]}`` per property, in the order asked."""
    did = await _did(session)
    items = [{"did": did, "siid": siid, "piid": piid} for siid, piid in props]
    return await _batched(session, "get_properties", items)


async def set_properties(
    session: Requester, props: Sequence[tuple[int, int, Any]]
) -> list[dict[str, Any]]:
    """One ``{did, siid, piid, code}`` per property; a non-zero code is a refusal.

    A device that answers a plain success (``0``, ``"ok"``, ...) accepted every property."""
    did = await _did(session)
    items = [{"did": did, "siid": s, "piid": p, "value": value} for s, p, value in props]
    return await _batched(session, "set_properties", items)


async def action(
    session: Requester, siid: int, aiid: int, args: Sequence[Any] = ()
) -> dict[str, Any]:
    """Run an action; the reply has ``code`` and, for actions with outputs, ``out``."""
    params = {"did": await _did(session), "siid": siid, "aiid": aiid, "in": list(args)}
    result = await session.send("action", params)
    if set_succeeded(result):
        return {"siid": siid, "aiid": aiid, "code": 0}
    if not isinstance(result, dict):
        raise ProtocolError(f"{session.host}: action returned {shown(result)}")
    return result


async def _did(session: Requester) -> str:
    """The device id the MIoT params carry (firmware echoes it back)."""
    await session.ensure_handshake()
    return str(session.device_id)


async def _batched(
    session: Requester, method: str, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for start in range(0, len(items), MAX_PROPERTIES):
        batch = items[start : start + MAX_PROPERTIES]
        reply = await session.send(method, batch)
        if method == "set_properties" and set_succeeded(reply):
            reply = [{k: v for k, v in i.items() if k != "value"} | {"code": 0} for i in batch]
        if not isinstance(reply, list) or not all(isinstance(i, dict) for i in reply):
            raise ProtocolError(f"{session.host}: {method} returned {shown(reply)}")
        results.extend(reply)
    return results


class MiotDialect:
    """One MIoT device's features over its session."""

    name = "miot"
    subscribes = True

    def __init__(self, derived: DeviceFeatures) -> None:
        self.derived = derived
        self.features: Mapping[str, Feature] = derived.features

    async def read(
        self, session: Requester, feature_ids: Sequence[str] | None = None
    ) -> dict[str, Value]:
        props: Sequence[tuple[int, int]] = self.derived.readable
        if feature_ids is not None:
            bindings = (self.derived.properties.get(f) for f in feature_ids)
            props = [(b.prop.siid, b.prop.piid) for b in bindings if b and b.prop.readable]
        return self._values(await get_properties(session, props)) if props else {}

    def _values(self, results: list[dict[str, Any]]) -> dict[str, Value]:
        values: dict[str, Value] = {}
        by_iid = self.derived.by_iid
        for item in results:
            if item.get("code", 0) != 0:
                continue
            binding = by_iid.get((item.get("siid", -1), item.get("piid", -1)))
            if binding is not None and "value" in item:
                values[binding.feature.id] = binding.decode(item["value"])
        return values

    async def write(self, session: Requester, feature: Feature, value: Value) -> None:
        binding = self.derived.properties.get(feature.id)
        if binding is None:
            raise InvalidValue(f"feature '{feature.id}' cannot be set")
        raw = binding.encode(value)
        results = await set_properties(session, [(binding.prop.siid, binding.prop.piid, raw)])
        for item in results:
            code = item.get("code", 0)
            if code != 0:
                raise DeviceError(f"{session.host} refused {feature.id}={value!r}", code)

    async def act(
        self, session: Requester, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        found = self.derived.actions.get(feature.id)
        if found is None:
            raise InvalidValue(f"'{feature.id}' is not an action")
        values = [args[str(piid)] for piid in found.inputs if str(piid) in args]
        result = await action(session, found.siid, found.aiid, values)
        if result.get("code", 0) != 0:
            raise DeviceError(f"{session.host} refused {feature.id}", result.get("code"))
        return {"out": result.get("out", [])}

    def pushed(self, payload: dict[str, Any]) -> Pushed:
        method, params = payload.get("method"), payload.get("params")
        if method == "properties_changed" and isinstance(params, list):
            return Pushed(values=self._values([p for p in params if isinstance(p, dict)]))
        if method == "event_occured" and isinstance(params, dict):
            found = self.derived.events.get((params.get("siid", -1), params.get("eiid", -1)))
            if found is None:
                return Pushed()
            arguments = params.get("arguments")
            data = {
                str(a.get("piid")): a.get("value")
                for a in (arguments if isinstance(arguments, list) else [])
                if isinstance(a, dict)
            }
            return Pushed(events=[(found[0], {"arguments": data})])
        return Pushed()
