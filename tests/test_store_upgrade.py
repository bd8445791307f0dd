"""A store written by the release before stores had a schema version opens with today's code,
and everything in it is still there (issue 13.4); a store from a newer mihub is refused."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from hub.api.auth import TokenAuth
from hub.bus import EventBus
from hub.devices.registry import DeviceRegistry
from hub.scenes.engine import AutomationEngine
from hub.scenes.scenes import SceneManager
from hub.store import SCHEMA_VERSION, Store, StoreVersionError

RELEASE_STORE = Path(__file__).parent / "store_files" / "release-0.1.db"
RELEASE_API_TOKEN = "8caf6f478319.MQEtVXA-wEWf__bzpgAp9FhpgtALTb1Z-YAfENt7pqU"


def version_of(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    copy = tmp_path / "mihub.db"
    shutil.copyfile(RELEASE_STORE, copy)  # the kept file is never written
    assert version_of(copy) == 0
    return copy


async def test_the_release_store_opens_with_everything_in_it(old_store: Path) -> None:
    async with Store(old_store) as store:
        bus = EventBus()
        registry = DeviceRegistry(bus, store)
        assert await registry.load() == 3
        lamp = registry.devices["miio-1001"]
        assert (lamp.name, lamp.room, lamp.model) == ("Desk lamp", "Study", "yeelink.light.color2")
        assert registry.devices["zigbee-0x00158d0001"].room == "Hall"
        assert lamp.value("power") is True
        assert await registry.secret("miio-1001", "token") == "00112233445566778899aabbccddeeff"
        scenes = SceneManager(registry, store)
        await scenes.load()
        assert [t.device for t in scenes.scenes["evening"].targets] == ["miio-1001", "miio-1002"]
        engine = AutomationEngine(registry, bus, store, scenes=scenes)
        await engine.start()
        assert engine.automations["lamp-with-purifier"].alias == "The lamp follows the purifier"
        await engine.stop()
        auth = TokenAuth(store)
        await auth.load()
        caller = auth.check(RELEASE_API_TOKEN)
        assert caller is not None, "the phone paired with the release still gets in"
        assert caller.name == "release phone"
        registry.close()
    assert version_of(old_store) == SCHEMA_VERSION
    async with Store(old_store) as store:  # a second open finds nothing to do
        assert await store.schema_version() == SCHEMA_VERSION
        assert len(await store.all("devices")) == 3


async def test_a_store_from_a_newer_mihub_is_refused_with_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "mihub.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreVersionError, match=r"newer mihub.*upgrade mihub"):
        await Store(path).open()
