"""Device references: how scenes and automations name a device.

A reference is the device's id (``miio-12345678``), its room and name (``Living room/Purifier``)
or its name alone when no other device has it (``Purifier``). Names and rooms are compared
without regard to case or to spaces around the ``/``, so a config can be written before the
hub has ever seen its devices; the reference is resolved each time it is used.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from hub.devices.model import Device
from hub.errors import NotFound


def reference_key(reference: str) -> str:
    """One spelling of a reference: ``Living room / Purifier`` -> ``living room/purifier``."""
    if "/" not in reference:
        return " ".join(reference.split()).casefold()
    room, _, name = reference.partition("/")
    return f"{' '.join(room.split())}/{' '.join(name.split())}".casefold()


def keys_of(device: Device) -> tuple[str, ...]:
    """Every reference key that names ``device`` (its id, room/name, and name), each once."""
    return _keys(device.id, device.name, device.room)


@functools.lru_cache(maxsize=4096)
def _keys(device_id: str, name: str, room: str | None) -> tuple[str, ...]:
    """Memoised: resolving a name walks every device, and a start resolves each reference of
    every automation (20 references x 200 devices: 4,000 walks, a quarter of a start's CPU)."""
    keys = [reference_key(device_id)]
    if room:
        keys.append(reference_key(f"{room}/{name}"))
    keys.append(reference_key(name))
    return tuple(dict.fromkeys(keys))


def resolve_device(devices: Mapping[str, Device], reference: str) -> Device:
    """The device ``reference`` names; NotFound says why none (unknown, or which ones match)."""
    device = devices.get(reference)
    if device is not None:
        return device
    key = reference_key(reference)
    matches = [d for d in devices.values() if key in keys_of(d)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(
            f"no device '{reference}' (a device is named by its id, 'Room/Name', or a name "
            "no other device has)"
        )
    named = ", ".join(sorted(f"{d.room or '(no room)'}/{d.name} ({d.id})" for d in matches))
    raise NotFound(f"'{reference}' names {len(matches)} devices: {named}; say the room or the id")
