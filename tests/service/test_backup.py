"""`mihub backup` while a real hub process keeps writing, and `mihub restore` into a fresh
directory, from which a hub starts with the same devices, scenes and automations (issue 13.4)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hub.api.auth import TokenAuth
from hub.bus import EventBus
from hub.devices.model import Device, Feature, FeatureKind, Protocol
from hub.devices.registry import DeviceRegistry
from hub.store import Store
from tests.mqtt_broker import free_port


def mihub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _home(root: Path, port: int) -> Path:
    root.mkdir(parents=True)
    config = root / "config.yaml"
    config.write_text(
        "hub:\n  name: !secret home_name\n  data_dir: data\n"
        f"api:\n  host: 127.0.0.1\n  port: {port}\nmiio:\n  bind: 127.0.0.1\n"
        "scenes:\n  - id: from-config\n    name: From config\n"
        "    targets:\n      - {device: miio-1, feature: power, value: true}\n"
    )
    (root / "secrets.yaml").write_text("home_name: Backup test home\n")
    return config


async def _seed(data_dir: Path) -> str:
    async with Store(data_dir / "mihub.db") as store:
        registry = DeviceRegistry(EventBus(), store)
        for number in (1, 2):
            power = {"power": Feature("power", FeatureKind.SWITCH, writable=True)}
            registry.add(Device(f"miio-{number}", f"Lamp {number}", "yeelink.light.color2",
                                Protocol.MIIO, room="Study", features=power))  # fmt: skip
        return await TokenAuth(store).issue("test", ["read", "control", "admin"])


class Api:
    def __init__(self, port: int, token: str) -> None:
        self.base, self.token = f"http://127.0.0.1:{port}", token

    def call(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.base + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    def wait_healthy(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, "the hub exited"
            try:
                self.call("GET", "/api/health")
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the hub did not answer /api/health within 60 s")

    def home(self) -> tuple[list[str], list[str], list[str]]:
        def ids(path: str) -> list[str]:
            listed = self.call("GET", path)
            items = (
                listed
                if isinstance(listed, list)
                else next(v for v in listed.values() if isinstance(v, list))
            )
            return sorted(item["id"] for item in items)

        return ids("/api/devices"), ids("/api/scenes"), ids("/api/automations")


@contextmanager
def running_hub(config: Path, api: Api) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-m", "hub", "run", "--config", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        api.wait_healthy(process)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_backup_while_the_hub_writes_then_restore_into_a_fresh_directory(tmp_path: Path) -> None:
    port = free_port()
    config = _home(tmp_path / "old", port)
    token = asyncio.run(_seed(tmp_path / "old" / "data"))
    history = tmp_path / "old" / "data" / "history.db"  # another part's database: it goes too
    with sqlite3.connect(history) as db:
        db.execute("CREATE TABLE changes (device TEXT, value TEXT)")
        db.execute("INSERT INTO changes VALUES ('miio-1', 'on')")
    db.close()
    api = Api(port, token)
    created: list[str] = []
    stop = threading.Event()

    def write_scenes() -> None:
        while not stop.is_set():
            scene_id = f"s{len(created)}"
            api.call("POST", "/api/scenes", {"id": scene_id, "name": f"Scene {len(created)}",
                     "targets": [{"device": "miio-2", "feature": "power", "value": True}]})  # fmt: skip
            created.append(scene_id)

    with running_hub(config, api):
        api.call("POST", "/api/automations", {
            "id": "mirror", "alias": "Mirror",
            "trigger": [{"platform": "state", "device": "miio-1", "feature": "power"}],
            "action": [{"action": "set", "device": "miio-2", "feature": "power", "value": True}],
        })  # fmt: skip
        writer = threading.Thread(target=write_scenes)
        writer.start()
        try:
            while len(created) < 5:  # the hub is busy writing when the backup starts
                time.sleep(0.01)
            before = len(created)
            done = mihub("backup", str(tmp_path), "--config", str(config))
            after = len(created)
        finally:
            stop.set()
            writer.join()
        assert done.returncode == 0, done.stderr
        assert "keep it private" in done.stdout
        archive = next(tmp_path.glob("mihub-home-*.tar.gz"))
        assert archive.stat().st_mode & 0o077 == 0  # it holds tokens: the owner's only
        refused = mihub("restore", str(archive), "--config", str(config))
        assert refused.returncode == 1
        assert "a hub seems to run" in refused.stderr
        old_home = api.home()

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    names = [f["name"] for f in manifest["files"]]
    assert sorted(names) == [
        "config/config.yaml",
        "config/secrets.yaml",
        "data/history.db",
        "data/mihub.db",
    ]
    assert manifest["format"] == 1
    assert manifest["mihub"]

    fresh = tmp_path / "new"
    fresh.mkdir()
    restored = mihub("restore", str(archive), "--config", str(fresh / "config.yaml"))
    assert restored.returncode == 0, restored.stderr
    assert (fresh / "secrets.yaml").read_text() == "home_name: Backup test home\n"
    with sqlite3.connect(fresh / "data" / "history.db") as db:
        assert db.execute("SELECT * FROM changes").fetchall() == [("miio-1", "on")]
    db.close()
    with running_hub(fresh / "config.yaml", api):
        devices, scenes, automations = api.home()
    assert devices == old_home[0] == ["miio-1", "miio-2"]
    assert automations == old_home[2] == ["mirror"]
    backed_up = [s for s in scenes if s != "from-config"]
    assert "from-config" in scenes
    assert set(backed_up) <= set(created)
    assert before <= len(backed_up) <= after  # a snapshot taken while the writes went on
    print(f"backup while writing: {len(backed_up)} scenes of {before}..{after}")


def test_restore_keeps_what_was_there_and_refuses_a_damaged_archive(tmp_path: Path) -> None:
    config = _home(tmp_path / "home", free_port())
    asyncio.run(_seed(tmp_path / "home" / "data"))
    archive = tmp_path / "backup.tar.gz"
    assert mihub("backup", str(archive), "--config", str(config)).returncode == 0
    assert mihub("restore", str(archive), "--config", str(config)).returncode == 0
    assert (tmp_path / "home" / "data" / "mihub.db.before-restore").exists()
    assert (tmp_path / "home" / "config.yaml.before-restore").exists()

    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(archive.read_bytes()[:200])
    done = mihub("restore", str(damaged), "--config", str(tmp_path / "x" / "config.yaml"))
    assert done.returncode == 1
    assert "not a mihub backup" in done.stderr
    assert not (tmp_path / "x").exists()
    os.remove(archive)
