"""The fleet: devices from counts or YAML, a manifest clients can use, a thousand at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, hosts_from
from tests.firmware_sim.wire import RawClient
from tests.loopback import free_host, free_hosts

MODELS = ["zhimi.airpurifier.mb3", "yeelink.light.color2", "chuangmi.camera.ipc019"]


async def test_from_counts_takes_the_models_round_robin_on_consecutive_addresses() -> None:
    hosts = free_hosts(4)
    fleet = Fleet.from_counts(count=4, models=MODELS, host_base=hosts[0], port=0)
    async with fleet:
        manifest = fleet.manifest()
        assert [e["model"] for e in manifest] == [*MODELS, MODELS[0]]
        assert [e["host"] for e in manifest] == hosts
        assert len({e["did"] for e in manifest}) == 4
        assert len({e["token"] for e in manifest}) == 4
        assert all(e["port"] > 0 for e in manifest)
        assert [e["id"] for e in manifest] == [f"miio-{e['did']}" for e in manifest]
        assert ["snapshot_url" in e for e in manifest] == [False, False, True, False]
        assert fleet.by_host(hosts[1]).model == MODELS[1]
        for entry in manifest:
            async with RawClient(entry["host"], entry["port"], entry["token"]) as raw:
                assert raw.did == entry["did"]
                assert (await raw.result(1, "miIO.info"))["model"] == entry["model"]


async def test_a_given_token_did_and_mac_are_kept() -> None:
    config = DeviceConfig(
        "zhimi.airpurifier.mb3",
        free_host(),
        port=0,
        token="00112233445566778899AABBCCDDEEFF",
        did=123456,
        mac="54:48:E6:00:00:01",
    )
    async with Fleet([config]) as fleet:
        device = fleet.devices[0]
        assert (device.token, device.did, device.mac) == (
            "00112233445566778899aabbccddeeff",
            123456,
            "54:48:E6:00:00:01",
        )
        assert device.get_property(1, 3) == "123456"  # the serial number is the did
        async with RawClient(device.host, device.port, device.token) as raw:
            assert raw.did == 123456


def test_bad_configs_are_refused_at_once() -> None:
    host = free_host()  # refused before anything binds it
    with pytest.raises(ValueError, match="known: airdog"):
        Fleet([DeviceConfig("acme.toaster", host)])
    with pytest.raises(ValueError, match="32 hex"):
        Fleet([DeviceConfig(MODELS[0], host, token="abc")])
    with pytest.raises(ValueError, match="uint32"):
        Fleet([DeviceConfig(MODELS[0], host, did=2**32)])
    with pytest.raises(ValueError, match=r"past 127\.255\.255\.255"):
        hosts_from("127.255.255.250", 10)


async def test_an_address_in_use_fails_the_start_and_closes_what_had_started() -> None:
    light, camera = free_hosts(2)
    configs = [
        DeviceConfig(MODELS[1], light, port=0),
        DeviceConfig(MODELS[2], camera, port=0, snapshot_port=0),
    ]
    async with Fleet(configs) as first:
        taken = first.devices[0].port
        clash = Fleet([*configs[1:], DeviceConfig(MODELS[1], light, port=taken)])
        with pytest.raises(OSError, match="in use"):
            await clash.__aenter__()


def test_from_yaml_reads_devices_counts_and_options(tmp_path: Path) -> None:
    purifier, lights = free_host(), free_hosts(3)  # read, never started
    path = tmp_path / "fleet.yaml"
    path.write_text(
        "tick: 0.5\n"
        "time_scale: 60\n"
        "devices:\n"
        f"  - {{model: zhimi.airpurifier.mb3, host: {purifier}, port: 0, did: 77}}\n"
        f"  - {{model: yeelink.light.color2, host: {lights[0]}, port: 0, count: 3}}\n"
    )
    fleet = Fleet.from_yaml(path)
    assert (fleet.tick, fleet.time_scale) == (0.5, 60)
    assert [d.host for d in fleet.devices] == [purifier, *lights]
    assert fleet.devices[0].did == 77
    assert Fleet.from_yaml(path, tick=2.0).tick == 2.0


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[]", "a 'devices' list"),
        ("devices: [{model: yeelink.light.color2}]", "a model and a host"),
        ("devices: [{model: yeelink.light.color2, host: 127.0.0.1, colour: red}]", "colour"),
        ("devices: [{model: yeelink.light.color2, host: 127.0.0.1, count: 2, did: 5}]", "per"),
    ],
)
def test_from_yaml_names_what_is_wrong(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=error):
        Fleet.from_yaml(path)


async def test_a_thousand_devices_start_and_each_answers_on_its_own_address() -> None:
    """How fast they start is bench/startup.py's job (about 3 s here); this checks they do."""
    hosts = free_hosts(1000, port=0)
    fleet = Fleet.from_counts(
        count=1000, models=MODELS, host_base=hosts[0], port=0, snapshot_port=0
    )
    async with fleet:
        assert [d.host for d in fleet.devices] == hosts
        for device in (fleet.devices[0], fleet.devices[499], fleet.devices[-1]):
            async with RawClient(device.host, device.port, device.token) as raw:
                assert raw.did == device.did
