"""POST /api/onboarding/provision (issue 13.1, through the API): a hub with an interface on a
reset device's access point reads its token and gives it the home Wi-Fi. The device here is
a simulated one on loopback; the move between networks is tests/lan/test_onboard_lan.py."""

from __future__ import annotations

from pathlib import Path

from firmware_sim.miio.device import DeviceConfig, SimulatedDevice
from hub.onboarding.provision import Provisioned, onboard
from tests.api.rig import api_rig
from tests.loopback import free_hosts

PASSWORD = "correct horse battery staple"


async def test_the_hub_provisions_a_reset_device_and_keeps_its_token(tmp_path: Path) -> None:
    (host,) = free_hosts(1)
    lamp = SimulatedDevice(DeviceConfig("yeelink.light.color2", host, provisioned=False))
    async with api_rig(tmp_path) as api, lamp:

        async def provision(host: str, ssid: str, password: str, uid: int) -> Provisioned:
            return await onboard(api.registry, host, ssid, password, uid=uid)

        api.ctx.provision = provision  # as the hub gives it (Hub._provision)
        body = {"host": host, "ssid": "Home", "password": PASSWORD}
        answer = await api.client.post("/api/onboarding/provision", headers=api.auth(), json=body)
        assert answer.status == 200, await answer.text()
        raw = await answer.read()
        assert PASSWORD.encode() not in raw
        assert await answer.json() == {
            "device_id": f"miio-{lamp.did}", "model": "yeelink.light.color2", "mac": lamp.mac,
        }  # fmt: skip
        assert await api.registry.secret(f"miio-{lamp.did}", "token") == lamp.token
        assert (lamp.identity.provisioned, lamp.identity.ssid) == (True, "Home")

        again = await api.client.post("/api/onboarding/provision", headers=api.auth(), json=body)
        assert again.status == 422
        assert "provisioned already" in (await again.json())["error"]["message"]


async def test_only_a_private_address_and_only_with_the_admin_scope(tmp_path: Path) -> None:
    async with api_rig(tmp_path) as api:
        body = {"host": "8.8.8.8", "ssid": "Home", "password": PASSWORD}
        public = await api.client.post("/api/onboarding/provision", headers=api.auth(), json=body)
        assert public.status == 422
        error = (await public.json())["error"]
        assert error["field"] == "host"
        assert PASSWORD not in str(error)
        reader = await api.ctx.auth.issue("reader", ["read", "control"])
        body["host"] = "192.168.13.1"
        refused = await api.client.post(
            "/api/onboarding/provision", headers=api.auth(reader), json=body
        )
        assert refused.status == 403
        unset = await api.client.post("/api/onboarding/provision", headers=api.auth(), json=body)
        assert unset.status == 409, "the rig's hub was given no way to provision"


async def test_a_pasted_token_is_never_echoed_back(tmp_path: Path) -> None:
    """A malformed token's 422 names the field, not the value; a hub without miIO says 409."""
    secret = "0123456789abcdef0123456789abcdeZ"  # one wrong digit: 32 characters, not hex
    async with api_rig(tmp_path) as api:
        body = {"host": "127.0.0.1", "token": secret}
        bad = await api.client.post("/api/onboarding/token", headers=api.auth(), json=body)
        assert bad.status == 422
        raw = await bad.read()
        assert (await bad.json())["error"]["field"] == "token"
        assert secret.encode() not in raw
        assert secret[:-1].encode() not in raw
        body["token"] = secret[:-1] + "f"
        unset = await api.client.post("/api/onboarding/token", headers=api.auth(), json=body)
        assert unset.status == 409, "the rig's hub has no miIO devices to give a token to"
        assert body["token"].encode() not in await unset.read()
