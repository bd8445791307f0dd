"""The `mihub` command as a new user meets it: help for everything, clear one-line errors, a
pairing link a phone can open, and devices that can be listed and removed (issue 11.3, 11.8,
11.9)."""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hub.bus import EventBus
from hub.cli import build_parser, main
from hub.devices.model import Device, Feature, FeatureKind, Protocol
from hub.devices.registry import DeviceRegistry
from hub.store import Store


def mihub(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True, text=True, check=False, timeout=120, cwd=cwd,
    )  # fmt: skip


def test_python_dash_m_hub_is_the_mihub_command() -> None:
    done = mihub("--version")
    assert (done.returncode, done.stdout.split()[0]) == (0, "mihub")


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += _parsers(child)
    return found


def test_every_option_of_every_subcommand_says_what_it_does() -> None:
    silent = [
        f"{parser.prog} {action.dest}"
        for parser in _parsers(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
        and not action.help
    ]
    assert silent == []


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--hosts", "nonsense", "'nonsense' is not an IP address or CIDR range"),
        ("--broadcast", "192.168.1", "'192.168.1' is not an IP address"),
        ("--mdns", "eth0", "'eth0' is not an IP address"),
    ],
)
def test_discover_refuses_what_is_not_an_address_in_one_line(
    option: str, value: str, says: str
) -> None:
    done = mihub("discover", option, value)
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def _home(tmp_path: Path, api_host: str) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    path = home / "config.yaml"
    path.write_text(f"hub:\n  data_dir: data\napi:\n  host: {api_host}\n  port: 8321\n")
    (tmp_path / "elsewhere").mkdir()
    return path


def test_pair_never_offers_every_interface_as_an_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With api.host 0.0.0.0 the link gets this machine's LAN address, or the user is told to
    pass --host; the code lands in the store next to the config, wherever pair runs from."""
    path = _home(tmp_path, "0.0.0.0")
    monkeypatch.chdir(tmp_path / "elsewhere")
    status = main(["pair", "--config", str(path)])
    out, err = capsys.readouterr()
    assert "0.0.0.0" not in out.replace("(api.host is 0.0.0.0;", "")
    if status == 0:
        assert "http://" in out
        assert (tmp_path / "home" / "data" / "mihub.db").exists()
    else:
        assert status == 2
        assert "pass --host ADDRESS" in err
    assert not (tmp_path / "elsewhere" / "data").exists()

    assert main(["pair", "--config", str(path), "--host", "192.168.1.10"]) == 0
    out, _ = capsys.readouterr()
    assert "Open http://192.168.1.10:8321/#pair=" in out
    assert (tmp_path / "home" / "data" / "mihub.db").exists()


async def _seed(data_dir: Path) -> None:
    async with Store(data_dir / "mihub.db") as store:
        registry = DeviceRegistry(EventBus(), store)
        for number in (1, 2):
            power = {"power": Feature("power", FeatureKind.SWITCH, writable=True)}
            device = Device(f"miio-{number}", f"Lamp {number}", "yeelink.light.color2",
                            Protocol.MIIO, room="Study", features=power)  # fmt: skip
            registry.add(device)
            registry.update(device.id, {"power": True})
            await registry.set_secret(device.id, "token", "00112233445566778899aabbccddeeff")


async def _left(data_dir: Path, collection: str) -> set[str]:
    async with Store(data_dir / "mihub.db") as store:
        return set(await store.all(collection))


def test_devices_lists_and_removes_with_state_and_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _home(tmp_path, "127.0.0.1")
    data = tmp_path / "home" / "data"
    asyncio.run(_seed(data))
    assert main(["devices", "--config", str(path), "--json"]) == 0
    assert [d["id"] for d in json.loads(capsys.readouterr().out)] == ["miio-1", "miio-2"]

    assert main(["devices", "--config", str(path), "remove", "miio-1"]) == 0
    assert "removed miio-1 (Lamp 1)" in capsys.readouterr().out
    for collection in ("devices", "state", "secrets"):
        assert asyncio.run(_left(data, collection)) == {"miio-2"}, collection

    assert main(["devices", "remove", "miio-1", "--config", str(path)]) == 1
    assert "no device 'miio-1'" in capsys.readouterr().err
    assert main(["devices", "--config", str(path)]) == 0
    assert "Lamp 2" in capsys.readouterr().out


HOLD_AND_RUN_DEMO = """
import socket, subprocess, sys
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as held:
    held.bind((sys.argv[1], 54321))
    demo = [sys.executable, "-m", "hub", "demo", "--port", "0"]
    sys.exit(subprocess.run(demo, timeout=100, check=False).returncode)
"""


def test_a_second_demo_names_the_address_that_is_taken() -> None:
    """The demo's first device address is held by another program: the demo says so in one
    line. In a network namespace of its own, so a demo running on this machine is untouched."""
    from hub.demo import FIRST_HOST  # needs python-miio, as the demo does

    done = subprocess.run(
        ["unshare", "--net", "--", sys.executable, "-c", HOLD_AND_RUN_DEMO, FIRST_HOST],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        "mihub demo: 127.0.0.100:54321 (UDP) is already in use (another mihub demo? --port "
        "moves only the API; the simulated devices always use 127.0.0.100-110)"
    ]
