"""`mihub onboard`'s conversation with a factory-reset device, on loopback (issue 13.1): the
token from the hello, miIO.config_router, and a device that masks its token once provisioned.
The move from the access point to the home LAN is tests/lan/test_onboard_lan.py."""

from __future__ import annotations

import pytest

from firmware_sim.miio.device import DeviceConfig, SimulatedDevice
from hub.devices.miio.wire import codec
from hub.devices.miio.wire.transport import MiioTransport
from hub.errors import DeviceError
from hub.onboarding.provision import ProvisioningError, provision
from tests.loopback import free_hosts

MODEL = "yeelink.light.color2"


async def test_a_reset_device_tells_its_token_and_takes_the_home_network() -> None:
    (host,) = free_hosts(1)
    device = SimulatedDevice(DeviceConfig(MODEL, host, provisioned=False))
    async with device:
        assert device.identity.ssid.startswith("yeelink-light-color2_miap")
        done = await provision(host, "Home", "correct horse", uid=42, bind=host)
        assert device.joined.is_set()
        assert (device.identity.ssid, device.identity.uid) == ("Home", 42)
        assert (done.did, done.token, done.model, done.mac) == (
            device.did, device.token, MODEL, device.mac,
        )  # fmt: skip
        async with MiioTransport((host, 0)) as transport:
            hello = await transport.session(host, device.token).handshake()
        assert codec.token_in_hello(hello) is None, "provisioned: the token is masked"
        with pytest.raises(ProvisioningError, match="provisioned already"):
            await provision(host, "Home", "correct horse", bind=host)


async def test_a_network_without_a_name_is_refused_with_the_reason() -> None:
    (host,) = free_hosts(1)
    async with SimulatedDevice(DeviceConfig(MODEL, host, provisioned=False)) as device:
        with pytest.raises(DeviceError, match="ssid"):
            await provision(host, "", "pw", bind=host)
        assert not device.joined.is_set()
        assert not device.identity.provisioned
