"""``mihub demo``: a simulated home on loopback plus the hub, nothing else to install.

The simulated devices run in this process on 127.0.0.x; the hub binds loopback only, so the
demo never sends a packet beyond this machine.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import tempfile
from pathlib import Path

from firmware_sim.fleet import DeviceConfig, Fleet
from hub.app import Hub
from hub.bus import DeviceOffline, DeviceOnline, StateChanged
from hub.config import Config, MiioDeviceConfig

_LOGGER = logging.getLogger("mihub.demo")

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


def demo_fleet(host_base: int = 100) -> Fleet:
    configs = [
        DeviceConfig(model, f"127.0.0.{host_base + i}", snapshot_port=8080)
        for i, (model, _, _) in enumerate(HOME)
    ]
    return Fleet(configs)


def demo_config(fleet: Fleet, data_dir: Path) -> Config:
    devices = [
        MiioDeviceConfig(host=sim.host, token=sim.token, name=name, room=room)
        for sim, (_, name, room) in zip(fleet.devices, HOME, strict=True)
    ]
    return Config.model_validate(
        {
            "hub": {"id": "demo", "name": "Demo home", "data_dir": str(data_dir)},
            "api": {"host": "127.0.0.1", "port": 8321},
            "miio": {"bind": "127.0.0.1", "poll_interval": 10, "devices": devices},
            "rooms": sorted({room for _, _, room in HOME}),
        }
    )


async def run_demo_async(stop: asyncio.Event) -> None:
    with tempfile.TemporaryDirectory(prefix="mihub-demo-") as tmp:
        async with demo_fleet() as fleet:
            config = demo_config(fleet, Path(tmp))
            async with Hub(config) as hub:
                hub.bus.subscribe(
                    StateChanged,
                    lambda e: _LOGGER.info("%s %s = %r", e.device_id, e.feature, e.value),
                )
                hub.bus.subscribe(DeviceOnline, lambda e: _LOGGER.info("%s online", e.device_id))
                hub.bus.subscribe(
                    DeviceOffline, lambda e: _LOGGER.info("%s offline (%s)", e.device_id, e.reason)
                )
                print(f"demo: {len(fleet.devices)} simulated devices on 127.0.0.100+; Ctrl-C stops")
                await stop.wait()
    print("demo stopped")


def run_demo() -> int:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_demo_async(stop)

    asyncio.run(main())
    return 0
