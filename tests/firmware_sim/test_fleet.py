"""The fleet: devices from counts or YAML, a manifest clients can use, a thousand at once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, hosts_from
from tests.firmware_sim.wire import RawClient

MODELS = ["zhimi.airpurifier.mb3", "yeelink.light.color2", "chuangmi.camera.ipc019"]


async def test_from_counts_takes_the_models_round_robin_on_consecutive_addresses() -> None:
    fleet = Fleet.from_counts(count=4, models=MODELS, host_base="127.0.42.50", port=0)
    async with fleet:
        manifest = fleet.manifest()
        assert [e["model"] for e in manifest] == [*MODELS, MODELS[0]]
        assert [e["host"] for e in manifest] == [f"127.0.42.{50 + i}" for i in range(4)]
        assert len({e["did"] for e in manifest}) == 4
        assert len({e["token"] for e in manifest}) == 4
        assert all(e["port"] > 0 for e in manifest)
        assert [e["id"] for e in manifest] == [f"miio-{e['did']}" for e in manifest]
        assert ["snapshot_url" in e for e in manifest] == [False, False, True, False]
        assert fleet.by_host("127.0.42.51").model == MODELS[1]
        for entry in manifest:
            async with RawClient(entry["host"], entry["port"], entry["token"]) as raw:
                assert raw.did == entry["did"]
                assert (await raw.result(1, "miIO.info"))["model"] == entry["model"]


async def test_a_given_token_did_and_mac_are_kept() -> None:
    config = DeviceConfig(
        "zhimi.airpurifier.mb3",
        "127.0.42.60",
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
    with pytest.raises(ValueError, match="known: airdog"):
        Fleet([DeviceConfig("acme.toaster", "127.0.42.61")])
    with pytest.raises(ValueError, match="32 hex"):
        Fleet([DeviceConfig(MODELS[0], "127.0.42.61", token="abc")])
    with pytest.raises(ValueError, match="uint32"):
        Fleet([DeviceConfig(MODELS[0], "127.0.42.61", did=2**32)])
    with pytest.raises(ValueError, match=r"past 127\.255\.255\.255"):
        hosts_from("127.255.255.250", 10)


async def test_an_address_in_use_fails_the_start_and_closes_what_had_started() -> None:
    configs = [
        DeviceConfig(MODELS[1], "127.0.42.62", port=0),
        DeviceConfig(MODELS[2], "127.0.42.63", port=0, snapshot_port=0),
    ]
    async with Fleet(configs) as first:
        taken = first.devices[0].port
        clash = Fleet([*configs[1:], DeviceConfig(MODELS[1], "127.0.42.62", port=taken)])
        with pytest.raises(OSError, match="in use"):
            await clash.__aenter__()


def test_from_yaml_reads_devices_counts_and_options(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(
        "tick: 0.5\n"
        "time_scale: 60\n"
        "devices:\n"
        "  - {model: zhimi.airpurifier.mb3, host: 127.0.42.70, port: 0, did: 77}\n"
        "  - {model: yeelink.light.color2, host: 127.0.42.80, port: 0, count: 3}\n"
    )
    fleet = Fleet.from_yaml(path)
    assert (fleet.tick, fleet.time_scale) == (0.5, 60)
    assert [d.host for d in fleet.devices] == [
        "127.0.42.70",
        "127.0.42.80",
        "127.0.42.81",
        "127.0.42.82",
    ]
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


async def test_a_thousand_devices_start_in_a_few_seconds() -> None:
    fleet = Fleet.from_counts(
        count=1000, models=MODELS, host_base="127.0.50.10", port=0, snapshot_port=0
    )
    started = time.perf_counter()
    async with fleet:
        elapsed = time.perf_counter() - started
        last = fleet.devices[-1]
        assert last.host == "127.0.53.241"
        async with RawClient(last.host, last.port, last.token) as raw:
            assert raw.did == last.did
        await asyncio.sleep(0)
    assert elapsed < 5.0
