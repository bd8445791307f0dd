"""A private Mosquitto broker for tests: a real broker on a free loopback port.

::

    async with MosquittoBroker() as broker:
        broker.port          # connect here
        await broker.kill()  # SIGKILL: clients see the connection drop, no clean goodbye
        await broker.start() # back on the same port, empty (no persistence)

or take the ``mosquitto`` fixture: ``from tests.mqtt_broker import mosquitto  # noqa: F401``.
Only the process this object started is ever signalled, by its PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType

import pytest

from tests.waiting import until as until  # re-exported: most tests take it from here

MOSQUITTO = "/usr/sbin/mosquitto"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class MosquittoBroker:
    """One Mosquitto process on 127.0.0.1, started, stopped and restarted on demand."""

    def __init__(self, port: int | None = None, extra_config: str = "") -> None:
        self._free_pick = port is None
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.extra_config = extra_config
        self.started_at = 0.0
        self._dir = Path(tempfile.mkdtemp(prefix="mihub-mosquitto-"))
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        """Start the broker (again) and return once it accepts connections."""
        if self.running:
            return
        config = self._dir / "mosquitto.conf"
        text = (
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "user root\n"
            "log_dest stderr\n"
            "log_type error\n"
            "log_type warning\n"
            f"{self.extra_config}\n"
        )
        await asyncio.to_thread(config.write_text, text)
        log = await asyncio.to_thread(open, self._dir / "mosquitto.log", "ab")
        try:
            self._process = await asyncio.create_subprocess_exec(
                MOSQUITTO,
                "-c",
                str(config),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        finally:
            log.close()
        await self._wait_listening(deadline=time.monotonic() + 5.0)
        self.started_at = time.monotonic()

    async def _wait_listening(self, deadline: float) -> None:
        while True:
            if self._process is not None and self._process.returncode is not None:
                raise RuntimeError(f"mosquitto exited: {await self.log()}")
            try:
                _, writer = await asyncio.open_connection(self.host, self.port)
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mosquitto did not listen on {self.port}") from None
                await asyncio.sleep(0.01)
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return

    async def stop(self) -> None:
        """Stop the broker cleanly (SIGTERM) and wait for it to exit."""
        await self._end(kill=False)

    async def kill(self) -> None:
        """Kill the broker (SIGKILL): its clients lose the connection without a goodbye."""
        await self._end(kill=True)

    async def _end(self, kill: bool) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5.0)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def log(self) -> str:
        path = self._dir / "mosquitto.log"
        if not await asyncio.to_thread(path.exists):
            return ""
        return await asyncio.to_thread(path.read_text, errors="replace")

    async def __aenter__(self) -> MosquittoBroker:
        for attempt in range(3):
            try:
                await self.start()
            except RuntimeError:
                # the free port was taken between our probe and the broker's bind: pick again
                if not self._free_pick or attempt == 2:
                    raise
                self.port = free_port()
            else:
                return self
        raise AssertionError("unreachable")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
        await asyncio.to_thread(shutil.rmtree, self._dir, True)


@pytest.fixture
async def mosquitto() -> AsyncIterator[MosquittoBroker]:
    """A private Mosquitto on a free port, stopped after the test."""
    if not os.access(MOSQUITTO, os.X_OK):
        pytest.fail(f"{MOSQUITTO} is not installed: run `make test`, which installs it")
    async with MosquittoBroker() as broker:
        yield broker
