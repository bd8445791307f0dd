"""A simulated device's flash: who it is and which network it was sent to, kept across
restarts (``python -m firmware_sim --flash PATH``).

A factory-reset device that accepts ``miIO.config_router`` on its own access point leaves
it and comes back, after a restart, in the home network as the same device (device id,
token, MAC) with its token masked. The Wi-Fi password is not kept here: the simulated
device has no radio to use it on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from firmware_sim.miio.device import DeviceConfig, SimulatedDevice

KEYS = ("model", "did", "token", "mac", "provisioned", "ssid", "uid")


def read(path: Path) -> dict[str, Any] | None:
    """The flash's contents, or None for a device that has never run (a blank flash)."""
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or set(KEYS) - set(data):
        raise ValueError(f"{path}: a device flash needs the keys {', '.join(KEYS)}")
    return data


def device_config(path: Path | None, model: str, host: str, port: int, bind: str | None, *,
                  provisioned: bool) -> DeviceConfig:  # fmt: skip
    """The device this flash describes, at ``host``; no flash or a blank one gives a new
    device, ``provisioned`` or factory-reset."""
    saved = read(path) if path is not None else None
    if saved is None:
        return DeviceConfig(model, host, port, bind=bind, provisioned=provisioned)
    if saved["model"] != model:
        raise ValueError(f"{path}: this flash belongs to a {saved['model']}, not a {model}")
    return DeviceConfig(
        model, host, port, token=saved["token"], did=saved["did"], mac=saved["mac"],
        bind=bind, provisioned=bool(saved["provisioned"]), ssid=str(saved["ssid"]),
        uid=int(saved["uid"]),
    )  # fmt: skip


def write(path: Path, simulated: SimulatedDevice) -> None:
    """Written whole or not at all."""
    identity = simulated.identity
    data = {
        "model": identity.model, "did": identity.did, "token": identity.token,
        "mac": identity.mac, "provisioned": identity.provisioned, "ssid": identity.ssid,
        "uid": identity.uid,
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    tmp.replace(path)
