"""Issue 12.4 through the REST API, against real simulated firmware: a command to a device
the hub knows to be offline (503) or rejecting its token (502) is answered at once with the
reason and since when, and the simulator is sent nothing; once the device is back (plugged
in again, or given its new token) commands work again."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
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
from tests.waiting import until_async

MODEL = "yeelink.light.color2"  # legacy firmware: a command is set_power on the wire
SINCE = re.compile(r"since \d\d:\d\d:\d\d")
MIIO = {"bind": "127.0.0.1", "timeout": 0.3, "deadline": 1.5}


@dataclass
class Rig:
    hub: Hub
    http: aiohttp.ClientSession
    headers: dict[str, str]

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        url = self.hub.api_url + path.lstrip("/")
        async with self.http.request(method, url, json=body, headers=self.headers) as answer:
            return answer.status, await answer.json()

    async def availability(self, sim: SimulatedDevice) -> tuple[str, str | None]:
        status, device = await self.call("GET", f"/api/devices/miio-{sim.did}")
        if status == 404:
            return "not found yet", None
        return device["availability"], device["availability_problem"]

    async def power(self, sim: SimulatedDevice, on: bool) -> tuple[int, Any]:
        body = {"feature": "power", "value": on}
        return await self.call("POST", f"/api/devices/miio-{sim.did}/commands", body)


@asynccontextmanager
async def hub_with(
    tmp_path: Path, sim: SimulatedDevice, configured: bool = True
) -> AsyncIterator[Rig]:
    """A hub with ``sim`` online: from config.yaml, or (``configured=False``) found by one
    discovery round with the token the store kept, as for a device onboarded on the phone
    (only such a token can be changed through the API: config.yaml's wins at every start)."""
    miio: dict[str, Any] = dict(MIIO)
    if configured:
        miio["devices"] = [{"host": sim.host, "token": sim.token, "name": "Lamp"}]
    else:
        miio["discovery"] = {"hosts": [sim.host], "interval": 0}
        async with Store(tmp_path / "mihub.db") as store:
            await DeviceRegistry(EventBus(), store).set_secret(
                f"miio-{sim.did}", "token", sim.token
            )
    async with running(tmp_path, miio) as rig:
        await until_async(lambda: rig.availability(sim), ("online", None), 15)
        yield rig


@asynccontextmanager
async def running(tmp_path: Path, miio: dict[str, Any]) -> AsyncIterator[Rig]:
    config = Config.model_validate({
        "hub": {"data_dir": str(tmp_path)}, "api": {"host": "127.0.0.1", "port": 0},
        "miio": miio,
    })  # fmt: skip
    async with Hub(config) as hub, aiohttp.ClientSession() as http:
        token = await hub.auth.issue("phone", ["read", "control", "admin"])
        yield Rig(hub, http, {"Authorization": f"Bearer {token}"})


async def test_an_offline_device_is_refused_unsent_then_works_once_back(tmp_path: Path) -> None:
    (host,) = free_hosts(1)
    async with SimulatedDevice(DeviceConfig(MODEL, host)) as lamp, hub_with(tmp_path, lamp) as rig:
        lamp.faults.offline = True  # unplugged
        await until_async(lambda: rig.availability(lamp), ("offline", "no_answer"), 30)
        sent = lamp.server.received["set_power"]

        status, answer = await rig.power(lamp, True)
        assert status == 503, answer
        error = answer["error"]
        assert error["code"] == "device_offline"
        assert error["message"].startswith("the device is offline since ")
        assert SINCE.search(error["message"])
        assert "nothing was sent" in error["message"]
        assert lamp.server.received["set_power"] == sent, "a refused command reaches nothing"

        lamp.faults.clear()  # plugged in again: the refusal asked the hub to try it now
        await until_async(lambda: rig.availability(lamp), ("online", None), 30)
        was = lamp.feature("power")
        status, answer = await rig.power(lamp, not was)
        assert status == 200, answer
        assert lamp.server.received["set_power"] == sent + 1
        assert lamp.feature("power") is (not was)


async def test_a_rejected_token_is_refused_unsent_then_a_pasted_token_fixes_it(
    tmp_path: Path,
) -> None:
    (host,) = free_hosts(1)
    async with (
        SimulatedDevice(DeviceConfig(MODEL, host)) as lamp,
        hub_with(tmp_path, lamp, False) as rig,
    ):
        new_token = lamp.change_token()  # re-paired with the Mi Home app
        await until_async(lambda: rig.availability(lamp), ("offline", "token_rejected"), 60)
        asked, ignored = lamp.server.requests, lamp.server.ignored

        status, answer = await rig.power(lamp, True)
        assert status == 502, answer
        error = answer["error"]
        assert error["code"] == "device_auth"
        assert "token rejected since " in error["message"]
        assert SINCE.search(error["message"])
        assert "POST /api/onboarding/token" in error["message"], "it says how to fix it"
        assert (lamp.server.requests, lamp.server.ignored) == (asked, ignored), "sent nothing"
        assert new_token not in str(answer)

        _, waiting = await rig.call("GET", "/api/onboarding/devices")
        assert [(d["device_id"], d["problem"]) for d in waiting["devices"]] == [
            (f"miio-{lamp.did}", "token_rejected")
        ]
        status, given = await rig.call(
            "POST", "/api/onboarding/token", {"host": lamp.host, "token": new_token}
        )
        assert (status, given) == (200, {"device_id": f"miio-{lamp.did}"})
        await until_async(lambda: rig.availability(lamp), ("online", None), 30)
        was = lamp.feature("power")
        status, answer = await rig.power(lamp, not was)
        assert status == 200, answer
        assert lamp.feature("power") is (not was)


async def test_a_token_changed_while_the_hub_was_down_is_known_and_refused(
    tmp_path: Path,
) -> None:
    """The device comes back from the store at the next start, but never answers its old
    token: it is marked token rejected all the same, refused, and listed as waiting."""
    (host,) = free_hosts(1)
    async with SimulatedDevice(DeviceConfig(MODEL, host)) as lamp:
        async with hub_with(tmp_path, lamp, False):
            pass  # onboarded once: the store keeps the device and its token
        new_token = lamp.change_token()  # re-paired while the hub was off
        miio = {**MIIO, "discovery": {"hosts": [host], "interval": 0}}
        async with running(tmp_path, miio) as rig:
            await until_async(lambda: rig.availability(lamp), ("offline", "token_rejected"), 60)
            status, answer = await rig.power(lamp, True)
            assert (status, answer["error"]["code"]) == (502, "device_auth"), answer
            assert "token rejected since " in answer["error"]["message"]
            _, waiting = await rig.call("GET", "/api/onboarding/devices")
            assert [(d["device_id"], d["problem"]) for d in waiting["devices"]] == [
                (f"miio-{lamp.did}", "token_rejected")
            ]
            assert new_token not in str(waiting)
