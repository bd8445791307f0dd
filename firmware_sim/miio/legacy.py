"""Legacy miIO methods of a simulated device, from its model table, as real firmware of that
generation answers them.

- The read method (``get_prop`` with names; AqaraCamera's ``get_ipcprop ["all"]``): one value
  per asked name in order, ``null`` for a name this model does not have (real firmware does
  the same); more names than the model's batch: the whole request is refused (-5001).
  ``get_ipcprop`` answers one object with every property.
- Every setter of the table (``set_power ["on"]``, ``set_ct_abx [4000, "smooth", 500]``...):
  the value is checked against the property's codec, choices and range, literal arguments
  by type; trailing literal arguments may be left out (Yeelight's effect and duration).
  Methods several properties share (AirDog's ``set_wind [mode, speed]``) set each of them.
  Success is ``["ok"]``; a bad argument ``{"code": -5001, "message": ...}``.
- Actions (``toggle``, ``reset_filter1``...): their arguments as the table gives them.
- Anything else: -32601 "Method not found.". Legacy firmware pushes nothing, so ``miIO.sub``
  is refused the same way (see :mod:`firmware_sim.miio.server`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

from firmware_sim.miio.miot import BAD_PARAMS, TOO_MANY, UNKNOWN_METHOD, error
from firmware_sim.models.behaviour import Behaviour
from firmware_sim.models.props import LegacyProps
from firmware_sim.models.table import Action, BadValue, ModelTable, TableProp, decode

INVALID_ARG: Final = -5001
OK_REPLY: Final = {"result": ["ok"]}


class LegacyHandler:
    __slots__ = ("actions", "behaviour", "props", "setters", "state", "table")

    pushes = False
    """Legacy firmware reports nothing by itself: no ``miIO.sub``."""

    def __init__(self, table: ModelTable, props: LegacyProps, behaviour: Behaviour) -> None:
        self.table = table
        self.props = props
        self.state = props.state
        self.behaviour = behaviour
        self.setters: dict[str, list[TableProp]] = defaultdict(list)
        for prop in table.props:
            if prop.set is not None:
                self.setters[prop.set.method].append(prop)
        self.actions: dict[str, Action] = {a.method: a for a in table.actions}

    def handle(self, method: str, params: Any) -> dict[str, Any]:
        if method == self.table.read_method:
            return self._read(params)
        if method in self.setters:
            return self._set(method, params)
        action = self.actions.get(method)
        if action is not None:
            if list(params or []) != list(action.args):
                return error(INVALID_ARG, f"{method} takes {list(action.args)}, not {params!r}")
            self.behaviour.action(action.feature)
            return OK_REPLY
        return error(UNKNOWN_METHOD, "Method not found.")

    def _read(self, params: Any) -> dict[str, Any]:
        values = self.state.values
        if self.table.reply == "object":
            return {"result": {p.name: values.get(p.name) for p in self.table.props}}
        if not isinstance(params, list) or not all(isinstance(n, str) for n in params):
            return error(BAD_PARAMS, f"{self.table.read_method} takes a list of names")
        if len(params) > self.table.batch:
            return error(TOO_MANY, f"at most {self.table.batch} properties per request")
        return {"result": [values.get(name) for name in params]}

    def _set(self, method: str, params: Any) -> dict[str, Any]:
        if not isinstance(params, list):
            return error(INVALID_ARG, f"{method} takes a list of arguments, not {params!r}")
        props = self.setters[method]
        try:
            values = [(prop, self._argument(method, prop, params)) for prop in props]
            self._check_literals(method, props, params)
        except BadValue as exc:
            return error(INVALID_ARG, f"{method}: {exc}")
        for prop, value in values:
            self.state.set(prop.name, prop.encode(value))
        for prop, value in values:
            self.behaviour.written(prop.feature, value)
        return OK_REPLY

    @staticmethod
    def _argument(method: str, prop: TableProp, params: list[Any]) -> Any:
        setter = prop.set
        if setter is None:
            raise BadValue(f"{prop.name} is not writable")
        if setter.codec == "rgb_triple":
            if len(params) != 3 or not all(
                isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in params
            ):
                raise BadValue(f"takes red, green, blue 0..255, not {params}")
            return params[0] << 16 | params[1] << 8 | params[2]
        if len(params) <= setter.slot:
            raise BadValue(f"needs {setter.slot + 1} arguments, got {len(params)}")
        return prop.check(decode(setter.codec, setter.choices, params[setter.slot]))

    @staticmethod
    def _check_literals(method: str, props: list[TableProp], params: list[Any]) -> None:
        if props[0].set is not None and props[0].set.codec == "rgb_triple":
            return
        template = max((p.set.args for p in props if p.set), key=len)
        slots = {p.set.slot for p in props if p.set}
        if len(params) > len(template):
            raise BadValue(f"takes at most {len(template)} arguments, got {len(params)}")
        for i, arg in enumerate(params):
            if i in slots:
                continue
            literal = template[i]
            if type(arg) is not type(literal):
                raise BadValue(f"argument {i + 1} should be like {literal!r}, not {arg!r}")
