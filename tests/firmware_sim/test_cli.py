"""`python -m firmware_sim` runs a fleet, writes its manifest, and stops cleanly on SIGINT."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

from tests.firmware_sim.wire import RawClient
from tests.loopback import free_host, free_hosts
from tests.waiting import until


async def start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "firmware_sim", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def manifest_of(proc: asyncio.subprocess.Process, path: Path) -> list[dict[str, Any]]:
    # a busy machine may take seconds to start a Python process and import the firmware
    await until(lambda: path.exists() or proc.returncode is not None, 30)
    if path.exists():  # noqa: ASYNC240 - a test reading a tiny file
        return list(json.loads(path.read_text()))  # noqa: ASYNC240
    _, stderr = await proc.communicate()
    raise AssertionError(f"no manifest; stderr: {stderr.decode()}")


async def stop(proc: asyncio.subprocess.Process, sig: int = signal.SIGINT) -> tuple[str, str]:
    if proc.returncode is None:
        proc.send_signal(sig)
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 10)
    return stdout.decode(), stderr.decode()


async def test_fleet_from_flags_writes_a_usable_manifest_and_stops_on_sigint(
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "run" / "manifest.json"
    hosts = free_hosts(3)
    proc = await start(
        "--count", "3", "--models", "zhimi.airpurifier.mb3,yeelink.light.color2",
        "--host-base", hosts[0], "--port", "0", "--manifest", str(manifest),
    )  # fmt: skip
    try:
        entries = await manifest_of(proc, manifest)
        assert [e["model"] for e in entries] == [
            "zhimi.airpurifier.mb3",
            "yeelink.light.color2",
            "zhimi.airpurifier.mb3",
        ]
        assert [e["host"] for e in entries] == hosts
        assert set(entries[0]) == {"id", "model", "host", "port", "did", "token"}
        light = entries[1]
        async with RawClient(light["host"], light["port"], light["token"]) as raw:
            assert raw.did == light["did"]
            assert (await raw.result(1, "miIO.info"))["model"] == "yeelink.light.color2"
    finally:
        stdout, stderr = await stop(proc)
    assert proc.returncode == 0, stderr
    assert hosts[1] in stdout
    assert "3 simulated devices running" in stdout


async def test_fleet_from_yaml_stops_on_sigterm(tmp_path: Path) -> None:
    host = free_host()
    config = tmp_path / "fleet.yaml"
    config.write_text(
        "devices:\n"
        f"  - {{model: chuangmi.camera.ipc019, host: {host}, port: 0, snapshot_port: 0}}\n"
    )
    manifest = tmp_path / "manifest.json"
    proc = await start("--config", str(config), "--manifest", str(manifest), "--quiet")
    try:
        (camera,) = await manifest_of(proc, manifest)
        assert camera["model"] == "chuangmi.camera.ipc019"
        assert camera["snapshot_url"].startswith(f"http://{host}:")
    finally:
        stdout, stderr = await stop(proc, signal.SIGTERM)
    assert proc.returncode == 0, stderr
    assert stdout == ""


async def finish(proc: asyncio.subprocess.Process) -> tuple[str, str]:
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 10)
    return stdout.decode(), stderr.decode()


async def test_unknown_model_is_refused_with_the_known_ones() -> None:
    proc = await start("--models", "acme.toaster")
    _, stderr = await finish(proc)
    assert proc.returncode == 2
    assert "acme.toaster" in stderr
    assert "zhimi.airpurifier.mb3" in stderr


async def test_an_address_that_is_not_here_is_a_clear_error() -> None:
    proc = await start("--count", "1", "--host-base", "192.0.2.1", "--quiet")  # TEST-NET-1
    _, stderr = await finish(proc)
    assert proc.returncode == 1
    assert "firmware_sim:" in stderr
    assert "Traceback" not in stderr
