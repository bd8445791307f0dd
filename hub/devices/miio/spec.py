"""MIoT specs: the services, properties, actions and events of a model, from bundled JSON.

The files under ``specs/`` follow the MIoT spec-instance format (miot-spec.org); one file per
model, named ``<model>.json``. Adding a model is adding a file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from hub.errors import NotFound


def _name(urn: str) -> str:
    """``urn:miot-spec-v2:property:fan-level:00000016:zhimi-mb3:1`` -> ``fan-level``."""
    parts = urn.split(":")
    return parts[3] if len(parts) > 3 else urn


@dataclass(frozen=True, slots=True)
class MiotProperty:
    siid: int
    piid: int
    name: str
    description: str
    format: str
    access: frozenset[str]
    unit: str | None = None
    value_range: tuple[float, float, float] | None = None
    value_list: tuple[tuple[int, str], ...] = ()

    @property
    def readable(self) -> bool:
        return "read" in self.access

    @property
    def writable(self) -> bool:
        return "write" in self.access

    @property
    def notifies(self) -> bool:
        return "notify" in self.access


@dataclass(frozen=True, slots=True)
class MiotAction:
    siid: int
    aiid: int
    name: str
    description: str
    inputs: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class MiotEvent:
    siid: int
    eiid: int
    name: str
    description: str
    arguments: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class MiotService:
    siid: int
    name: str
    description: str
    properties: tuple[MiotProperty, ...]
    actions: tuple[MiotAction, ...]
    events: tuple[MiotEvent, ...]


@dataclass(frozen=True, slots=True)
class MiotSpec:
    model: str
    device_type: str
    description: str
    services: tuple[MiotService, ...]

    def properties(self) -> list[MiotProperty]:
        return [p for s in self.services for p in s.properties]

    def service(self, siid: int) -> MiotService | None:
        return next((s for s in self.services if s.siid == siid), None)


def parse_spec(model: str, data: dict[str, Any]) -> MiotSpec:
    services = []
    for s in data["services"]:
        siid = int(s["iid"])
        props = tuple(_parse_property(siid, p) for p in s.get("properties", []))
        actions = tuple(
            MiotAction(
                siid,
                int(a["iid"]),
                _name(a["type"]),
                a.get("description", ""),
                tuple(a.get("in", [])),
            )
            for a in s.get("actions", [])
        )
        events = tuple(
            MiotEvent(
                siid,
                int(e["iid"]),
                _name(e["type"]),
                e.get("description", ""),
                tuple(e.get("arguments", [])),
            )
            for e in s.get("events", [])
        )
        services.append(
            MiotService(siid, _name(s["type"]), s.get("description", ""), props, actions, events)
        )
    return MiotSpec(model, _name(data["type"]), data.get("description", ""), tuple(services))


def _parse_property(siid: int, p: dict[str, Any]) -> MiotProperty:
    value_range = p.get("value-range")
    return MiotProperty(
        siid=siid,
        piid=int(p["iid"]),
        name=_name(p["type"]),
        description=p.get("description", ""),
        format=p["format"],
        access=frozenset(p.get("access", [])),
        unit=p.get("unit") if p.get("unit") not in (None, "none") else None,
        value_range=tuple(value_range) if value_range else None,
        value_list=tuple((int(v["value"]), str(v["description"])) for v in p.get("value-list", [])),
    )


def bundled_models() -> list[str]:
    folder = resources.files("hub.devices.miio").joinpath("specs")
    return sorted(
        f.name.removesuffix(".json") for f in folder.iterdir() if f.name.endswith(".json")
    )


@cache
def load_spec(model: str) -> MiotSpec:
    """The bundled spec of ``model``; NotFound when no file describes it."""
    path = resources.files("hub.devices.miio").joinpath("specs", f"{model}.json")
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        raise NotFound(
            f"no MIoT spec for model '{model}'; supported: {', '.join(bundled_models())}"
        ) from None
    return parse_spec(model, json.loads(text))
