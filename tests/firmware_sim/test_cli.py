"""`python -m firmware_sim` runs a fleet, writes its manifest, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

from hub.devices.miio.transport import MiioTransport


async def test_fleet_from_flags_writes_a_usable_manifest_and_stops_on_sigint(
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "manifest.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "firmware_sim", "--count", "2",
        "--models", "zhimi.airpurifier.mb3,yeelink.light.color2",
        "--host-base", "127.0.0.70", "--port", "0", "--manifest", str(manifest),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(100):
            if manifest.exists():
                break
            await asyncio.sleep(0.05)
        entries = json.loads(manifest.read_text())
        assert [e["model"] for e in entries] == ["zhimi.airpurifier.mb3", "yeelink.light.color2"]
        assert [e["host"] for e in entries] == ["127.0.0.70", "127.0.0.71"]
        async with MiioTransport(("127.0.0.1", 0), timeout=0.5) as transport:
            light = entries[1]
            session = transport.session(light["host"], light["token"], port=light["port"])
            assert (await session.info())["model"] == "yeelink.light.color2"
            assert session.device_id == light["did"]
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 0, stderr.decode()


async def test_unknown_model_is_refused_with_the_known_ones() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "firmware_sim", "--models", "acme.toaster",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 2
    assert b"acme.toaster" in stderr
    assert b"zhimi.airpurifier.mb3" in stderr
