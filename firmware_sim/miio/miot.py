"""MIoT methods of a simulated device, checked against its spec like real firmware.

- ``get_properties`` / ``set_properties``: params ``[{"did", "siid", "piid"(, "value")}]``, at
  most 15 items; the result has one item per request item, in order, echoing ``did`` (clients
  such as python-miio put their own names there), with its own ``code`` (0, or the SDK codes
  in :mod:`firmware_sim.models.spec`) and, for a read, the ``value``.
- ``action``: params ``{"did", "siid", "aiid", "in": [...]}`` -> ``{"did", "siid", "aiid",
  "code": 0, "out": [...]}``; an unknown action gets code -4003, a wrong number of ``in``
  arguments -4006.
- More than 15 properties in one request: the whole request is refused with an error reply,
  ``{"code": -5001, "message": ...}``. What real firmware does here varies and is not
  documented; this firmware refuses loudly so that a client which does not batch by 15 fails
  in tests instead of in a home.
- Malformed params: -32602; an unknown method: -32601 (JSON-RPC's codes, as miIO uses them).
"""

from __future__ import annotations

from typing import Any, Final

from firmware_sim.models.behaviour import Behaviour
from firmware_sim.models.props import MiotProps
from firmware_sim.models.spec import (
    INVALID_ARGUMENTS,
    INVALID_VALUE,
    NOT_FOUND,
    NOT_READABLE,
    OK,
    ModelSpec,
)

MAX_PROPERTIES: Final = 15
TOO_MANY: Final = -5001
BAD_PARAMS: Final = -32602
UNKNOWN_METHOD: Final = -32601


def error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class MiotHandler:
    __slots__ = ("behaviour", "props", "spec", "state")

    pushes = True
    """MIoT firmware pushes ``properties_changed`` and events to ``miIO.sub`` subscribers."""

    def __init__(self, spec: ModelSpec, props: MiotProps, behaviour: Behaviour) -> None:
        self.spec = spec
        self.props = props
        self.state = props.state
        self.behaviour = behaviour

    def handle(self, method: str, params: Any) -> dict[str, Any]:
        """``{"result": ...}`` or ``{"error": {...}}`` for one request."""
        if method == "get_properties":
            return self._properties(params, self._get)
        if method == "set_properties":
            return self._properties(params, self._set)
        if method == "action":
            return self._action(params)
        return error(UNKNOWN_METHOD, "Method not found.")

    def _properties(self, params: Any, one: Any) -> dict[str, Any]:
        if not isinstance(params, list) or not all(isinstance(p, dict) for p in params):
            return error(BAD_PARAMS, "params must be a list of {did, siid, piid}")
        if len(params) > MAX_PROPERTIES:
            return error(TOO_MANY, f"at most {MAX_PROPERTIES} properties per request")
        return {"result": [one(p) for p in params]}

    def _get(self, item: dict[str, Any]) -> dict[str, Any]:
        siid, piid = item.get("siid"), item.get("piid")
        base = {"did": item.get("did"), "siid": siid, "piid": piid}
        prop = self.spec.props.get((siid, piid))  # type: ignore[arg-type]
        if prop is None:
            return {**base, "code": NOT_FOUND}
        if not prop.readable:
            return {**base, "code": NOT_READABLE}
        return {**base, "code": OK, "value": self.state.get((prop.siid, prop.piid))}

    def _set(self, item: dict[str, Any]) -> dict[str, Any]:
        siid, piid = item.get("siid"), item.get("piid")
        base = {"did": item.get("did"), "siid": siid, "piid": piid}
        prop = self.spec.props.get((siid, piid))  # type: ignore[arg-type]
        if prop is None:
            return {**base, "code": NOT_FOUND}
        code = prop.check(item["value"]) if "value" in item else INVALID_VALUE
        if code == OK:
            key = (prop.siid, prop.piid)
            value = prop.coerce(item["value"])
            self.state.set(key, value)
            self.behaviour.written(self.props.feature_of(key), self.props.decode(key, value))
        return {**base, "code": code}

    def _action(self, params: Any) -> dict[str, Any]:
        if not isinstance(params, dict):
            return error(BAD_PARAMS, "params must be {did, siid, aiid, in}")
        siid, aiid = params.get("siid"), params.get("aiid")
        if not isinstance(siid, int) or not isinstance(aiid, int):
            return error(BAD_PARAMS, "siid and aiid must be integers")
        base = {"did": params.get("did"), "siid": siid, "aiid": aiid}
        spec = self.spec.actions.get((siid, aiid))
        if spec is None:
            return {"result": {**base, "code": NOT_FOUND}}
        args = params.get("in", [])
        if not isinstance(args, list) or len(args) != len(spec.inputs):
            return {"result": {**base, "code": INVALID_ARGUMENTS}}
        if not self.behaviour.action(spec.name):
            return {"result": {**base, "code": NOT_FOUND}}
        return {"result": {**base, "code": OK, "out": []}}
