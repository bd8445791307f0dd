"""`mihub run` as a real subprocess on a free loopback port, for tests that kill it.

::

    hub = HubProcess(tmp_path)            # writes config.yaml; data in tmp_path / "data"
    await hub.seed(devices=4)             # stored devices and an admin token, before start
    await hub.start()                     # returns once /api/health answers
    hub.kill()                            # SIGKILL: no flush, no goodbye
    await hub.stop()                      # SIGTERM, then wait

Only the process this object started is ever signalled, by its PID.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from pathlib import Path

import aiohttp

from hub.api.auth import TokenAuth
from hub.store import Store
from tests.mqtt_broker import free_port

SWITCH = {"id": "power", "kind": "switch", "name": "Power", "readable": True, "writable": True}


class HubProcess:
    def __init__(self, root: Path, extra_config: str = "", verbose: bool = False) -> None:
        self.root = root
        self.port = free_port()
        self.data = root / "data"
        self.config = root / "config.yaml"
        self.log = root / "hub.log"
        self.extra_config = extra_config
        self.verbose = verbose
        self.admin = ""
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> Path:
        return self.data / "mihub.db"

    def write_config(self) -> None:
        self.config.write_text(
            f"hub:\n  data_dir: {self.data}\n"
            f"api:\n  host: 127.0.0.1\n  port: {self.port}\n"
            "miio:\n  bind: 127.0.0.1\n"
            f"{self.extra_config}"
        )

    async def seed(self, devices: int = 0) -> None:
        """Stored devices ``dev-0``... with a power switch, and an admin token in ``admin``."""
        async with Store(self.db) as store:
            for number in range(devices):
                await store.put("devices", f"dev-{number}", {
                    "name": f"Device {number}", "model": "test.switch.v1", "protocol": "mqtt",
                    "manufacturer": "test", "room": None, "features": [SWITCH], "endpoint": {},
                })  # fmt: skip
            self.admin = await TokenAuth(store).issue("test admin", ["admin"])

    async def start(self, timeout: float = 30.0) -> None:
        self.write_config()
        args = ["-m", "hub.cli", *(["-v"] if self.verbose else []), "run", "--config"]
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, *args, str(self.config),
                stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(f"the hub exited: {self.log.read_text()[-2000:]}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{self.url}/api/health") as response:
                        if response.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the hub did not answer: {self.log.read_text()[-2000:]}")
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> int | None:
        process, self.process = self.process, None
        if process is None:
            return None
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        return process.returncode

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.admin}"}
