"""Camera pictures, from the URL the user configured (``snapshot_url``): stock Mi camera
firmware serves no picture on the LAN; custom firmware or an RTSP-to-JPEG bridge does, and the
simulator's HTTP picture stands in for one. Fetched for the API, with a short timeout and a
size cap."""

from __future__ import annotations

import aiohttp

from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceError, DeviceTimeout

MAX_BYTES = 4 * 1024 * 1024


class SnapshotFetcher:
    def __init__(self, registry: DeviceRegistry, timeout: float = 5.0) -> None:
        self.registry = registry
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __call__(self, device_id: str) -> bytes:
        device = self.registry.get(device_id)
        url = device.endpoint.get("snapshot_url")
        if not url:
            raise DeviceError(
                f"{device.name} has no picture URL: set snapshot_url for it under miio.devices"
            )
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        try:
            async with self._session.get(url) as response:
                if response.status != 200 or response.content_type != "image/jpeg":
                    raise DeviceError(f"{device.name} answered {response.status} for its picture")
                return await response.content.read(MAX_BYTES)
        except TimeoutError as exc:
            raise DeviceTimeout(f"{device.name} did not send its picture in time") from exc
        except aiohttp.ClientError as exc:
            raise DeviceError(f"{device.name}: cannot fetch its picture: {exc}") from exc
