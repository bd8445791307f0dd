"""The demo's private MQTT broker: Mosquitto when it is installed, else amqtt in this process.

Either one listens on a free port of 127.0.0.1 only, lets anyone in (nothing but this machine can
reach it) and keeps nothing on disk. amqtt is imported only when it is needed, so a hub that
never runs the demo never pays for it; it is fine for a demo, and Mosquitto is the broker for a
home that runs for months.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
ANONYMOUS = "amqtt.plugins.authentication.AnonymousAuthPlugin"
QUIET = ("amqtt", "transitions")  # amqtt and its state machines log every step at INFO


@dataclass(frozen=True, slots=True)
class PrivateBroker:
    name: str
    """What runs it, for people: ``Mosquitto`` or ``the embedded amqtt broker``."""
    url: str


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def find_mosquitto() -> str | None:
    """Debian installs it in /usr/sbin, which is not on a user's PATH."""
    return shutil.which("mosquitto", path=f"{os.environ.get('PATH', '')}:/usr/sbin")


@contextlib.asynccontextmanager
async def private_broker(workdir: Path) -> AsyncIterator[PrivateBroker]:
    """A broker of our own on a free loopback port, stopped on exit."""
    binary = find_mosquitto()
    if binary is None:
        async with embedded_broker() as broker:
            yield broker
    else:
        async with mosquitto_broker(binary, workdir) as broker:
            yield broker


@contextlib.asynccontextmanager
async def mosquitto_broker(binary: str, workdir: Path) -> AsyncIterator[PrivateBroker]:
    port = free_loopback_port()
    conf = workdir / "mosquitto.conf"
    conf.write_text(f"listener {port} {HOST}\nallow_anonymous true\npersistence false\n")
    process = await asyncio.create_subprocess_exec(
        binary, "-c", str(conf), stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(50):
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), 0.1):
                break
            await asyncio.sleep(0.05)
        yield PrivateBroker("Mosquitto", f"mqtt://{HOST}:{port}")
    finally:
        with contextlib.suppress(ProcessLookupError):  # Ctrl-C reaches it too
            process.terminate()
        await process.wait()


@contextlib.asynccontextmanager
async def embedded_broker() -> AsyncIterator[PrivateBroker]:
    """amqtt's broker in this process: MQTT 3.1.1 over TCP, anonymous, no plugins beyond that."""
    from amqtt.broker import Broker  # type: ignore[import-untyped]  # only here: 68 modules

    levels = {name: logging.getLogger(name).level for name in QUIET}
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        port = free_loopback_port()
        broker = Broker(
            {
                "listeners": {"default": {"type": "tcp", "bind": f"{HOST}:{port}"}},
                # Only anonymous authentication: no $SYS publisher, packet logger or persistence.
                "plugins": {ANONYMOUS: {"allow_anonymous": True}},
            }
        )
        await broker.start()
        try:
            yield PrivateBroker("the embedded amqtt broker", f"mqtt://{HOST}:{port}")
        finally:
            await broker.shutdown()
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
