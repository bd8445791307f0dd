"""Onboarding without the cloud through the hub's API (issue 13.1, second way): a hub with two
interfaces, Ethernet on the home LAN and its Wi-Fi on a factory-reset lamp's access point (a
Pi, say). A phone at home asks the hub to provision the lamp: the hub reads the token on the
access point, sends the lamp the home Wi-Fi, keeps the token; the lamp moves home, and the
hub's discovery onboards it by its device id with no further step. The Wi-Fi password is in
no answer, no log line and no file.

Three namespaces of networks: the home LAN (hub, phone, the lamp once home), the access point
(the lamp before, and the hub's second interface). All are deleted on the way out.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from hub.api.auth import TokenAuth
from hub.store import Store
from tests.lan.netns import Host, VirtualLan
from tests.waiting import until, until_async

pytestmark = pytest.mark.lan

MODEL = "yeelink.light.color2"
PASSWORD = "correct horse battery staple"
PORT = 8321

PHONE = """
import json, sys, urllib.error, urllib.request
method, url, token, body = sys.argv[1:5]
request = urllib.request.Request(url, method=method, data=body.encode() or None,
    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=30) as answer:
        print(json.dumps([answer.status, answer.read().decode()]))
except urllib.error.HTTPError as error:
    print(json.dumps([error.code, error.read().decode()]))
"""
"""The phone's side: one HTTP request from inside the home LAN, printed as [status, body]."""


@pytest.fixture(autouse=True)
def _needs_namespaces() -> None:
    reason = VirtualLan.available()
    if reason is not None:
        pytest.skip(f"LOUD SKIP: the virtual-LAN tests cannot run here: {reason}")


class Phone:
    def __init__(self, host: Host, hub: str, token: str) -> None:
        self.host, self.base, self.token = host, f"http://{hub}:{PORT}", token
        self.answers: list[str] = []

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = "" if body is None else json.dumps(body)
        proc = await self.host.python("-c", PHONE, method, self.base + path, self.token, data)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        status, text = json.loads(out)
        self.answers.append(text)
        return status, json.loads(text) if text else None

    async def device(self, device_id: str) -> tuple[str, str] | None:
        """The device's model and availability as the hub lists it, or None before it is."""
        status, body = await self.call("GET", f"/api/devices/{device_id}")
        return (body["model"], body["availability"]) if status == 200 else None


async def test_the_api_provisions_a_lamp_on_the_hubs_second_interface_and_onboards_it(
    tmp_path: Path,
) -> None:
    flash, manifest = tmp_path / "lamp-flash.json", tmp_path / "lamp.json"
    data = tmp_path / "data"
    async with Store(data / "mihub.db") as store:
        token = await TokenAuth(store).issue("phone", ["read", "control", "admin"])
    async with VirtualLan("ap", prefix="192.168.13") as ap, VirtualLan("h") as home:
        hub, phone_host = home.add_host("hub"), home.add_host("phone")
        lamp_on_ap = ap.add_host("lamp", 1)
        ap.join(hub, 100)  # the hub's Wi-Fi, on the lamp's access point
        config = tmp_path / "config.yaml"
        config.write_text(
            f"hub:\n  data_dir: {data}\napi:\n  host: {hub.address}\n  port: {PORT}\n"
            f"miio:\n  discovery:\n    broadcast: [{hub.broadcast}]\n    interval: 1\n"
        )
        hub_run = await hub.python("-m", "hub", "-v", "run", "--config", str(config))
        assert hub_run.stderr is not None
        log = asyncio.create_task(hub_run.stderr.read())  # drained all along (-v logs a lot)
        phone = Phone(phone_host, hub.address, token)
        await until_async(lambda: _up(phone), True, 30)

        lamp = await lamp_on_ap.python(
            "-m", "firmware_sim", "--count", "1", "--models", MODEL, "--host-base",
            lamp_on_ap.address, "--bind-any", "--flash", str(flash), "--unprovisioned",
            "--manifest", str(manifest),
        )  # fmt: skip
        await until(manifest.exists, 30)
        (entry,) = json.loads(manifest.read_text())
        did, lamp_token = entry["did"], entry["token"]

        body = {"ssid": "Home", "password": PASSWORD, "host": lamp_on_ap.address}
        status, answer = await phone.call("POST", "/api/onboarding/provision", body)
        assert status == 200, answer
        assert (answer["device_id"], answer["model"]) == (f"miio-{did}", MODEL)
        assert re.fullmatch(r"([0-9A-F]{2}:){5}[0-9A-F]{2}", answer["mac"], re.IGNORECASE)
        await asyncio.wait_for(lamp.wait(), 10)  # it took the network and left its AP
        left = json.loads(flash.read_text())
        assert (left["provisioned"], left["ssid"]) == (True, "Home")

        # the lamp comes up at home; the hub knows its token by its device id
        lamp_at_home = home.add_host("lamp")
        home_address = lamp_at_home.address
        await lamp_at_home.python(
            "-m", "firmware_sim", "--count", "1", "--models", MODEL, "--host-base",
            lamp_at_home.address, "--bind-any", "--flash", str(flash),
        )  # fmt: skip
        await until_async(lambda: phone.device(f"miio-{did}"), (MODEL, "online"), 60)
        assert hub_run.returncode is None, "the hub kept running"

        hub_run.terminate()
        await asyncio.wait_for(hub_run.wait(), 15)
        written = await asyncio.wait_for(log, 15)
        assert hub_run.stdout is not None
        written += await hub_run.stdout.read()

    online = [line for line in written.splitlines() if line.endswith(b"is online")]
    assert any(home_address.encode() in line for line in online), "the log says it came online"
    assert lamp_token.encode() not in written, "a device token was logged"
    kept = b"".join(path.read_bytes() for path in [flash, *data.iterdir()] if path.is_file())
    for where, text in (("the log", written), ("a file", kept),
                        ("an answer", "".join(phone.answers).encode())):  # fmt: skip
        assert PASSWORD.encode() not in text, f"the Wi-Fi password is in {where}"


async def _up(phone: Phone) -> bool:
    try:
        status, _ = await phone.call("GET", "/api/health")
    except (AssertionError, ValueError):
        return False
    return status == 200
