"""The devices that need a token, as the phone sees them (issue 13.3): one found by discovery
with no token known, one that answers with another token than the hub keeps (re-paired); a
token given through the API brings each online. A token config.yaml gives is changed there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from firmware_sim.miio.device import DeviceConfig, SimulatedDevice
from hub.app import Hub
from hub.bus import EventBus
from hub.config import Config
from hub.devices.registry import DeviceRegistry
from hub.store import Store
from tests.loopback import free_hosts
from tests.waiting import until, until_async

MODEL = "yeelink.light.color2"
STALE_TOKEN = "ffeeddccbbaa99887766554433221100"


async def test_waiting_devices_and_the_ways_and_a_pasted_token_each(tmp_path: Path) -> None:
    repaired_host, found_host, configured_host = free_hosts(3)
    repaired = SimulatedDevice(DeviceConfig(MODEL, repaired_host))
    found = SimulatedDevice(DeviceConfig(MODEL, found_host))
    configured = SimulatedDevice(DeviceConfig(MODEL, configured_host))
    config = Config.model_validate({
        "hub": {"data_dir": str(tmp_path)}, "api": {"host": "127.0.0.1", "port": 0},
        "miio": {"bind": "127.0.0.1", "timeout": 0.3, "deadline": 1.5,
                 "discovery": {"hosts": [found_host, repaired_host], "interval": 0.5},
                 "devices": [{"host": configured_host, "token": STALE_TOKEN}]},
    })  # fmt: skip
    async with Store(tmp_path / "mihub.db") as store:  # the token it had before a re-pairing
        await DeviceRegistry(EventBus(), store).set_secret(
            f"miio-{repaired.did}", "token", STALE_TOKEN
        )
    async with repaired, found, configured, Hub(config) as hub, aiohttp.ClientSession() as http:
        token = await hub.auth.issue("phone", ["read", "control", "admin"])
        headers = {"Authorization": f"Bearer {token}"}

        async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
            async with http.request(method, hub.api_url + path.lstrip("/"), json=body,
                                    headers=headers) as response:  # fmt: skip
                return response.status, await response.json()

        async def waiting() -> list[tuple[str, int, str]]:
            status, listed = await call("GET", "/api/onboarding/devices")
            assert status == 200
            return sorted((d["host"], d["did"], d["problem"]) for d in listed["devices"])

        expected = sorted([(repaired_host, repaired.did, "token_rejected"),
                           (found_host, found.did, "needs_token"),
                           (configured_host, configured.did, "token_rejected")])  # fmt: skip
        await until_async(waiting, expected, 20)
        _, listed = await call("GET", "/api/onboarding/devices")
        assert [way["id"] for way in listed["ways"]] == ["provision", "import", "paste"]
        assert STALE_TOKEN not in str(listed)

        status, error = await call("POST", "/api/onboarding/token",
                                   {"host": "127.0.0.1", "token": repaired.token})  # fmt: skip
        assert (status, error["error"]["field"]) == (404, "host")
        status, _ = await call("POST", "/api/onboarding/token", {"host": found_host, "token": "x"})
        assert status == 422

        status, error = await call("POST", "/api/onboarding/token",
                                   {"host": configured_host, "token": configured.token})  # fmt: skip
        assert (status, error["error"]["field"]) == (422, "host")
        assert "config.yaml" in error["error"]["message"]

        for device in (repaired, found):
            status, answer = await call("POST", "/api/onboarding/token",
                                        {"host": device.host, "token": device.token})  # fmt: skip
            assert (status, answer) == (200, {"device_id": f"miio-{device.did}"})
        await until(lambda: len(hub.miio.online()) == 2, 15)
        assert await waiting() == [(configured_host, configured.did, "token_rejected")]
    async with Store(tmp_path / "mihub.db") as store:
        registry = DeviceRegistry(EventBus(), store)
        assert await registry.secret(f"miio-{repaired.did}", "token") == repaired.token
