"""`mihub demo` starts a whole simulated home with the hub, serves it, and stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import aiohttp


async def test_the_demo_serves_the_home_and_stops_cleanly() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "demo", "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        lines = []
        while not any("curl -H" in line for line in lines):
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            assert line, "the demo exited early"
            lines.append(line)
        text = "".join(lines)
        url = re.search(r"Open (http://127\.0\.0\.1:\d+/)", text)
        token = re.search(r"token: (\S+)", text)
        assert url is not None
        assert token is not None
        headers = {"Authorization": f"Bearer {token.group(1)}"}
        async with aiohttp.ClientSession() as http:
            for _ in range(50):
                async with http.get(f"{url.group(1)}api/devices", headers=headers) as response:
                    devices = (await response.json())["devices"]
                if len(devices) >= 11 + 5:  # the miIO home, plus the Zigbee bridge's devices
                    break
                await asyncio.sleep(0.1)
            assert len(devices) >= 16
            async with http.get(f"{url.group(1)}api/scenes", headers=headers) as response:
                assert {s["id"] for s in (await response.json())["scenes"]} == {"movie", "all-off"}
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0
    assert b"demo stopped" in stdout
