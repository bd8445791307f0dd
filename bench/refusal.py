"""How fast a command fails when the hub already knows the device cannot take it (issue 12.4).

One process, one event loop: two simulated Yeelights (real UDP, real AES), the whole hub
(``hub.app.Hub`` with its default miIO timing: 1 s per attempt, 5 s deadline) and an aiohttp
client. One lamp is unplugged (``faults.offline``), the other re-paired (``change_token``);
once the hub reports each offline / token rejected, ``--count`` commands to each are timed
from the client, interleaved with ``GET /api/health`` as the floor (what any request costs
here). For comparison, the time a command takes to fail while the hub does not know yet (the
first one after unplugging): that is what every command cost before the refusal.

    .venv/bin/python bench/refusal.py [--count 100]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from firmware_sim.miio.device import DeviceConfig, SimulatedDevice  # noqa: E402
from hub.app import Hub  # noqa: E402
from hub.config import Config  # noqa: E402
from tests.loopback import free_hosts  # noqa: E402


async def timed(
    http: aiohttp.ClientSession, method: str, url: str, body: Any = None
) -> tuple[float, int]:
    began = time.perf_counter()
    async with http.request(method, url, json=body) as answer:
        await answer.read()
        return (time.perf_counter() - began) * 1000, answer.status


def line(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, round(len(ms) * 0.99) - 1)]
    return (f"{name:<34} n={len(ms):<4} p50 {statistics.median(ms):7.2f} ms   "
            f"p99 {p99:7.2f} ms   max {ms[-1]:7.2f} ms")  # fmt: skip


async def availability(http: aiohttp.ClientSession, url: str) -> tuple[str, str | None]:
    async with http.get(url) as answer:
        device = await answer.json()
    return device["availability"], device["availability_problem"]


async def wait_for(http: aiohttp.ClientSession, url: str, wanted: tuple[str, str | None]) -> float:
    began = time.monotonic()
    while await availability(http, url) != wanted:
        if time.monotonic() - began > 300:
            raise TimeoutError(f"{url} never became {wanted}")
        await asyncio.sleep(0.1)
    return time.monotonic() - began


async def main(count: int) -> None:
    first, second = free_hosts(2)
    offline = SimulatedDevice(DeviceConfig("yeelink.light.color2", first))
    repaired = SimulatedDevice(DeviceConfig("yeelink.light.color2", second))
    with tempfile.TemporaryDirectory() as data:
        config = Config.model_validate({
            "hub": {"data_dir": data}, "api": {"host": "127.0.0.1", "port": 0},
            "miio": {"bind": "127.0.0.1", "poll_interval": 10, "devices": [
                {"host": d.host, "token": d.token} for d in (offline, repaired)]},
        })  # fmt: skip
        async with offline, repaired, Hub(config) as hub:
            token = await hub.auth.issue("bench", ["read", "control"])
            headers = {"Authorization": f"Bearer {token}"}
            async with aiohttp.ClientSession(headers=headers) as http:
                base = hub.api_url.rstrip("/")
                urls = {d: f"{base}/api/devices/miio-{d.did}" for d in (offline, repaired)}
                for d in (offline, repaired):
                    await wait_for(http, urls[d], ("online", None))
                body = {"feature": "power", "value": True}

                offline.faults.offline = True
                unknown_ms, unknown_status = await timed(
                    http, "POST", f"{urls[offline]}/commands", body
                )
                print(f"before the hub knows: a command to the unplugged lamp failed with "
                      f"{unknown_status} after {unknown_ms / 1000:.2f} s")  # fmt: skip
                took = await wait_for(http, urls[offline], ("offline", "no_answer"))
                print(f"the hub called it offline {took:.1f} s later")
                repaired.change_token()
                took = await wait_for(http, urls[repaired], ("offline", "token_rejected"))
                print(f"the re-paired lamp's token was called rejected after {took:.1f} s")

                sets, ignored = offline.server.received["set_power"], repaired.server.ignored
                results: dict[str, list[float]] = {"floor": [], "offline": [], "token": []}
                statuses: dict[str, set[int]] = {k: set() for k in results}
                for _ in range(count):
                    for name, method, url, data in (
                        ("floor", "GET", f"{base}/api/health", None),
                        ("offline", "POST", f"{urls[offline]}/commands", body),
                        ("token", "POST", f"{urls[repaired]}/commands", body),
                    ):
                        ms, status = await timed(http, method, url, data)
                        results[name].append(ms)
                        statuses[name].add(status)
                print(line("GET /api/health (the floor)", results["floor"]), statuses["floor"])
                print(line("command, offline (503)", results["offline"]), statuses["offline"])
                print(line("command, token rejected (502)", results["token"]), statuses["token"])
                sets = offline.server.received["set_power"] - sets
                ignored = repaired.server.ignored - ignored
                print(f"while refusing: {sets} set_power reached the unplugged lamp, "
                      f"{ignored} packets the re-paired one")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    asyncio.run(main(parser.parse_args().count))
