"""A camera's JPEG snapshot over HTTP on the device's own address; it changes over time.

``GET http://<device host>:<port>/snapshot.jpg`` returns a 320x240 frame with the camera's
clock burned in (as cameras do) and a "subject" that moves with the seconds. Rendering runs in
a worker thread: Pillow's encoder must not hold up the event loop.
"""

from __future__ import annotations

import asyncio
import datetime
import io
from types import TracebackType

from aiohttp import web
from PIL import Image, ImageDraw


def render_snapshot(label: str, when: datetime.datetime) -> bytes:
    """A dim 'room' with the time stamp, a moving subject and the camera's name."""
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
    """``async with SnapshotServer("127.0.0.12", 8080, "camera 42") as server: server.url``"""

    def __init__(self, host: str, port: int, label: str) -> None:
        self.host = host
        self.port = port
        """The HTTP port; 0 picks a free one at start."""
        self.label = label
        self.clock_offset = 0.0
        """Seconds added to the camera's clock (tests move time instead of waiting)."""
        self.served = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/snapshot.jpg"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/snapshot.jpg", self._snapshot)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        for address in runner.addresses:
            self.port = int(address[1])
            break

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> SnapshotServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def now(self) -> datetime.datetime:
        return datetime.datetime.now() + datetime.timedelta(seconds=self.clock_offset)

    async def _snapshot(self, request: web.Request) -> web.Response:
        body = await asyncio.to_thread(render_snapshot, self.label, self.now())
        self.served += 1
        return web.Response(
            body=body, content_type="image/jpeg", headers={"Cache-Control": "no-store"}
        )
