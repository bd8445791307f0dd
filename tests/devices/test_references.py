"""Device references: scenes and automations may name a device by id, 'Room/Name' or a name
no other device has (issue 11.2)."""

from __future__ import annotations

import pytest

from hub.devices.model import Device, Protocol
from hub.devices.references import keys_of, reference_key, resolve_device
from hub.errors import NotFound


def device(device_id: str, name: str, room: str | None) -> Device:
    return Device(device_id, name, "zhimi.airpurifier.mb3", Protocol.MIIO, room=room)


DEVICES = {d.id: d for d in [
    device("miio-1", "Purifier", "Living room"),
    device("miio-2", "Purifier", "Bedroom"),
    device("miio-3", "Desk lamp", "Study"),
    device("zigbee-0x4", "Hall button", None),
]}  # fmt: skip


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("miio-1", "miio-1"),
        ("Living room/Purifier", "miio-1"),
        ("living room / purifier", "miio-1"),
        ("Bedroom/Purifier", "miio-2"),
        ("Desk lamp", "miio-3"),
        ("Study/Desk  lamp", "miio-3"),
        ("Hall button", "zigbee-0x4"),
    ],
)
def test_a_reference_resolves_to_one_device(reference: str, expected: str) -> None:
    assert resolve_device(DEVICES, reference).id == expected
    assert reference_key(reference) in keys_of(DEVICES[expected])


def test_a_shared_name_asks_for_the_room_and_an_unknown_one_says_how_to_name() -> None:
    with pytest.raises(NotFound) as shared:
        resolve_device(DEVICES, "Purifier")
    assert str(shared.value) == (
        "'Purifier' names 2 devices: Bedroom/Purifier (miio-2), Living room/Purifier (miio-1); "
        "say the room or the id"
    )
    with pytest.raises(NotFound, match=r"no device 'Kitchen/Purifier' \(a device is named by"):
        resolve_device(DEVICES, "Kitchen/Purifier")


def test_each_key_of_a_device_is_listed_once() -> None:
    thermo = device("thermo", "Thermo", None)
    assert keys_of(thermo) == ("thermo",)
    assert keys_of(DEVICES["miio-1"]) == ("miio-1", "living room/purifier", "purifier")
