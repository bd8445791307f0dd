"""The miIO protocol layer as the registry sees it: onboarding, links, commands.

``MiioAdapter`` turns a (host, token) into a Device: the hello gives the device id, the
``miIO.info`` reply the model, the bundled MIoT spec the Features. It then keeps one
:class:`MiioLink` per device and answers the registry's commands through it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.devices.miio.features import derive_features
from hub.devices.miio.link import MiioLink
from hub.devices.miio.poller import PollScheduler
from hub.devices.miio.spec import load_spec
from hub.devices.miio.transport import MiioSession, MiioTransport
from hub.devices.model import Device, Feature, Protocol, Value
from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceError

_LOGGER = logging.getLogger(__name__)

MANUFACTURERS = {"zhimi": "Xiaomi (Zhimi)", "yeelink": "Yeelight", "chuangmi": "Xiaomi (Chuangmi)"}


@dataclass(frozen=True, slots=True)
class Onboarded:
    device: Device
    link: MiioLink


class MiioAdapter:
    def __init__(
        self,
        registry: DeviceRegistry,
        transport: MiioTransport,
        poll_fast: float = 2.0,
        poll_slow: float = 30.0,
    ) -> None:
        self.registry = registry
        self.transport = transport
        self.poll_fast = poll_fast
        self.poll_slow = poll_slow
        self.links: dict[str, MiioLink] = {}
        self.scheduler = PollScheduler(batch=min(0.5, poll_fast / 4))  # finer than `fast`
        self._tasks: set[asyncio.Task[bool]] = set()
        registry.adapters[Protocol.MIIO] = self

    async def onboard(
        self,
        host: str,
        token: str,
        *,
        port: int = 54321,
        name: str | None = None,
        room: str | None = None,
        model: str | None = None,
        snapshot_port: int = 8080,
    ) -> Device:
        """Add (or re-attach) the device at ``host``; raises DeviceAuthError on a wrong token."""
        session = self.transport.session(host, token, port=port)
        info = await session.info()
        model = model or str(info.get("model", ""))
        spec = load_spec(model)
        did = session.device_id
        device_id = f"miio-{did}"
        derived = derive_features(spec)
        known = self.registry.devices.get(device_id)
        device = Device(
            id=device_id,
            name=name or (known.name if known else spec.description or model),
            model=model,
            protocol=Protocol.MIIO,
            manufacturer=MANUFACTURERS.get(model.split(".")[0], model.split(".")[0]),
            room=room if room is not None else (known.room if known else None),
            features=dict(derived.features),
            endpoint={
                "host": host,
                "port": port,
                "did": did,
                "fw_ver": info.get("fw_ver"),
                "snapshot_port": snapshot_port,
            },
        )
        device = self.registry.add(device)
        await self.registry.set_secret(device_id, "token", token)
        old = self.links.pop(device_id, None)
        if old is not None:
            await old.stop()
        link = MiioLink(device, derived, session, self.registry, self.scheduler, self.poll_fast,
                        self.poll_slow)  # fmt: skip
        self.links[device_id] = link
        await link.poll()
        link.start()
        return device

    async def subscribe(self, device_id: str, expire: int = 300) -> bool:
        """Ask the device to push its changes (``miIO.sub``); False when it refuses."""
        link = self.links[device_id]
        session = link.client
        if not isinstance(session, MiioSession):
            return False
        session.on_request = self._on_push
        try:
            await session.send("miIO.sub", {"expire": expire})
        except DeviceError as exc:
            _LOGGER.info("%s does not push (%s); polling it", device_id, exc)
            return False
        if not link.pushing:
            session.add_reboot_listener(lambda _: self._resubscribe(device_id, expire))
        link.subscribed(expire)
        return True

    def _resubscribe(self, device_id: str, expire: int) -> None:
        """A rebooted device forgot its subscribers: subscribe again, and read it afresh."""
        _LOGGER.info("%s rebooted; subscribing again", device_id)
        link = self.links.get(device_id)
        if link is None:
            return
        link.pushing = False
        link.hurry()
        task = asyncio.get_running_loop().create_task(
            self.subscribe(device_id, expire), name=f"miio-resubscribe-{device_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_push(self, session: MiioSession, payload: dict[str, Any]) -> None:
        """A push, already acknowledged and de-duplicated by the session."""
        link = self.links.get(f"miio-{session.device_id}")
        if link is not None:
            link.handle_push(payload)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.scheduler.stop()
        self.links.clear()

    def _link(self, device: Device) -> MiioLink:
        link = self.links.get(device.id)
        if link is None:
            raise DeviceError(f"{device.name} is not connected yet")
        return link

    async def set_value(self, device: Device, feature: Feature, value: Value) -> None:
        await self._link(device).set_value(feature, value)

    async def call_action(
        self, device: Device, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        return await self._link(device).call_action(feature, args)
