"""``mihub demo``: a simulated home on loopback plus the hub, nothing else to install.

The simulated devices run in this process on 127.0.0.x; Zigbee sensors and buttons run on a
private broker on 127.0.0.1 (Mosquitto when it is installed, else the embedded amqtt broker);
the hub binds loopback only, so the demo never sends a packet beyond this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import signal
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from firmware_sim.fleet import DeviceConfig, Fleet
from firmware_sim.mqtt import MqttSimulation
from hub.app import Hub
from hub.config import Config
from hub.demo_broker import PrivateBroker, private_broker
from hub.demo_history import CLIMATE, DOOR, MOTION, demo_week, seed_history, until_known
from hub.demo_life import demo_life

HOME: list[tuple[str, str, str]] = [
    ("zhimi.airpurifier.mb3", "Living room purifier", "Living room"),
    ("zhimi.airpurifier.mb3", "Bedroom purifier", "Bedroom"),
    ("zhimi.airpurifier.mb3", "Study purifier", "Study"),
    ("yeelink.light.color2", "Ceiling light", "Living room"),
    ("yeelink.light.color2", "Reading lamp", "Living room"),
    ("yeelink.light.color2", "Bedside lamp", "Bedroom"),
    ("yeelink.light.color2", "Desk lamp", "Study"),
    ("yeelink.light.color2", "Hall light", "Hall"),
    ("yeelink.light.color2", "Kitchen light", "Kitchen"),
    ("chuangmi.camera.ipc019", "Hall camera", "Hall"),
    ("chuangmi.camera.ipc019", "Garden camera", "Garden"),
]
BUTTON = "zigbee-0x00158d0000000004"  # the simulated bridge's WXKG11LM button
FIRST_HOST = "127.0.0.100"
_LOGGER = logging.getLogger(__name__)


def demo_fleet(first_host: str = FIRST_HOST) -> Fleet:
    first = ipaddress.IPv4Address(first_host)
    configs = [
        DeviceConfig(model, str(first + i), snapshot_port=8080)
        for i, (model, _, _) in enumerate(HOME)
    ]
    return Fleet(configs)


def demo_config(fleet: Fleet, data_dir: Path, mqtt_url: str | None, port: int) -> Config:
    ids = [f"miio-{sim.did}" for sim in fleet.devices]
    # Stock camera firmware serves no picture on the LAN: the demo's cameras stand for ones
    # with a picture URL (custom firmware, an RTSP-to-JPEG bridge), the simulator's HTTP picture.
    devices = [
        {"host": sim.host, "token": sim.token, "name": name, "room": room}
        | ({"snapshot_url": sim.snapshot_url} if sim.snapshot_url else {})
        for sim, (_, name, room) in zip(fleet.devices, HOME, strict=True)
    ]
    lights = [i for i, (model, _, _) in zip(ids, HOME, strict=True) if "light" in model]
    purifiers = [i for i, (model, _, _) in zip(ids, HOME, strict=True) if "purifier" in model]
    scenes: list[dict[str, Any]] = [
        {"id": "movie", "name": "Movie night", "targets": [
            {"device": lights[0], "feature": "power", "value": True},
            {"device": lights[0], "feature": "brightness", "value": 15},
            {"device": lights[1], "feature": "power", "value": False}]},
        {"id": "all-off", "name": "All lights off", "targets": [
            {"device": light, "feature": "power", "value": False} for light in lights]},
    ]  # fmt: skip
    automations: list[dict[str, Any]] = [
        {"id": "dirty-air", "alias": "PM2.5 above 75: purifier on, favourite level 12",
         "trigger": [{"platform": "state", "device": purifiers[0], "feature": "pm25",
                      "above": 75}],
         "action": [{"action": "set", "device": purifiers[0], "feature": "power", "value": True},
                    {"action": "set", "device": purifiers[0], "feature": "mode",
                     "value": "favorite"},
                    {"action": "set", "device": purifiers[0], "feature": "favorite_level",
                     "value": 12},
                    {"action": "notify", "title": "Air", "message": "PM2.5 is high"}]},
    ]  # fmt: skip
    if mqtt_url:
        # The cameras are legacy miIO models: their firmware reports no motion on the LAN,
        # so motion at night comes from the Zigbee motion sensor in the hall.
        automations.append(
            {"id": "night-motion", "alias": "Motion in the hall at night: purifier to sleep",
             "trigger": [{"platform": "state", "device": MOTION, "feature": "occupancy",
                          "to": True}],
             "condition": [{"condition": "time", "after": "22:00", "before": "06:00"}],
             "action": [{"action": "set", "device": purifiers[1], "feature": "mode",
                         "value": "sleep"}]}
        )  # fmt: skip
        automations.append(
            {"id": "button-hall", "alias": "Button: toggle the hall light",
             "trigger": [{"platform": "event", "device": BUTTON, "event": "action",
                          "data": {"value": "single"}}],
             "action": [{"action": "call", "device": lights[4], "feature": "toggle"}]}
        )  # fmt: skip
    return Config.model_validate({
        "hub": {"id": "demo", "name": "Demo home", "data_dir": str(data_dir)},
        "api": {"host": "127.0.0.1", "port": port},
        "miio": {"bind": "127.0.0.1", "poll_interval": 10, "devices": devices},
        "mqtt": {"url": mqtt_url} if mqtt_url else None,
        "rooms": sorted({room for _, _, room in HOME}),
        "scenes": scenes,
        "automations": automations,
    })  # fmt: skip


def demo_ids(fleet: Fleet) -> dict[str, str]:
    """The demo's devices: their names -> their ids."""
    miio = {name: f"miio-{sim.did}" for sim, (_, name, _) in zip(fleet.devices, HOME, strict=True)}
    zigbee = {"Living room climate": CLIMATE, "Hall motion sensor": MOTION, "Front door": DOOR,
              "Hall button": BUTTON}  # fmt: skip
    return miio | zigbee


async def seed_demo_history(fleet: Fleet, config: Config) -> None:
    """A fresh demo gets the week before it started (hub.demo_history)."""
    path = config.hub.data_dir / "history.db"
    if not config.history.enabled or path.exists():
        return
    tz = ZoneInfo(config.hub.location.timezone)
    events = demo_week(demo_ids(fleet), time.time(), tz)
    seconds = await seed_history(path, events)
    _LOGGER.info("demo: a week of history, %d changes and commands, in %.2f s", len(events),
                 seconds)  # fmt: skip


async def first_suggestions(hub: Hub, fleet: Fleet, wait: float = 30.0) -> None:
    """Mine once, as soon as the devices the week names are known (their names show)."""
    if hub.habits is None:
        return
    with contextlib.suppress(TimeoutError):  # mine what is known by then
        async with asyncio.timeout(wait):
            await until_known(hub.registry, demo_ids(fleet).values())
    found = await hub.habits.refresh()
    _LOGGER.info("demo: %d habit suggestions", len(found))


@dataclass(frozen=True, slots=True)
class DemoHome:
    fleet: Fleet
    broker: PrivateBroker
    zigbee: MqttSimulation
    hub: Hub


@contextlib.asynccontextmanager
async def demo_home(
    data_dir: Path, port: int = 8321, first_host: str = FIRST_HOST, speed: float = 1.0
) -> AsyncIterator[DemoHome]:
    """The simulated home, its private broker and the hub on it, all stopped on exit.

    The home lives (hub.demo_life) with a scenario clock ``speed`` times real time."""
    async with contextlib.AsyncExitStack() as stack:
        fleet = await stack.enter_async_context(demo_fleet(first_host))
        broker = await stack.enter_async_context(private_broker(data_dir))
        zigbee = await stack.enter_async_context(MqttSimulation(broker.url))
        config = demo_config(fleet, data_dir, broker.url, port)
        await seed_demo_history(fleet, config)
        hub = await stack.enter_async_context(Hub(config))
        await stack.enter_async_context(demo_life(hub.registry, fleet, zigbee, speed))
        await first_suggestions(hub, fleet)
        yield DemoHome(fleet, broker, zigbee, hub)


async def run_demo_async(stop: asyncio.Event, port: int = 8321) -> None:
    with tempfile.TemporaryDirectory(prefix="mihub-demo-") as tmp:
        async with demo_home(Path(tmp), port) as home:
            hub = home.hub
            token = await hub.auth.issue("demo", ["read", "control", "admin"])
            code = await hub.auth.create_pairing_code()
            print(
                f"\nmihub demo: {len(home.fleet.devices)} miIO devices on 127.0.0.100+, "
                f"Zigbee sensors and a button on {home.broker.name} at {home.broker.url}.\n"
                "The lights and cameras speak legacy miIO, as their real counterparts do. Stock\n"
                "camera firmware serves no picture on the LAN: the demo configures each camera's\n"
                "snapshot_url to the simulator's HTTP picture, standing in for custom firmware.\n"
                f"Open {hub.api_url}#pair={code} to pair this browser (code {code}),\n"
                f"or use this ready token:\n"
                f"  token: {token}\n"
                f"  curl -H 'Authorization: Bearer {token}' {hub.api_url}api/devices\n"
                "Ctrl-C stops everything.\n",
                flush=True,
            )
            await stop.wait()
    print("demo stopped")


def run_demo(port: int = 8321) -> int:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_demo_async(stop, port)

    asyncio.run(main())
    return 0
