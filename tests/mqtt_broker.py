"""Private MQTT brokers for tests: a real broker on a free loopback port, Mosquitto or NATS.

::

    async with MosquittoBroker() as broker:   # or NatsBroker()
        broker.port          # connect here (MQTT)
        await broker.kill()  # SIGKILL: clients see the connection drop, no clean goodbye
        await broker.start() # back on the same port (Mosquitto: empty, no persistence;
                             # NATS: its JetStream store kept, so retained messages too)

or take a fixture: ``mosquitto`` (``from tests.mqtt_broker import mosquitto  # noqa: F401``),
or ``mqtt_broker``, whose kind a test asks for::

    @pytest.mark.parametrize("mqtt_broker", ["mosquitto", "nats"], indirect=True)

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
NATS_SERVER = "/usr/sbin/nats-server"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class BrokerProcess:
    """One broker process on 127.0.0.1, started, stopped and restarted on demand."""

    name = "broker"
    executable = ""

    def __init__(self, port: int | None = None) -> None:
        self._free_pick = port is None
        self.port = port or free_port()
        self.host = "127.0.0.1"
        self.started_at = 0.0
        self._dir = Path(tempfile.mkdtemp(prefix=f"mihub-{self.name}-"))
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def _config(self) -> str:
        """The config file's text."""
        raise NotImplementedError

    def _arguments(self, config: Path) -> list[str]:
        raise NotImplementedError

    def _ports(self) -> list[int]:
        """Every port the broker listens on: it is ready once all accept connections."""
        return [self.port]

    def _pick_ports(self) -> None:
        self.port = free_port()

    async def start(self) -> None:
        """Start the broker (again) and return once it accepts connections."""
        if self.running:
            return
        config = self._dir / f"{self.name}.conf"
        await asyncio.to_thread(config.write_text, self._config())
        log = await asyncio.to_thread(open, self._dir / f"{self.name}.log", "ab")
        try:
            self._process = await asyncio.create_subprocess_exec(
                *self._arguments(config),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        finally:
            log.close()
        deadline = time.monotonic() + 10.0
        for port in self._ports():
            await self._wait_listening(port, deadline)
        self.started_at = time.monotonic()

    async def _wait_listening(self, port: int, deadline: float) -> None:
        while True:
            if self._process is not None and self._process.returncode is not None:
                raise RuntimeError(f"{self.name} exited: {await self.log()}")
            try:
                _, writer = await asyncio.open_connection(self.host, port)
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} did not listen on {port}") from None
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
        path = self._dir / f"{self.name}.log"
        if not await asyncio.to_thread(path.exists):
            return ""
        return await asyncio.to_thread(path.read_text, errors="replace")

    async def __aenter__(self) -> BrokerProcess:
        for attempt in range(3):
            try:
                await self.start()
            except RuntimeError:
                # a free port was taken between our probe and the broker's bind: pick again
                await self.stop()
                if not self._free_pick or attempt == 2:
                    raise
                self._pick_ports()
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


class MosquittoBroker(BrokerProcess):
    name = "mosquitto"
    executable = MOSQUITTO

    def __init__(self, port: int | None = None, extra_config: str = "") -> None:
        super().__init__(port)
        self.extra_config = extra_config

    def _config(self) -> str:
        return (
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "user root\n"
            "log_dest stderr\n"
            "log_type error\n"
            "log_type warning\n"
            f"{self.extra_config}\n"
        )

    def _arguments(self, config: Path) -> list[str]:
        return [MOSQUITTO, "-c", str(config)]

    async def __aenter__(self) -> MosquittoBroker:
        await super().__aenter__()
        return self


class NatsBroker(BrokerProcess):
    """nats-server with its MQTT listener, which needs JetStream (kept in the temporary
    directory across restarts: sessions and retained messages survive them) and a name."""

    name = "nats"
    executable = NATS_SERVER

    def __init__(self, port: int | None = None) -> None:
        super().__init__(port)
        self.client_port = free_port()

    def _ports(self) -> list[int]:
        return [self.port, self.client_port]

    def _pick_ports(self) -> None:
        self.port, self.client_port = free_port(), free_port()

    def _config(self) -> str:
        return (
            f"server_name: mihub_test_{self.client_port}\n"
            f"listen: 127.0.0.1:{self.client_port}\n"
            f'jetstream {{ store_dir: "{self._dir / "jetstream"}" }}\n'
            f"mqtt {{ listen: 127.0.0.1:{self.port} }}\n"
        )

    def _arguments(self, config: Path) -> list[str]:
        return [NATS_SERVER, "-c", str(config)]

    async def __aenter__(self) -> NatsBroker:
        await super().__aenter__()
        return self


BROKERS: dict[str, type[BrokerProcess]] = {"mosquitto": MosquittoBroker, "nats": NatsBroker}


def _installed(kind: type[BrokerProcess]) -> None:
    if not os.access(kind.executable, os.X_OK):
        pytest.fail(f"{kind.executable} is not installed: run `make test`, which installs it")


@pytest.fixture
async def mosquitto() -> AsyncIterator[MosquittoBroker]:
    """A private Mosquitto on a free port, stopped after the test."""
    _installed(MosquittoBroker)
    async with MosquittoBroker() as broker:
        yield broker


@pytest.fixture
async def mqtt_broker(request: pytest.FixtureRequest) -> AsyncIterator[BrokerProcess]:
    """A private broker of the kind the test asks for (indirect parametrization; Mosquitto
    when it asks for none), on free ports, stopped after the test."""
    kind = BROKERS[getattr(request, "param", "mosquitto")]
    _installed(kind)
    async with kind() as broker:
        yield broker
