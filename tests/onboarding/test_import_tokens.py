"""`mihub import-tokens`: the three app backups (built here with the apps' real tables and the
iOS app's AES encryption) and the cloud's JSON, matched to the hub's devices (issue 13.2)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hub.bus import EventBus
from hub.devices.model import Device, Protocol
from hub.devices.registry import DeviceRegistry
from hub.store import Store

KNOWN_TOKEN = "00112233445566778899aabbccddeeff"
OLD_TOKEN = "ffeeddccbbaa99887766554433221100"
NEW_TOKEN = "0123456789abcdef0123456789abcdef"
CHANGED_TOKEN = "abcdefabcdefabcdefabcdefabcdef01"

# What the phone knew: a device the hub has (same token), one it has never met, one it has
# under another token (matched by address: this app wrote no device id), a Zigbee sub-device,
# and one with neither a device id nor an address or MAC the hub knows.
DEVICES: list[dict[str, Any]] = [
    {
        "did": "1001",
        "name": "Desk lamp",
        "model": "yeelink.light.color2",
        "localip": "192.168.1.10",
        "mac": "28:6C:07:00:00:01",
        "token": KNOWN_TOKEN,
    },
    {
        "did": "1002",
        "name": "Purifier",
        "model": "zhimi.airpurifier.ma4",
        "localip": "192.168.1.20",
        "mac": "28:6C:07:00:00:02",
        "token": NEW_TOKEN,
    },
    {
        "did": "",
        "name": "Hall light",
        "model": "philips.light.bulb",
        "localip": "192.168.1.30",
        "mac": "28:6C:07:00:00:03",
        "token": CHANGED_TOKEN,
    },
    {
        "did": "lumi.158d0001",
        "name": "Door",
        "model": "lumi.sensor_magnet.v2",
        "localip": "",
        "mac": "",
        "token": "a" * 32,
    },
    {
        "did": "",
        "name": "Old plug",
        "model": "chuangmi.plug.m1",
        "localip": "192.168.1.99",
        "mac": "28:6C:07:00:00:09",
        "token": "b" * 32,
    },
]


def android_db(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE devicerecord (_id INTEGER PRIMARY KEY AUTOINCREMENT, did TEXT, "
            "name TEXT, mac TEXT, model TEXT, localIP TEXT, token TEXT, ssid TEXT, bssid TEXT, "
            "parentId TEXT, parentModel TEXT, ownerId TEXT, isOnline INTEGER)"
        )
        db.executemany(
            "INSERT INTO devicerecord (did, name, mac, model, localIP, token, ssid, isOnline) "
            "VALUES (?, ?, ?, ?, ?, ?, 'home', 1)",
            [
                (d["did"], d["name"], d["mac"], d["model"], d["localip"], d["token"])
                for d in DEVICES
            ],
        )
    db.close()


def ios_encrypt(token: str) -> str:
    """The iOS app's ZTOKEN: AES-128-ECB with an all-zero key, PKCS#7 padded, in hex."""
    padded = token.encode() + bytes([16]) * 16
    encryptor = Cipher(algorithms.AES(bytes(16)), modes.ECB()).encryptor()  # noqa: S305
    return (encryptor.update(padded) + encryptor.finalize()).hex()


def ios_db(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE ZDEVICE (Z_PK INTEGER PRIMARY KEY, Z_ENT INTEGER, Z_OPT INTEGER, "
            "ZDID VARCHAR, ZNAME VARCHAR, ZMAC VARCHAR, ZMODEL VARCHAR, ZLOCALIP VARCHAR, "
            "ZTOKEN VARCHAR, ZSSID VARCHAR, ZPARENTID VARCHAR)"
        )
        db.executemany(
            "INSERT INTO ZDEVICE (Z_ENT, Z_OPT, ZDID, ZNAME, ZMAC, ZMODEL, ZLOCALIP, ZTOKEN, "
            "ZSSID) VALUES (7, 1, ?, ?, ?, ?, ?, ?, 'home')",
            [
                (d["did"], d["name"], d["mac"], d["model"], d["localip"], ios_encrypt(d["token"]))
                for d in DEVICES
            ],
        )
    db.close()


def yeelight_xml(path: Path) -> None:
    strings = "".join(
        f"<string>{json.dumps(d).replace('&', '&amp;').replace('<', '&lt;')}</string>"
        for d in DEVICES
    )
    path.write_text(
        "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<map>\n"
        f'<string name="lastUser">42</string>\n<set name="deviceList">{strings}</set>\n</map>\n'
    )


def cloud_json(path: Path) -> None:
    """`miiocli cloud list --raw`: the cloud's own records; the sub-device names its gateway."""
    records = []
    for d in DEVICES:
        record = {**d, "desc": "", "ssid": "home", "isOnline": True, "parent_id": "", "pid": "0"}
        if d["did"].startswith("lumi."):
            record["parent_id"] = "1001"
        records.append(record)
    path.write_text(json.dumps(records, indent=4))


BUILDERS: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "android": ("miio2.db", android_db, "Android Mi Home backup"),
    "ios": ("123_mihome.sqlite", ios_db, "iOS Mi Home backup"),
    "yeelight": ("miot.xml", yeelight_xml, "Yeelight app preferences"),
    "cloud": ("devices.json", cloud_json, "Xiaomi cloud device list"),
}


async def _seed(data_dir: Path) -> None:
    async with Store(data_dir / "mihub.db") as store:
        registry = DeviceRegistry(EventBus(), store)
        for did, host, token in (
            (1001, "192.168.1.10", KNOWN_TOKEN),
            (1003, "192.168.1.30", OLD_TOKEN),
        ):
            device = Device(f"miio-{did}", f"Device {did}", "yeelink.light.color2", Protocol.MIIO,
                            endpoint={"host": host, "port": 54321, "did": did})  # fmt: skip
            registry.add(device)
            await registry.set_secret(device.id, "token", token)


async def _tokens(data_dir: Path) -> dict[str, str]:
    async with Store(data_dir / "mihub.db") as store:
        return {key: doc["token"] for key, doc in (await store.all("secrets")).items()}


def mihub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_import_matches_by_id_and_address_and_reports_what_changed(
    tmp_path: Path, kind: str
) -> None:
    name, build, says = BUILDERS[kind]
    config = tmp_path / "config.yaml"
    config.write_text("hub:\n  data_dir: data\n")
    asyncio.run(_seed(tmp_path / "data"))
    backup = tmp_path / name
    build(backup)

    dry = mihub("import-tokens", str(backup), "--config", str(config), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert asyncio.run(_tokens(tmp_path / "data")) == {
        "miio-1001": KNOWN_TOKEN,
        "miio-1003": OLD_TOKEN,
    }

    done = mihub("import-tokens", str(backup), "--config", str(config))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert says in lines[0]
    assert "5 devices" in lines[0]
    report = {line.split('"')[1]: line for line in lines[1:6]}
    assert report["Desk lamp"].startswith("matched")
    assert "-> miio-1001" in report["Desk lamp"]
    assert report["Purifier"].startswith("new")
    assert "-> miio-1002" in report["Purifier"]
    assert report["Hall light"].startswith("changed")
    assert "-> miio-1003" in report["Hall light"]
    assert report["Door"].startswith("skipped")
    assert report["Old plug"].startswith("skipped")
    assert "no device id" in report["Old plug"]
    assert "1 matched, 1 changed, 1 new, 2 skipped" in done.stdout
    assert "set miio.discovery" in done.stdout  # how a new device gets onboarded
    for token in (KNOWN_TOKEN, NEW_TOKEN, CHANGED_TOKEN, OLD_TOKEN):
        assert token not in done.stdout + done.stderr  # tokens are never printed

    assert asyncio.run(_tokens(tmp_path / "data")) == {
        "miio-1001": KNOWN_TOKEN, "miio-1002": NEW_TOKEN, "miio-1003": CHANGED_TOKEN,
    }  # fmt: skip
    again = mihub("import-tokens", str(backup), "--config", str(config))
    assert "3 matched, 0 changed, 0 new, 2 skipped" in again.stdout


def test_a_config_token_that_differs_is_pointed_out(tmp_path: Path) -> None:
    """config.yaml's token for an address wins at start, so the report says to edit it there."""
    config = tmp_path / "config.yaml"
    config.write_text(
        f"hub:\n  data_dir: data\nmiio:\n  devices:\n    - host: 192.168.1.30\n      token: {OLD_TOKEN}\n"
    )
    asyncio.run(_seed(tmp_path / "data"))
    backup = tmp_path / "miio2.db"
    android_db(backup)
    done = mihub("import-tokens", str(backup), "--config", str(config))
    hall = next(line for line in done.stdout.splitlines() if "Hall light" in line)
    assert hall.startswith("changed")
    assert "config.yaml gives 192.168.1.30 another token, and it wins at start" in hall


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"hello", "not a token file mihub knows"),
        (b"SQLite format 3\x00", "cannot be read"),
        (b'{"devices": 3}', "JSON without a device list"),
        (b'[{"did": "1"}]', "device #1 has no 'token'"),
    ],
)
def test_a_file_that_is_not_a_backup_is_named_with_what_is_wrong(
    tmp_path: Path, content: bytes, says: str
) -> None:
    (tmp_path / "config.yaml").write_text("hub:\n  data_dir: data\n")
    bad = tmp_path / "backup.bin"
    bad.write_bytes(content)
    done = mihub("import-tokens", str(bad), "--config", str(tmp_path / "config.yaml"))
    assert done.returncode == 1
    assert str(bad) in done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_the_running_hub_never_imports_python_miio() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, hub.app, hub.cli; print('miio' in sys.modules)"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.strip() == "False"
