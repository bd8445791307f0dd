"""`mihub demo` starts a whole simulated home with the hub, serves it, and stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.demo import HOME, demo_home
from tests.loopback import free_hosts
from tests.mqtt_broker import until

CLIMATE = "zigbee-0x00158d0000000001"  # climate_living of the simulated Zigbee2MQTT bridge
ZIGBEE = {f"zigbee-0x00158d00{i:08x}" for i in range(1, 6)}
HALL_LIGHT = 7  # in hub.demo.HOME; the demo's button toggles it
DAY = 86400


async def get_json_inside(pid: int, url: str, token: str) -> Any:
    """GET ``url`` from inside the network namespace of process ``pid``."""
    code = (
        "import sys, urllib.request as u; r = u.Request(sys.argv[1], headers="
        "{'Authorization': 'Bearer ' + sys.argv[2]}); print(u.urlopen(r, timeout=5).read().decode())"
    )
    proc = await asyncio.create_subprocess_exec(
        "nsenter", f"--net=/proc/{pid}/ns/net", sys.executable, "-c", code, url, token,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, _ = await asyncio.wait_for(proc.communicate(), 30)
    return json.loads(stdout)


async def test_the_demo_serves_the_home_and_stops_cleanly() -> None:
    # The demo binds its fixed addresses (127.0.0.100+): in a network namespace of its own it
    # cannot collide with a demo already running on this machine.
    demo = f"ip link set lo up && exec {sys.executable} -m hub.cli demo --port 0"
    proc = await asyncio.create_subprocess_exec(
        "unshare", "--net", "--", "sh", "-c", demo,
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
        assert re.search(
            r"Zigbee sensors and a button on (Mosquitto|the embedded amqtt broker) "
            r"at mqtt://127\.0\.0\.1:\d+\.",
            text,
        )
        url = re.search(r"Open (http://127\.0\.0\.1:\d+/)", text)
        token = re.search(r"token: (\S+)", text)
        assert url is not None
        assert token is not None
        api, bearer = url.group(1) + "api/", token.group(1)
        async with asyncio.timeout(20):
            devices: list[Any] = []
            while len(devices) < 11 + 5:  # the miIO home, plus the Zigbee bridge's devices
                devices = (await get_json_inside(proc.pid, api + "devices", bearer))["devices"]
        scenes = (await get_json_inside(proc.pid, api + "scenes", bearer))["scenes"]
        assert {s["id"] for s in scenes} == {"movie", "all-off"}
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0
    assert b"demo stopped" in stdout


def listening_addresses(port: int) -> set[str]:
    """The local addresses of this machine's IPv4 and IPv6 TCP listeners on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


async def test_without_mosquitto_the_zigbee_devices_run_on_the_embedded_amqtt_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    which = shutil.which
    monkeypatch.setattr(
        shutil, "which", lambda cmd, *a, **kw: None if cmd == "mosquitto" else which(cmd, *a, **kw)
    )
    first_host = free_hosts(len(HOME))[0]
    # a home that lives a thousand times slower than usual: nothing happens by itself here
    async with demo_home(tmp_path, port=0, first_host=first_host, speed=0.001) as home:
        assert home.broker.name == "the embedded amqtt broker"
        port = int(home.broker.url.removeprefix("mqtt://127.0.0.1:"))
        assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only
        registry = home.hub.registry
        await until(lambda: ZIGBEE.issubset(registry.devices), 10)
        climate = registry.get(CLIMATE)
        await until(lambda: climate.value("temperature") is not None)
        home.zigbee.bridge.set_temperature("climate_living", 23.4, humidity=51.0)
        await until(lambda: climate.value("temperature") == 23.4)
        assert climate.value("humidity") == 51.0

        # The demo's automation: the Zigbee button, through amqtt, toggles a miIO light.
        await until(lambda: len(home.hub.miio.online()) == len(home.fleet.devices), 10)
        light = home.fleet.devices[HALL_LIGHT]
        was_on = light.feature("power")  # legacy firmware: "on" / "off" on the wire
        home.zigbee.bridge.press("button_1", "single")
        await until(lambda: light.feature("power") is (not was_on), 5)


async def test_the_hub_and_the_demo_do_not_load_amqtt_until_it_is_the_broker() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys, hub.app, hub.demo; print('amqtt' in sys.modules)",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, _ = await asyncio.wait_for(proc.communicate(), 30)
    assert stdout.strip() == b"False"


async def test_a_fresh_demo_has_a_week_of_history_and_suggestions_at_first_load(
    tmp_path: Path,
) -> None:
    first_host = free_hosts(len(HOME))[0]
    async with demo_home(tmp_path, port=0, first_host=first_host, speed=0.001) as home:
        hub = home.hub
        token = await hub.auth.issue("test", ["read"])
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(hub.api_url, headers=headers) as http:
            answer = await http.get("/api/suggestions")
            suggestions = (await answer.json())["suggestions"]
            titles = [s["title"] for s in suggestions]
            assert len(suggestions) >= 2, titles
            assert any("Bedroom purifier mode to sleep" in title for title in titles), titles
            for suggestion in suggestions:
                assert suggestion["evidence"]
                assert 0 < suggestion["confidence"] <= 1
            # nothing the demo's automation did (the purifier to favourite) is a habit
            assert not any("favorite" in title for title in titles), titles

            now = time.time()
            params = {"feature": "temperature", "resolution": "hour",
                      "start": str(now - 7 * DAY), "end": str(now)}  # fmt: skip
            answer = await http.get(f"/api/devices/{CLIMATE}/history", params=params)
            hours = [item["start"] for item in (await answer.json())["items"]]
        assert len(hours) >= 7 * 24, len(hours)  # the 7-day chart has every hour
        assert hours[0] <= now - 7 * DAY + 3600
