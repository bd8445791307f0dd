"""Discovery sends only where it is told, and reads models from mDNS names."""

from __future__ import annotations

import pytest

from hub.devices.miio.discovery import expand_targets, model_from_service_name
from tests.loopback import free_hosts


def test_hosts_and_ranges_expand_to_host_addresses() -> None:
    """A LAN range leaves out its network and broadcast addresses; loopback has none."""
    hosts = list(expand_targets(["127.0.1.9", "127.0.1.0/30"]))  # parsed only: nothing is sent
    assert hosts == ["127.0.1.9", "127.0.1.0", "127.0.1.1", "127.0.1.2", "127.0.1.3"]
    assert list(expand_targets(["192.168.1.4/30"])) == ["192.168.1.5", "192.168.1.6"]
    assert list(expand_targets(["192.168.1.4/31"])) == ["192.168.1.4", "192.168.1.5"]
    assert list(expand_targets(["192.168.1.4"])) == ["192.168.1.4"]


def test_nothing_is_targeted_by_default() -> None:
    assert list(expand_targets([])) == []


def test_a_huge_range_is_refused() -> None:
    with pytest.raises(ValueError, match="expand past"):
        list(expand_targets(["10.0.0.0/8"], limit=1000))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("zhimi-airpurifier-mb3_miio12345._miio._udp.local.", ("zhimi.airpurifier.mb3", 12345)),
        ("yeelink-light-color2_miio7._miio._udp.local.", ("yeelink.light.color2", 7)),
        ("printer._miio._udp.local.", None),
        ("x_miioabc._miio._udp.local.", None),
    ],
)
def test_model_and_did_come_from_the_service_name(
    name: str, expected: tuple[str, int] | None
) -> None:
    assert model_from_service_name(name) == expected


async def test_a_unicast_sweep_finds_every_simulated_device() -> None:
    from firmware_sim.fleet import Fleet
    from hub.devices.miio.discovery import hello_scan

    hosts = free_hosts(4)  # three lights and a silent address after them
    async with Fleet.from_counts(3, ["yeelink.light.color2"], host_base=hosts[0]) as fleet:
        found = await hello_scan(hosts=hosts, bind="127.0.0.1", listen=0.3)
    assert [(d.host, d.did) for d in found] == [(d.host, d.did) for d in fleet.devices]
