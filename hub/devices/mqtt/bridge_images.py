"""Camera pictures on MQTT, for Home Assistant's MQTT camera: the JPEG bytes, retained, on
``<base>/<device id>/image/<feature id>``.

A picture is fetched (by the hub's snapshot fetcher, from the URL the user configured) when
the camera is first exported, every ``interval`` seconds after, and soon after the camera's
state changes (motion), never more often than every ``min_gap`` seconds per camera. Bounded:
one fetch at a time for the whole hub, each within ``timeout``; a picture larger than
``MAX_BYTES`` is not published (a warning says so) and an unchanged one is not sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from hub.devices.model import Device, FeatureKind
from hub.errors import DeviceError

_LOGGER = logging.getLogger(__name__)

MAX_BYTES = 1024 * 1024
"""Mosquitto accepts far more, but a retained megabyte per camera is plenty for a still."""
SNAPSHOT_URL = "snapshot_url"
"""The endpoint key of a device whose pictures can be fetched (see hub.config.MiioDeviceConfig)."""

Snapshot = Callable[[str], Awaitable[bytes]]
"""``await snapshot(device_id)``: the device's picture, or DeviceError."""
Send = Callable[[str, bytes], None]


def image_feature(device: Device) -> str | None:
    """The id of the device's picture feature, when a picture can be fetched for it."""
    if not device.endpoint.get(SNAPSHOT_URL):
        return None
    return next((f.id for f in device.features.values() if f.kind is FeatureKind.IMAGE), None)


class ImagePublisher:
    def __init__(
        self,
        snapshot: Snapshot,
        send: Send,
        interval: float = 60.0,
        min_gap: float = 5.0,
        timeout: float = 10.0,
    ) -> None:
        self.snapshot = snapshot
        self.send = send
        self.interval = interval
        self.min_gap = min_gap
        self.timeout = timeout
        self.topics: dict[str, str] = {}
        """Per camera, where its picture goes."""
        self.published = 0
        self._due: dict[str, float] = {}
        self._fetched: dict[str, float] = {}
        self._last: dict[str, int] = {}
        self._wake = asyncio.Event()
        self._warned: set[str] = set()

    def track(self, device_id: str, topic: str) -> None:
        if self.topics.get(device_id) == topic:
            return
        self.topics[device_id] = topic
        self._last.pop(device_id, None)
        self._due[device_id] = 0.0
        self._wake.set()

    def untrack(self, device_id: str) -> None:
        for table in (self.topics, self._due, self._fetched, self._last):
            table.pop(device_id, None)

    def poke(self, device_id: str) -> None:
        """The camera's state changed: a fresh picture soon."""
        if device_id not in self._due:
            return
        soonest = self._fetched.get(device_id, 0.0) + self.min_gap
        self._due[device_id] = min(self._due[device_id], soonest)
        self._wake.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            now = loop.time()
            for device_id in [d for d, at in self._due.items() if at <= now]:
                await self._publish(device_id)
                if device_id in self._due:
                    self._fetched[device_id] = loop.time()
                    self._due[device_id] = loop.time() + self.interval
            wait = min(self._due.values(), default=loop.time() + 3600) - loop.time()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(wait, 0.0)):
                    await self._wake.wait()

    async def _publish(self, device_id: str) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                image = await self.snapshot(device_id)
        except (DeviceError, TimeoutError) as exc:
            self._warn(device_id, f"no picture of {device_id} for MQTT: {exc or 'timeout'}")
            return
        if len(image) > MAX_BYTES:
            self._warn(device_id, f"the picture of {device_id} ({len(image)} bytes) is over "
                                  f"{MAX_BYTES} bytes: not published on MQTT")  # fmt: skip
            return
        self._warned.discard(device_id)
        fingerprint = hash(image)
        topic = self.topics.get(device_id)
        if topic is None or self._last.get(device_id) == fingerprint:
            return
        self._last[device_id] = fingerprint
        self.send(topic, image)
        self.published += 1

    def _warn(self, device_id: str, message: str) -> None:
        if device_id not in self._warned:
            self._warned.add(device_id)
            _LOGGER.warning(message)
        else:
            _LOGGER.debug(message)
