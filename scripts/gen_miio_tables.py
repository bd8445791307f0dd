"""Write the miIO model tables (docs: /TABLES.md contract) from the installed python-miio.

    .venv/bin/python scripts/gen_miio_tables.py          # write
    .venv/bin/python scripts/gen_miio_tables.py --check  # exit 1 when a committed file differs

Everything python-miio states in code is found by running its classes against a recorder
(no network): which names ``status()`` asks for and in batches of how many, which method each
setter sends with which arguments, which numbers its validation accepts, the enums of its
choices, Yeelight's colour-temperature ranges, colour, night light and background light, and
AirPurifierMiot's siid/piid map per model. What python-miio does not say (the hub's feature
ids, categories, labels, first values) is in :mod:`miio_facts`.

Writes, byte-identical in both places:
- hub/devices/miio/models/tables/<model>.json and firmware_sim/models/tables/<model>.json
- hub/devices/miio/specs/<model>.json and firmware_sim/models/specs/<model>.json for the
  AirPurifierMiot models without a full spec (built from python-miio's mapping).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import sys
from functools import reduce
from pathlib import Path
from typing import Any

import miio
from miio.integrations.light.yeelight.spec_helper import YeelightSpecHelper, YeelightSubLightType
from miio_facts import LEGACY, MIOT_PURIFIER, YEELIGHT_COMMON, YEELIGHT_NIGHT, A, P, choice_name
from miio_facts import yeelight_props as yeelight_props_for

ROOT = Path(__file__).resolve().parent.parent
TABLE_DIRS = (ROOT / "hub/devices/miio/models/tables", ROOT / "firmware_sim/models/tables")
SPEC_DIRS = (ROOT / "hub/devices/miio/specs", ROOT / "firmware_sim/models/specs")
FULL_SPECS = frozenset({"zhimi.airpurifier.mb3"})
"""MIoT models whose full spec is bundled by hand: the generator leaves them alone."""
TOKEN = "0" * 32


class Recorder:
    """Stands in for a device's ``send``: records each call, answers like a quiet device."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.batches: list[int | None] = []

    def send(self, command: str, parameters: Any = None, *_: Any, **__: Any) -> Any:
        self.calls.append((command, parameters))
        if command == "get_properties":
            return [{**p, "code": 0, "value": None} for p in parameters]
        if command == "get_prop":
            return [None] * len(parameters)
        if command == "get_ipcprop":
            return {}
        return ["ok"]


def recorded(cls: type[Any], model: str) -> tuple[Any, Recorder]:
    device = cls("127.0.0.1", TOKEN, model=model)
    recorder = Recorder()
    device.send = recorder.send
    original = device.get_properties

    def get_properties(properties: list[Any], **kwargs: Any) -> Any:
        recorder.batches.append(kwargs.get("max_properties"))
        return original(properties, **kwargs)

    device.get_properties = get_properties
    return device, recorder


def one_call(device: Any, recorder: Recorder, call: Any) -> tuple[str, Any] | None:
    """The single request ``call(device)`` sends; None when python-miio refuses the value."""
    recorder.calls.clear()
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # some setters print
            call(device)
    except (miio.DeviceException, ValueError, StopIteration):
        return None
    if len(recorder.calls) != 1:
        raise RuntimeError(f"{call} sent {recorder.calls}")
    return recorder.calls[0]


# ---- codecs, as the tables define them ------------------------------------------------


def encode(codec: str, value: Any, pairs: list[list[Any]] | None = None) -> Any:
    if codec == "on_off":
        return "on" if value else "off"
    if codec == "int_bool":
        return int(bool(value))
    if codec == "bool":
        return bool(value)
    if codec == "choice":
        assert pairs is not None
        return next(w for w, name in pairs if name == value)
    return value


def choices_of(p: P) -> list[list[Any]] | None:
    if p.enum is not None:
        return [[m.value, choice_name(m)] for m in p.enum]
    if p.pairs is not None:
        return [list(pair) for pair in p.pairs]
    return None


def accepted_numbers(device: Any, recorder: Recorder, p: P) -> tuple[list[int], str]:
    assert p.setter is not None
    methods: dict[str, list[int]] = {}
    for value in range(*p.probe):
        call = one_call(device, recorder, lambda d, v=value: p.setter(d, v))  # type: ignore[misc]
        if call is not None:
            methods.setdefault(call[0], []).append(value)
    if not methods:
        raise RuntimeError(f"the setter accepts no number in {p.probe}")
    method = max(methods, key=lambda m: len(methods[m]))
    return methods[method], method


def number_range(values: list[int]) -> list[int]:
    low, high = min(values), max(values)
    step = reduce(math.gcd, (v - low for v in values), 0) or 1
    return [low, high, step]


def setter_of(device: Any, recorder: Recorder, name: str, p: P) -> tuple[dict[str, Any], Any]:
    """(the table's "set", the feature range) from what the setter sends."""
    assert p.setter is not None
    choices = choices_of(p)
    rng = None
    if p.kind == "switch":
        samples: list[Any] = [True, False]
    elif p.codec == "choice":
        assert choices is not None
        samples = [name for _, name in choices]
    elif p.codec == "rgb":
        samples = [0x112233, 0xFF8000]
    elif p.codec == "text":
        samples = ["a", "b"]
    else:
        values, _ = accepted_numbers(device, recorder, p)
        rng = number_range(values)
        samples = [values[0], values[-1]]
    calls = []
    for sample in samples:
        call = one_call(device, recorder, lambda d, v=sample: p.setter(d, v))  # type: ignore[misc]
        if call is None:
            raise RuntimeError(f"{name}: python-miio refused its own sample {sample!r}")
        calls.append((sample, call))
    methods = {c[0] for _, c in calls}
    if len(methods) != 1:
        raise RuntimeError(f"{name}: setter sends several methods {methods}")
    setter: dict[str, Any] = {"method": methods.pop()}
    if p.set_args is not None:  # several values in one call: the template is hand-written
        setter["args"] = list(p.set_args)
        slot = p.set_args.index("$value")
        sent = [[c[1][slot], sample] for sample, c in calls]
        if p.codec == "choice" and sent != choices:
            setter["codec"] = "choice"
            setter["choices"] = sent
        return setter, rng
    params = [c[1] for _, c in calls]
    if p.codec == "rgb" and all(isinstance(a, list) and len(a) == 3 for a in params):
        setter["args"] = ["$value"]
        setter["codec"] = "rgb_triple"
        return setter, rng
    codec = find_set_codec(p, choices, calls)
    if codec != p.codec:
        setter["codec"] = codec
    first_value = encode(codec, samples[0], choices)
    args: list[Any] = []
    for i, arg in enumerate(params[0]):
        if arg == first_value and all(
            prm[i] == encode(codec, s, choices) for s, prm in zip(samples, params, strict=True)
        ):
            args.append("$value")
        else:
            args.append(arg)
    setter["args"] = args
    return setter, rng


def find_set_codec(p: P, choices: list[list[Any]] | None, calls: list[Any]) -> str:
    for codec in dict.fromkeys([p.codec, "on_off", "int_bool", "bool", "int", "text"]):
        try:
            if all(encode(codec, sample, choices) in (call[1] or []) for sample, call in calls):
                return codec
        except (StopIteration, AssertionError):
            continue
    raise RuntimeError(f"no codec explains {calls}")


# ---- tables -----------------------------------------------------------------------------


def yeelight_props(model: str) -> dict[str, P]:
    info = YeelightSpecHelper().get_model_info(model)
    main = info.lamps[YeelightSubLightType.Main]
    props = dict(YEELIGHT_COMMON)
    initial_ct = min(4000, main.color_temp.max) or None
    props |= yeelight_props_for("", main.supports_color, initial_ct)
    if info.night_light:
        props |= YEELIGHT_NIGHT
    background = info.lamps.get(YeelightSubLightType.Background)
    if background is not None:
        props |= yeelight_props_for("bg_", background.supports_color, 4000)
    return props


def action_of(device: Any, recorder: Recorder, action: A) -> dict[str, Any]:
    call = one_call(device, recorder, lambda d: action.call(d))
    assert call is not None
    return {
        "feature": action.feature,
        "label": action.label,
        "method": call[0],
        "args": list(call[1] or []),
    }


def legacy_table(referee: str, model: str) -> dict[str, Any]:
    facts = LEGACY[referee]
    device, recorder = recorded(facts.cls, model)
    device.status()
    reads = [c for c in recorder.calls if c[0] in ("get_prop", "get_ipcprop")]
    method = reads[0][0]
    props = yeelight_props(model) if referee == "Yeelight" else facts.props
    if method == "get_ipcprop":
        names = list(props)
        read = {"method": method, "batch": len(names), "params": reads[0][1], "reply": "object"}
    else:
        names = [n for c in reads for n in c[1]]
        batch = recorder.batches[0] or len(names)
        read = {"method": method, "batch": batch, "params": None, "reply": "list"}
    properties = []
    for name in names:
        if name not in props:
            if referee == "Yeelight":
                continue  # this bulb has no such lamp: its firmware answers nothing for it
            raise KeyError(f"{referee}: no facts for {name!r} (miio_facts.py)")
        p = props[name]
        try:
            setter, rng = setter_of(device, recorder, name, p) if p.setter else (None, None)
        except RuntimeError as exc:
            raise RuntimeError(f"{model} {name}: {exc}") from exc
        properties.append(
            {
                "name": name,
                "feature": p.feature,
                "kind": p.kind,
                "category": p.category,
                "label": p.label,
                "unit": p.unit,
                "codec": p.codec,
                "choices": choices_of(p),
                "range": rng,
                "set": setter,
                "initial": p.initial,
            }
        )
    return {
        "model": model,
        "dialect": "legacy",
        "family": facts.family,
        "description": facts.description,
        "referee": referee,
        "read": read,
        "properties": properties,
        "actions": [action_of(device, recorder, a) for a in facts.actions],
    }


def miot_table(model: str) -> dict[str, Any]:
    return {
        "model": model,
        "dialect": "miot",
        "family": "air-purifier",
        "description": "Mi Air Purifier (MIoT)",
        "referee": "AirPurifierMiot",
        "spec": model,
    }


# ---- MIoT specs built from python-miio's mapping ----------------------------------------


def urn(kind: str, name: str, model: str) -> str:
    short = model.split(".", 1)[1].replace(".", "-")
    return f"urn:miot-spec-v2:{kind}:{name}:00000000:{short}:1"


def miot_spec(model: str) -> dict[str, Any]:
    mapping = miio.AirPurifierMiot._mappings[model]
    device, recorder = recorded(miio.AirPurifierMiot, model)
    device.status()
    writes = {p["did"] for c, params in recorder.calls if c == "set_properties" for p in params}
    info = ["manufacturer", "model", "serial-number", "firmware-revision"]
    services: dict[int, dict[str, Any]] = {
        1: {
            "iid": 1,
            "type": urn("service", "device-information", model),
            "description": "Device Information",
            "properties": [
                {
                    "iid": i,
                    "type": urn("property", n, model),
                    "description": n,
                    "format": "string",
                    "access": ["read"],
                }
                for i, n in enumerate(info, 1)
            ],
        }
    }
    for name, where in mapping.items():
        m = MIOT_PURIFIER[name]
        prop: dict[str, Any] = {
            "iid": where["piid"],
            "type": urn("property", m.prop, model),
            "description": name.replace("_", " ").replace("-", " ").capitalize(),
            "format": m.format,
            "access": ["read", "notify"],
        }
        rng = list(m.range) if m.range else None
        if m.setter is not None:
            calls: dict[Any, Any] = {}
            samples = (
                [True, False]
                if m.format == "bool"
                else (
                    [choice_name(e) for e in m.enum if e.value >= 0] if m.enum else range(-5, 3000)
                )
            )
            for v in samples:
                call = one_call(device, recorder, lambda d, v=v, m=m: m.setter(d, v))  # type: ignore[misc]
                if call is not None and call[1][0]["did"] == name:
                    calls[v] = call[1][0]["value"]
            if calls:
                writes.add(name)
                if m.format not in ("bool", "string") and not m.enum:
                    rng = number_range(sorted(calls.values()))
        if name in writes:
            prop["access"] = ["read", "write", "notify"]
        if m.unit:
            prop["unit"] = m.unit
        if m.enum is not None:
            prop["value-list"] = [
                {"value": e.value, "description": e.name} for e in m.enum if e.value >= 0
            ]
        elif rng is not None:
            prop["value-range"] = [int(x) if float(x).is_integer() else x for x in rng]
        service = services.setdefault(
            where["siid"],
            {
                "iid": where["siid"],
                "type": urn("service", m.service, model),
                "description": m.service.replace("-", " ").capitalize(),
                "properties": [],
            },
        )
        service["properties"].append(prop)
    for service in services.values():
        service["properties"].sort(key=lambda p: p["iid"])
    return {
        "type": urn("device", "air-purifier", model).replace(":00000000:", ":0000A007:"),
        "description": "Air Purifier (spec built from python-miio's mapping)",
        "services": [services[k] for k in sorted(services)],
    }


# ---- output -----------------------------------------------------------------------------


def dump(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


GENERIC_YEELIGHT = "yeelink.light.generic"
"""Yeelight's ``generic`` entry: what python-miio assumes of a bulb it does not know. The hub
uses this table for any ``yeelink.light.*`` model without its own (hub catalog's fallback)."""


def referees() -> dict[str, str]:
    """model -> the python-miio class that verifies it (92: python-miio's 91 models and the
    generic Yeelight)."""
    out = dict.fromkeys(miio.AirPurifierMiot.supported_models, "AirPurifierMiot")
    miio.Yeelight("127.0.0.1", TOKEN, model="yeelink.light.color2")  # loads specs.yaml
    for name, facts in LEGACY.items():
        for model in facts.cls.supported_models:
            out[GENERIC_YEELIGHT if model == "generic" else model] = name
    return out


def generate() -> dict[Path, str]:
    """Every file the generator owns -> its text."""
    logging.getLogger("miio").setLevel(logging.ERROR)  # "Unknown model ...generic": meant
    files: dict[Path, str] = {}
    for model, referee in sorted(referees().items()):
        if referee == "AirPurifierMiot":
            table = miot_table(model)
            if model not in FULL_SPECS:
                for folder in SPEC_DIRS:
                    files[folder / f"{model}.json"] = dump(miot_spec(model))
        else:
            table = legacy_table(referee, model)
        for folder in TABLE_DIRS:
            files[folder / f"{model}.json"] = dump(table)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    files = generate()
    stale = [p for p, text in files.items() if not p.exists() or p.read_text("utf-8") != text]
    for folder in TABLE_DIRS:
        extra = set(folder.glob("*.json")) - set(files) if folder.exists() else set()
        stale.extend(sorted(extra))
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    for folder in TABLE_DIRS:
        for path in set(folder.glob("*.json")) - set(files):
            path.unlink()
    print(
        f"{len(files)} files written ({sum(1 for p in files if 'tables' in p.parts) // 2} models)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
