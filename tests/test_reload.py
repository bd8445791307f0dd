"""Config changes without a restart (issue 13.4): a real hub process takes a SIGHUP and a
POST /api/system/reload, applies what changed in config.yaml (scenes, automations, the name
and room of a device) and leaves the rest running; a broken file changes nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from firmware_sim.miio.device import DeviceConfig, SimulatedDevice
from hub.api.auth import TokenAuth
from hub.app import Hub
from hub.bus import DeviceOnline
from hub.config import load_config
from hub.devices.mqtt.connection import ConnectionState as MqttState
from hub.devices.mqtt.connection import MqttConnection
from hub.store import Store
from tests.loopback import free_hosts
from tests.mqtt_broker import MosquittoBroker, free_port
from tests.waiting import until, until_async

MODEL = "yeelink.light.color2"
WEBHOOK = {"platform": "webhook", "webhook_id": "w"}


def automation(automation_id: str, value: bool) -> dict[str, Any]:
    action = {"action": "set", "device": "Study/Lamp A", "feature": "power", "value": value}
    return {"id": automation_id, "trigger": [WEBHOOK], "action": [action]}


def scene(scene_id: str, name: str) -> dict[str, Any]:
    target = {"device": "Study/Lamp A", "feature": "power", "value": True}
    return {"id": scene_id, "name": name, "targets": [target]}


class Home:
    """config.yaml, two lamps on loopback, and the hub's API."""

    def __init__(self, root: Path, lamps: list[SimulatedDevice], http: aiohttp.ClientSession):
        self.path, self.http, self.port = root / "config.yaml", http, free_port()
        self.config: dict[str, Any] = {
            "hub": {"data_dir": str(root / "data")},
            "api": {"host": "127.0.0.1", "port": self.port},
            "miio": {"bind": "127.0.0.1", "devices": [
                {"host": lamps[0].host, "token": lamps[0].token, "name": "Lamp A", "room": "Study"},
                {"host": lamps[1].host, "token": lamps[1].token, "name": "Lamp B", "room": "Hall"},
            ]},
            "scenes": [scene("evening", "Evening")],
            "automations": [automation("on", True)],
        }  # fmt: skip
        self.token = ""

    def write(self) -> None:
        self.path.write_text(yaml.safe_dump(self.config, sort_keys=False))

    async def call(self, method: str, path: str) -> tuple[int, Any]:
        url = f"http://127.0.0.1:{self.port}{path}"
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.http.request(method, url, headers=headers) as response:
            return response.status, await response.json(content_type=None)

    async def get(self, path: str) -> Any:
        status, body = await self.call("GET", path)
        assert status == 200, body
        return body

    async def ids(self, path: str) -> list[str]:
        listed = await self.get(path)
        items = listed if isinstance(listed, list) else next(
            v for v in listed.values() if isinstance(v, list)
        )  # fmt: skip
        return sorted(item["id"] for item in items)

    async def lamps(self) -> dict[str, tuple[str, str | None, bool]]:
        devices = await self.get("/api/devices")
        items = devices if isinstance(devices, list) else devices["devices"]
        return {d["name"]: (d["id"], d["room"], d["availability"] == "online") for d in items}


@asynccontextmanager
async def running_hub(home: Home, log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    home.write()
    async with Store(Path(home.config["hub"]["data_dir"]) / "mihub.db") as store:
        home.token = await TokenAuth(store).issue("test", ["read", "control", "admin"])
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "hub", "run", "--config", str(home.path),
            stdout=sink, stderr=sink,
        )  # fmt: skip
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)


async def test_sighup_and_the_api_apply_config_changes_and_keep_the_rest(tmp_path: Path) -> None:
    hosts = free_hosts(2)
    lamps = [SimulatedDevice(DeviceConfig(MODEL, host)) for host in hosts]
    async with lamps[0], lamps[1], aiohttp.ClientSession() as http:
        home = Home(tmp_path, lamps, http)
        async with running_hub(home, tmp_path / "hub.log") as hub:
            both_online = {"Lamp A": (f"miio-{lamps[0].did}", "Study", True),
                           "Lamp B": (f"miio-{lamps[1].did}", "Hall", True)}  # fmt: skip
            await until_async(lambda: _quiet(home.lamps()), both_online, 60)

            # SIGHUP: a device renamed and moved, a scene renamed and one added, an
            # automation replaced by another
            home.config["miio"]["devices"][0] |= {"name": "Desk lamp", "room": "Office"}
            home.config["scenes"] = [scene("evening", "Late evening"), scene("night", "Night")]
            home.config["automations"] = [automation("off", False)]
            home.write()
            os.kill(hub.pid, signal.SIGHUP)
            await until_async(lambda: _quiet(home.lamps()), {  # the device is applied last
                "Desk lamp": (f"miio-{lamps[0].did}", "Office", True),
                "Lamp B": both_online["Lamp B"],
            }, 20)  # fmt: skip
            assert await home.ids("/api/scenes") == ["evening", "night"]
            assert await home.ids("/api/automations") == ["off"]
            scenes = await home.get("/api/scenes")
            names = {s["id"]: s["name"] for s in (scenes if isinstance(scenes, list)
                                                  else scenes["scenes"])}  # fmt: skip
            assert names == {"evening": "Late evening", "night": "Night"}

            # the API: an automation added and one section that needs a restart
            home.config["automations"].append(automation("on-again", True))
            home.config["history"] = {"raw_days": 3}
            home.write()
            status, report = await home.call("POST", "/api/system/reload")
            assert status == 200, report
            assert report["automations"] == {
                "added": ["on-again"], "changed": [], "removed": [], "unchanged": 1
            }  # fmt: skip
            assert report["scenes"]["unchanged"] == 2
            assert report["devices"] == {"added": [], "changed": [], "removed": [],
                                         "unchanged": 2}  # fmt: skip
            assert report["restart_needed"] == ["history"]
            assert await home.ids("/api/automations") == ["off", "on-again"]

            # a broken file changes nothing and says where it is broken
            home.path.write_text(home.path.read_text() + "scenes: [\n")
            status, error = await home.call("POST", "/api/system/reload")
            assert status == 422
            assert "config.yaml:" in error["error"]["message"]
            assert await home.ids("/api/automations") == ["off", "on-again"]
            os.kill(hub.pid, signal.SIGHUP)  # logged, and the hub runs on
            assert (await home.lamps())["Lamp B"] == both_online["Lamp B"]
            assert hub.returncode is None

        # no lamp was connected again: each came online once, the renamed one under its old name
        log = (tmp_path / "hub.log").read_text()
        online = [line.split(" (")[0].split()[-2:] for line in log.splitlines()
                  if line.endswith("is online")]  # fmt: skip
        assert sorted(online) == [["Lamp", "A"], ["Lamp", "B"]]
        assert "config reloaded: scenes +1 ~1 -0, automations +1 ~0 -1, devices +0 ~1 -0" in log


async def _quiet(read: Any) -> Any:
    try:
        return await read
    except (aiohttp.ClientError, AssertionError):
        return None


HUB_ID = "flat1"
SECRET = "s3cret-broker-pass"


async def test_mqtt_and_rooms_apply_live_and_the_lamp_stays_connected(tmp_path: Path) -> None:
    """A new broker with credentials, the bridge switched on and a room added, by one reload:
    the MQTT part alone connects again (automations listen on the new broker, the lamp is
    exported there, the old broker hears the hub go), the rooms change at once, and the miIO
    lamp keeps its connection and session: it is not onboarded again."""
    passwords = tmp_path / "passwords"
    made = await asyncio.create_subprocess_exec(
        "/usr/bin/mosquitto_passwd", "-b", "-c", str(passwords), "hub", SECRET
    )
    assert await made.wait() == 0
    secured = f"allow_anonymous false\npassword_file {passwords}\n"
    lamp = SimulatedDevice(DeviceConfig(MODEL, free_hosts(1)[0]))
    async with (
        lamp,
        MosquittoBroker() as first,
        MosquittoBroker(extra_config=secured) as second,
    ):
        path = tmp_path / "config.yaml"
        config: dict[str, Any] = {
            "hub": {"id": HUB_ID, "data_dir": str(tmp_path / "data")},
            "api": {"port": 0},
            "miio": {"bind": "127.0.0.1", "devices": [
                {"host": lamp.host, "token": lamp.token, "name": "Lamp A", "room": "Study"}]},
            "rooms": ["Study"],
            "mqtt": {"url": first.url, "export": {"devices": "none"}},
            "automations": [{"id": "button", "trigger": [
                {"platform": "mqtt", "topic": "home/button"}], "action": [
                {"action": "set", "device": "Study/Lamp A", "feature": "power",
                 "value": True}]}],
        }  # fmt: skip
        path.write_text(yaml.safe_dump(config))
        async with Hub(load_config(path), config_path=path) as hub:
            assert hub.reloader is not None
            assert hub.api_context is not None
            await until(lambda: len(hub.miio.online()) == 1, 20)
            connection = hub.miio.connections[(lamp.host, lamp.port)]
            session, device = connection.session, connection.device
            before = hub.mqtt
            onlines: list[DeviceOnline] = []
            hub.bus.subscribe(DeviceOnline, onlines.append)
            lamp.set_property("power", "off")  # legacy: the wire name and value

            config["mqtt"] = {"url": second.url, "username": "hub", "password": SECRET,
                              "export": {"devices": "all", "coalesce": 0.02}}  # fmt: skip
            config["rooms"] = ["Study", "Hall"]
            path.write_text(yaml.safe_dump(config))
            report = await hub.reloader.reload()

            assert report.mqtt == "reconnected"
            assert report.rooms.added == ["Hall"]
            assert report.restart_needed == []
            assert "mqtt reconnected" in report.summary()
            assert hub.api_context.rooms == ["Study", "Hall"]
            assert hub.mqtt is not None
            assert hub.mqtt is not before
            assert hub.mqtt.state is MqttState.CONNECTED  # the broker refuses anyone else
            async with MqttConnection(
                second.url, hub_id="observer", prefix="test/observer", username="hub",
                password=SECRET,
            ) as observer:  # fmt: skip
                seen: dict[str, bytes] = {}
                observer.subscribe(f"mihub/{HUB_ID}/#", lambda t, p, _: seen.update({t: p}))
                assert device is not None
                await until(lambda: any(device.id in t for t in seen), 10)  # the bridge
                await observer.publish("home/button", b"pressed", qos=1)
                await until(lambda: lamp.feature("power") is True, 10)  # the automation heard it
            async with MqttConnection(first.url, hub_id="old", prefix="test/old") as old:
                status: dict[str, bytes] = {}
                old.subscribe(f"mihub/{HUB_ID}/status", lambda t, p, _: status.update({t: p}))
                await until(lambda: status.get(f"mihub/{HUB_ID}/status") == b"offline", 10)

            # the lamp was never dropped: the same connection, session and device, online
            assert hub.miio.connections[(lamp.host, lamp.port)] is connection
            assert connection.session is session
            assert connection.device is device
            assert onlines == []
            assert len(hub.miio.online()) == 1
