"""How ``release-0.1.db`` was made: a store written by the release before the store had a
schema version (main at 253d2c2), kept so the upgrade test opens a real old file.

    .venv/bin/python -m tests.store_files.make_release_store tests/store_files/release-0.1.db

Run with that release's code; today's code would write today's layout instead. It holds
three devices (one with a miIO token), their state, a scene, an automation and an API token.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from hub.api.auth import TokenAuth
from hub.bus import EventBus
from hub.devices.model import Device, Feature, FeatureKind, Protocol
from hub.devices.registry import DeviceRegistry
from hub.scenes.engine import AutomationEngine
from hub.scenes.scenes import SceneManager
from hub.store import Store

DEVICE_TOKEN = "00112233445566778899aabbccddeeff"
API_TOKEN_NAME = "release phone"


async def make(path: Path) -> None:
    async with Store(path) as store:
        bus = EventBus()
        registry = DeviceRegistry(bus, store)
        await registry.load()
        power = {"power": Feature("power", FeatureKind.SWITCH, writable=True)}
        rows = [
            ("miio-1001", "Desk lamp", "yeelink.light.color2", Protocol.MIIO, "Study"),
            ("miio-1002", "Purifier", "zhimi.airpurifier.mb3", Protocol.MIIO, "Living room"),
            ("zigbee-0x00158d0001", "Hall button", "lumi.sensor_switch", Protocol.MQTT, "Hall"),
        ]
        for device_id, name, model, protocol, room in rows:
            registry.add(Device(device_id, name, model, protocol, room=room, features=power))
        registry.update("miio-1001", {"power": True})
        await registry.set_secret("miio-1001", "token", DEVICE_TOKEN)
        scenes = SceneManager(registry, store)
        await scenes.load()
        await scenes.create({"id": "evening", "name": "Evening", "targets": [
            {"device": "miio-1001", "feature": "power", "value": True},
            {"device": "miio-1002", "feature": "power", "value": False},
        ]})  # fmt: skip
        engine = AutomationEngine(registry, bus, store, scenes=scenes)
        await engine.create({
            "id": "lamp-with-purifier", "alias": "The lamp follows the purifier",
            "trigger": [{"platform": "state", "device": "miio-1002", "feature": "power"}],
            "action": [{"action": "set", "device": "miio-1001", "feature": "power",
                        "value": True}],
        })  # fmt: skip
        api_token = await TokenAuth(store).issue(API_TOKEN_NAME, ["read", "control", "admin"])
        registry.close()
    print(f"API token (for the upgrade test's RELEASE_API_TOKEN): {api_token}")


if __name__ == "__main__":
    asyncio.run(make(Path(sys.argv[1])))
