"""Federation in one process: two real hubs on one private Mosquitto, each with its own
simulated miIO devices on loopback; hub "a" imports what hub "b" exports (mqtt.peers). The
two-namespace version with broadcast discovery and a phone is tests/lan/test_federation.py."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet
from hub.app import Hub
from hub.bus import Origin
from hub.config import Config
from hub.devices.model import Availability, CommandStatus, Protocol
from hub.devices.mqtt.connection import MqttConnection
from tests.loopback import free_hosts
from tests.mqtt_broker import MosquittoBroker, until


def config(hub_id: str, fleet: Fleet, broker: MosquittoBroker, data: Path, **mqtt: Any) -> Config:
    return Config.model_validate({
        "hub": {"id": hub_id, "data_dir": str(data / hub_id)},
        "api": {"port": 0},
        "miio": {"bind": "127.0.0.1", "timeout": 0.5,
                 "devices": [{"host": d.host, "token": d.token} for d in fleet.devices]},
        "mqtt": {"url": broker.url, "export": {"coalesce": 0.02}, **mqtt},
    })  # fmt: skip


@dataclass
class Homes:
    a: Hub
    b: Hub
    fleet_a: Fleet
    fleet_b: Fleet
    broker: MosquittoBroker
    data: Path

    @property
    def lamp(self) -> str:
        return f"miio-{self.fleet_b.devices[0].did}"


@pytest.fixture
async def homes(mosquitto: MosquittoBroker, tmp_path: Path) -> AsyncIterator[Homes]:
    host_a, host_b = free_hosts(2)
    async with (
        Fleet([DeviceConfig("zhimi.airpurifier.mb3", host_a)]) as fleet_a,
        Fleet([DeviceConfig("yeelink.light.color2", host_b)]) as fleet_b,
        Hub(config("b", fleet_b, mosquitto, tmp_path)) as b,
        Hub(config("a", fleet_a, mosquitto, tmp_path, peers=True, peer_timeout=2)) as a,
    ):
        homes = Homes(a, b, fleet_a, fleet_b, mosquitto, tmp_path)
        await until(lambda: homes.lamp in a.registry.devices, 10)
        await until(lambda: a.registry.devices[homes.lamp].availability is Availability.ONLINE, 10)
        yield homes


async def test_a_peer_device_is_imported_with_its_features_and_owner(homes: Homes) -> None:
    a, b, lamp = homes.a, homes.b, homes.lamp
    imported, own = a.registry.devices[lamp], b.registry.devices[lamp]
    assert (imported.protocol, imported.hub, own.hub) == (Protocol.PEER, "b", None)
    assert imported.as_dict()["hub"] == "b"
    assert [f.as_dict() for f in imported.features.values()] == [
        f.as_dict() for f in own.features.values()
    ]
    assert (imported.name, imported.model) == (own.name, own.model)
    await until(lambda: imported.value("brightness") == own.value("brightness"), 5)
    # b does not import (no peers), and a's imports are not exported again: no loops
    purifier = f"miio-{homes.fleet_a.devices[0].did}"
    assert purifier not in b.registry.devices
    assert a.mqtt is not None
    seen: list[str] = []
    async with MqttConnection(homes.broker.url, hub_id="o", prefix="test/o") as observer:
        observer.subscribe("mihub/a/#", lambda topic, payload, retain: seen.append(topic))
        await until(lambda: f"mihub/a/{purifier}/config" in seen, 5)
    assert not any(lamp in topic for topic in seen)


async def test_a_command_goes_to_the_owning_hub_and_its_answer_comes_back(homes: Homes) -> None:
    a, lamp, sim = homes.a, homes.lamp, homes.fleet_b.devices[0]
    for value in (not sim.feature("power"), not sim.feature("power")):
        result = await a.registry.command(lamp, "power", value, origin=Origin.API)
        assert result.status is CommandStatus.CONFIRMED, result
        assert sim.feature("power") is value
    result = await a.registry.command(lamp, "brightness", 37)
    assert (result.status, sim.feature("brightness")) == (CommandStatus.CONFIRMED, 37)
    assert homes.b.registry.devices[lamp].value("brightness") == 37
    await a.registry.call_action(lamp, "toggle")
    await until(lambda: a.registry.devices[lamp].value("power") is sim.feature("power"), 5)


async def test_rename_on_the_owner_reaches_the_importer(homes: Homes) -> None:
    await homes.b.registry.rename(homes.lamp, "Hall lamp", "Hall")
    devices = homes.a.registry.devices  # looked up each time: a new description may replace it
    await until(
        lambda: (devices[homes.lamp].name, devices[homes.lamp].room) == ("Hall lamp", "Hall"), 5
    )


async def test_a_hub_that_goes_takes_its_devices_offline_and_back(homes: Homes) -> None:
    a, lamp = homes.a, homes.lamp
    a.registry.offline_grace = 0
    await homes.b.stop()
    device = a.registry.devices[lamp]
    await until(lambda: device.availability is Availability.OFFLINE, 5)
    # a clean stop says each device goes before the hub does; a will says only the hub
    assert device.availability_reason in {"hub 'b' is offline", "offline on hub 'b'"}
    result = await a.registry.command(lamp, "power", True)
    assert result.status is CommandStatus.FAILED
    assert "nothing was sent" in (result.error or "")  # known offline: refused at once, unsent
    assert "hub 'b'" in (result.error or "")
    async with Hub(config("b", homes.fleet_b, homes.broker, homes.data)):
        await until(lambda: device.availability is Availability.ONLINE, 10)
        result = await a.registry.command(lamp, "power", True)
        assert result.status is CommandStatus.CONFIRMED


async def test_a_hub_no_longer_imported_leaves_no_stored_devices_behind(
    homes: Homes, caplog: pytest.LogCaptureFixture
) -> None:
    """Stored, an imported device would come back offline at every start, owned by no one."""
    lamp = homes.lamp
    await homes.a.stop()  # a knows the lamp from its store now
    fleet_a, broker, data = homes.fleet_a, homes.broker, homes.data
    with caplog.at_level(logging.INFO, logger="hub.devices.mqtt.peers"):
        async with Hub(config("a", fleet_a, broker, data, peers=["c"])) as a:
            assert lamp not in a.registry.devices
    assert "no longer imports hub 'b': its 1 devices are removed" in caplog.text
    async with Hub(config("a", fleet_a, broker, data)) as a:  # peers off: gone for good
        assert lamp not in a.registry.devices
        assert await a.store.get("devices", lamp) is None
    async with Hub(config("a", fleet_a, broker, data, peers=True)) as a:  # imported again
        await until(lambda: lamp in a.registry.devices, 10)


async def test_a_silent_hub_times_out_and_a_duplicate_id_keeps_its_first_owner(
    homes: Homes, caplog: pytest.LogCaptureFixture
) -> None:
    """A client in the role of a third hub, "ghost", that exports two devices (one of them
    with the lamp's id) and never answers a command."""
    a, lamp = homes.a, homes.lamp
    description = json.dumps({"name": "Ghost plug", "model": "test.plug", "features": [
        {"id": "power", "kind": "switch", "writable": True}]}).encode()  # fmt: skip
    caplog.set_level(logging.WARNING, "hub.devices.mqtt.peers")
    async with MqttConnection(homes.broker.url, hub_id="ghost") as ghost:
        await ghost.wait_connected()
        for device_id in ("ghost-plug", lamp):
            await ghost.publish(f"mihub/ghost/{device_id}/config", description, 1, retain=True)
            await ghost.publish(f"mihub/ghost/{device_id}/availability", b"online", 1, True)
        await until(lambda: "ghost-plug" in a.registry.devices, 5)
        await until(lambda: "is exported by hub 'ghost' too" in caplog.text, 5)
        assert a.registry.devices[lamp].hub == "b"
        assert a.registry.devices["ghost-plug"].hub == "ghost"
        result = await a.registry.command("ghost-plug", "power", True)
        assert result.status is CommandStatus.FAILED
        assert "hub 'ghost' did not answer within 2 s" in (result.error or "")
        for device_id in ("ghost-plug", lamp):
            await ghost.publish(f"mihub/ghost/{device_id}/config", b"", 1, retain=True)
        await until(lambda: "ghost-plug" not in a.registry.devices, 5)
    assert a.registry.devices[lamp].hub == "b"


async def test_when_the_owner_withdraws_an_id_the_other_hub_exporting_it_takes_it(
    homes: Homes,
) -> None:
    registry = homes.a.registry
    description = json.dumps({"name": "Plug", "model": "test.plug", "features": [
        {"id": "power", "kind": "switch", "writable": True}]}).encode()  # fmt: skip
    async with (
        MqttConnection(homes.broker.url, hub_id="first") as first,
        MqttConnection(homes.broker.url, hub_id="second") as second,
    ):
        await first.wait_connected()
        await second.wait_connected()
        await first.publish("mihub/first/plug-1/config", description, 1, retain=True)
        await until(lambda: "plug-1" in registry.devices, 5)
        await second.publish("mihub/second/plug-1/config", description, 1, retain=True)
        await second.publish("mihub/second/plug-1/availability", b"online", 1, retain=True)
        await first.publish("mihub/first/plug-1/config", b"", 1, retain=True)
        await until(lambda: getattr(registry.devices.get("plug-1"), "hub", None) == "second", 5)
        await until(lambda: registry.devices["plug-1"].availability is Availability.ONLINE, 5)
        await second.publish("mihub/second/plug-1/config", b"", 1, retain=True)
        await until(lambda: "plug-1" not in registry.devices, 5)


def test_peers_need_hubs_under_one_root(tmp_path: Path) -> None:
    from hub.config import parse_config
    from hub.errors import ConfigError

    good = parse_config("mqtt:\n  url: mqtt://127.0.0.1\n  peers: [garage, flat-2]\n", tmp_path)
    assert good.mqtt is not None
    assert good.mqtt.peers == ["garage", "flat-2"]
    with pytest.raises(ConfigError, match="needs prefix as '<root>/<hub id>'") as error:
        parse_config("mqtt:\n  url: mqtt://127.0.0.1\n  prefix: home\n  peers: true\n", tmp_path)
    assert ":4: mqtt.peers: " in str(error.value)
    with pytest.raises(ConfigError, match=r"mqtt\.peers"):
        parse_config("mqtt:\n  url: mqtt://127.0.0.1\n  peers: [a/b]\n", tmp_path)
