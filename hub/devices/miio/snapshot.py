"""Camera pictures: simulated (and some hacked) cameras serve a JPEG over HTTP on their own
address; the hub fetches it for the API, with a short timeout and a size cap."""

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
        host = device.endpoint.get("host")
        port = device.endpoint.get("snapshot_port", 8080)
        if not host:
            raise DeviceError(f"{device.name} has no address to fetch a picture from")
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        url = f"http://{host}:{port}/snapshot.jpg"
        try:
            async with self._session.get(url) as response:
                if response.status != 200 or response.content_type != "image/jpeg":
                    raise DeviceError(f"{device.name} answered {response.status} for its picture")
                return await response.content.read(MAX_BYTES)
        except TimeoutError as exc:
            raise DeviceTimeout(f"{device.name} did not send its picture in time") from exc
        except aiohttp.ClientError as exc:
            raise DeviceError(f"{device.name}: cannot fetch its picture: {exc}") from exc
