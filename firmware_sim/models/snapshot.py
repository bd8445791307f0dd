"""A camera's JPEG snapshot over HTTP on the device's own address; it changes over time."""

from __future__ import annotations

import asyncio
import datetime
import io

from aiohttp import web
from PIL import Image, ImageDraw


def render_snapshot(label: str, when: datetime.datetime) -> bytes:
    """A 320x240 frame: a dim 'room' with the camera's clock burned in, as cameras do."""
    second = when.second
    image = Image.new("RGB", (320, 240), (30 + second, 40, 60))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40 + second * 3, 120, 90 + second * 3, 200), fill=(200, 180, 90))
    draw.text((8, 8), when.strftime("%Y-%m-%d %H:%M:%S"), fill=(255, 255, 255))
    draw.text((8, 220), label, fill=(200, 200, 200))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


class SnapshotServer:
    def __init__(self, host: str, port: int, label: str) -> None:
        self.host = host
        self.port = port
        self.label = label
        self.clock_offset = 0.0
        """Seconds added to the camera's clock (tests move time instead of waiting)."""
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/snapshot.jpg"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/snapshot.jpg", self._snapshot)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0 and site._server is not None:
            sockets = getattr(site._server, "sockets", None) or []
            self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _snapshot(self, request: web.Request) -> web.Response:
        now = datetime.datetime.now() + datetime.timedelta(seconds=self.clock_offset)
        body = await asyncio.to_thread(render_snapshot, self.label, now)
        return web.Response(
            body=body, content_type="image/jpeg", headers={"Cache-Control": "no-store"}
        )
