"""`mihub -v run` at DEBUG, with everything that handles a secret exercised, writes none of
them: not the device token, the MQTT password, the pairing codes or the API tokens."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from pathlib import Path

import aiohttp

from firmware_sim.fleet import Fleet
from firmware_sim.miio.device import DeviceConfig
from tests.hub_process import HubProcess
from tests.loopback import free_host
from tests.mqtt_broker import MosquittoBroker


async def test_debug_logs_hold_no_token_code_or_password(tmp_path: Path) -> None:
    device_token = secrets.token_hex(16)
    password = f"pw-{secrets.token_hex(8)}"
    host = free_host()
    used: list[str] = [device_token, password]
    async with MosquittoBroker() as broker, Fleet([DeviceConfig(
            "yeelink.light.color2", host, token=device_token)]) as fleet:  # fmt: skip
        did = fleet.devices[0].did
        hub = HubProcess(tmp_path, verbose=True, extra_config=(
            f"  timeout: 0.5\n  devices:\n    - {{host: {host}, token: {device_token}}}\n"
            f"mqtt:\n  url: {broker.url}\n  username: hub\n  password: {password}\n"
        ))  # fmt: skip
        await hub.seed()
        used.append(hub.admin)
        await hub.start()
        try:
            async with aiohttp.ClientSession() as http:
                url, admin = hub.url, hub.headers()

                async def onboarded() -> bool:
                    async with http.get(f"{url}/api/devices/miio-{did}", headers=admin) as got:
                        return got.status == 200 and (await got.json())["availability"] == "online"

                async with asyncio.timeout(30):
                    while True:  # polling a process through its API: no event to wait on
                        if await onboarded():
                            break
                        await asyncio.sleep(0.05)
                command = {"feature": "power", "value": True}
                async with http.post(f"{url}/api/devices/miio-{did}/commands", json=command,
                                     headers=admin) as response:  # fmt: skip
                    assert response.status < 300, await response.text()
                async with http.post(f"{url}/api/pairing-codes", headers=admin,
                                     json={"scopes": ["read"]}) as response:  # fmt: skip
                    code = (await response.json())["code"]
                used.append(code)
                async with http.post(f"{url}/api/pair", json={"code": code, "name": "p"}) as r:
                    token = (await r.json())["token"]
                used.append(token)
                wrong = [f"{token.split('.')[0]}.{secrets.token_urlsafe(32)}" for _ in range(7)]
                wrong.append(secrets.token_urlsafe(40))  # a secret pasted without its id
                used += wrong
                for guess in wrong:  # enough to lock the token id out: that is logged
                    async with http.get(f"{url}/api/devices", headers=hub.headers(guess)):
                        pass
                for guess in ("ABCD-EF01-2345", code):
                    async with http.post(f"{url}/api/pair", json={"code": guess, "name": "x"}):
                        pass
                async with http.ws_connect(f"{url}/api/events") as ws:
                    await ws.send_json({"token": token})
                    assert (await ws.receive_json(timeout=5))["type"] == "hello"
                async with http.ws_connect(f"{url}/api/events") as ws:
                    await ws.send_json({"token": wrong[0]})
                    await ws.receive(timeout=5)
                async with http.delete(f"{url}/api/tokens/{token.split('.')[0]}",
                                       headers=admin) as response:  # fmt: skip
                    assert response.status == 204
        finally:
            assert await hub.stop() == 0
    log = hub.log.read_text()
    assert " DEBUG " in log  # the log was verbose
    assert "lockout" in log  # and it saw a lockout
    assert f"at {host} is online" in log  # the device was onboarded with its token
    leaked = [s for s in used for part in {s, s.split(".")[-1]} if part in log]
    assert leaked == []
    with contextlib.suppress(ValueError):  # the hex token in any other spelling
        assert bytes.fromhex(device_token).hex().upper() not in log
