"""MIoT methods of a simulated device, checked against its spec like real firmware."""

from __future__ import annotations

from typing import Any

from firmware_sim.models.behaviour import Behaviour
from firmware_sim.models.spec import (
    ACTION_NOT_FOUND,
    INVALID_VALUE,
    NOT_FOUND,
    NOT_READABLE,
    ModelSpec,
)
from firmware_sim.models.state import DeviceState

MAX_PROPERTIES = 15
TOO_MANY = -5001
BAD_PARAMS = -32602
UNKNOWN_METHOD = -32601


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


class MiotHandler:
    def __init__(self, spec: ModelSpec, state: DeviceState, behaviour: Behaviour) -> None:
        self.spec = spec
        self.state = state
        self.behaviour = behaviour

    def handle(self, method: str, params: Any) -> dict[str, Any]:
        if method == "get_properties":
            return self._properties(params, self._get)
        if method == "set_properties":
            return self._properties(params, self._set)
        if method == "action":
            return self._action(params)
        return _error(UNKNOWN_METHOD, f"unknown method {method}")

    def _properties(self, params: Any, one: Any) -> dict[str, Any]:
        if not isinstance(params, list) or not all(isinstance(p, dict) for p in params):
            return _error(BAD_PARAMS, "params must be a list of {did, siid, piid}")
        if len(params) > MAX_PROPERTIES:
            return _error(TOO_MANY, f"at most {MAX_PROPERTIES} properties per request")
        return {"result": [one(p) for p in params]}

    def _get(self, item: dict[str, Any]) -> dict[str, Any]:
        key = (item.get("siid"), item.get("piid"))
        base = {"did": item.get("did"), "siid": key[0], "piid": key[1]}
        prop = self.spec.props.get(key)  # type: ignore[arg-type]
        if prop is None:
            return {**base, "code": NOT_FOUND}
        if "read" not in prop.access:
            return {**base, "code": NOT_READABLE}
        return {**base, "code": 0, "value": self.state.get(prop.siid, prop.piid)}

    def _set(self, item: dict[str, Any]) -> dict[str, Any]:
        key = (item.get("siid"), item.get("piid"))
        base = {"did": item.get("did"), "siid": key[0], "piid": key[1]}
        prop = self.spec.props.get(key)  # type: ignore[arg-type]
        if prop is None:
            return {**base, "code": NOT_FOUND}
        if "value" not in item:
            return {**base, "code": INVALID_VALUE}
        value = item["value"]
        code = prop.check(value)
        if code == 0:
            if prop.format.startswith(("uint", "int")):
                value = int(value)
            self.state.set(prop.siid, prop.piid, value)
        return {**base, "code": code}

    def _action(self, params: Any) -> dict[str, Any]:
        if not isinstance(params, dict):
            return _error(BAD_PARAMS, "params must be {did, siid, aiid, in}")
        siid, aiid = params.get("siid"), params.get("aiid")
        base = {"did": params.get("did"), "siid": siid, "aiid": aiid}
        if not isinstance(siid, int) or not isinstance(aiid, int):
            return _error(BAD_PARAMS, "siid and aiid must be integers")
        if (siid, aiid) not in self.spec.actions:
            return {"result": {**base, "code": ACTION_NOT_FOUND}}
        args = params.get("in", [])
        out = self.behaviour.action(siid, aiid, args if isinstance(args, list) else [])
        if out is None:
            return {"result": {**base, "code": ACTION_NOT_FOUND}}
        return {"result": {**base, "code": 0, "out": out}}
