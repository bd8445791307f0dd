"""Scenes: from YAML, over the API's calls, as snapshots; activation reports each device."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from hub.bus import EventBus
from hub.devices.registry import DeviceRegistry
from hub.errors import InvalidValue, NotFound
from hub.scenes.model import DuplicateId, InvalidDefinition
from hub.scenes.scenes import SceneManager
from hub.store import Store
from tests.scenes.home import EchoAdapter, build_home

EVENING = {
    "id": "evening",
    "name": "Evening",
    "targets": [
        {"device": "lamp", "feature": "power", "value": True},
        {"device": "lamp", "feature": "brightness", "value": 30},
        {"device": "plug", "feature": "state", "value": True},
    ],
}


@dataclass
class Home:
    registry: DeviceRegistry
    adapter: EchoAdapter
    scenes: SceneManager


@pytest.fixture
async def home() -> AsyncIterator[Home]:
    registry, adapter = build_home(EventBus())
    try:
        yield Home(registry, adapter, SceneManager(registry))
    finally:
        registry.close()


async def test_activation_sets_every_device_and_confirms_each(home: Home) -> None:
    await home.scenes.create(EVENING)
    result = await home.scenes.activate("evening")
    assert result.ok
    assert [(d.device, d.status) for d in result.devices] == [
        ("lamp", "confirmed"),
        ("plug", "confirmed"),
    ]
    lamp = home.registry.get("lamp")
    assert (lamp.value("power"), lamp.value("brightness")) == (True, 30)
    # a device's targets go in the scene's order: power before brightness
    assert [s for s in home.adapter.sent if s[0] == "lamp"] == [
        ("lamp", "power", True),
        ("lamp", "brightness", 30),
    ]


async def test_offline_failed_and_acknowledged_devices_each_say_so(home: Home) -> None:
    await home.scenes.create(EVENING)
    home.adapter.unreachable.add("lamp")
    home.adapter.silent.add("plug")
    result = await home.scenes.activate("evening")
    assert not result.ok
    lamp, plug = result.devices
    assert lamp.status == "offline"
    assert "no reply" in str(lamp.error)
    # the lamp's brightness was not sent once its power timed out
    assert [f.status for f in lamp.features] == ["offline", "offline"]
    assert home.adapter.sent.count(("lamp", "brightness", 30)) == 0
    assert plug.status == "acknowledged"

    home.adapter.unreachable.clear()
    home.adapter.refusing.add("lamp")
    lamp = (await home.scenes.activate("evening")).devices[0]
    assert lamp.status == "failed"
    assert "-4004" in str(lamp.error)


async def test_a_device_known_offline_is_reported_offline(home: Home) -> None:
    await home.scenes.create(EVENING)
    home.registry.set_availability("plug", False, "no reply")
    home.adapter.refusing.add("plug")
    plug = (await home.scenes.activate("evening")).devices[1]
    assert plug.status == "offline"


async def test_a_target_the_device_cannot_take_fails_alone(home: Home) -> None:
    await home.scenes.create({"name": "Odd", "targets": [
        {"device": "lamp", "feature": "brightness", "value": 500},
        {"device": "plug", "feature": "state", "value": True}]})  # fmt: skip
    result = await home.scenes.activate("odd")
    lamp, plug = result.devices
    assert lamp.status == "failed"
    assert "from 1 to 100" in str(lamp.error)
    assert plug.status == "confirmed"


async def test_crud_over_the_api_calls(home: Home) -> None:
    scenes = home.scenes
    created = await scenes.create({"name": "Movie night!", "targets": EVENING["targets"]})
    assert created.id == "movie-night"
    with pytest.raises(DuplicateId, match="'movie-night' exists already") as again:
        await scenes.create({"name": "Movie night", "targets": EVENING["targets"]})
    assert again.value.existing == "movie-night"  # no silent "movie-night-2" copy
    with pytest.raises(DuplicateId):
        await scenes.create({**EVENING, "id": "movie-night"})
    updated = await scenes.update(
        "movie-night", {"name": "Cinema", "targets": EVENING["targets"][:1]}
    )
    assert (updated.id, updated.name, len(updated.targets)) == ("movie-night", "Cinema", 1)
    assert {s.id for s in scenes.all()} == {"movie-night"}
    await scenes.delete("movie-night")
    with pytest.raises(NotFound):
        scenes.get("movie-night")
    with pytest.raises(NotFound):
        await scenes.activate("movie-night")


async def test_validation_errors_name_the_scene_and_the_field(home: Home) -> None:
    with pytest.raises(
        InvalidDefinition, match=r"scene 'Bad' \(bad\): targets\.0\.value"
    ) as caught:
        await home.scenes.create(
            {"name": "Bad", "targets": [{"device": "lamp", "feature": "power"}]}
        )
    assert caught.value.problems[0]["field"] == "targets.0.value"


async def test_snapshot_keeps_the_writable_values_of_the_chosen_devices(home: Home) -> None:
    home.registry.update("lamp", {"power": True, "brightness": 64})
    scene = await home.scenes.snapshot({"name": "As now", "devices": ["lamp", "thermo"]})
    assert scene.id == "as-now"
    # the thermometer has nothing writable; the lamp's action is not a value
    assert {(t.device, t.feature, t.value) for t in scene.targets} == {
        ("lamp", "power", True),
        ("lamp", "brightness", 64),
    }
    only = await home.scenes.snapshot({"id": "dim", "name": "Dim", "devices": ["lamp"],
                                        "features": ["brightness"]})  # fmt: skip
    assert [t.feature for t in only.targets] == ["brightness"]
    with pytest.raises(InvalidValue, match="no settable values"):
        await home.scenes.snapshot({"name": "Nothing", "devices": ["thermo"]})
    with pytest.raises(NotFound):
        await home.scenes.snapshot({"name": "Ghost", "devices": ["ghost"]})


async def test_scenes_from_yaml_are_read_only_and_stored_ones_persist(tmp_path: Path) -> None:
    config = yaml.safe_load("""
scenes:
  - id: night
    name: Night
    targets:
      - {device: lamp, feature: power, value: false}
      - {device: plug, feature: state, value: off}
""")
    path = tmp_path / "hub.db"
    async with Store(path) as store:
        registry, _ = build_home(EventBus(), store)
        scenes = SceneManager(registry, store)
        await scenes.load()
        scenes.add_configured(config["scenes"])
        assert scenes.get("night").targets[1].value is False  # YAML's "off"
        with pytest.raises(InvalidValue, match=r"config\.yaml"):
            await scenes.delete("night")
        await scenes.create(EVENING)
        registry.close()
    async with Store(path) as store:
        registry, _ = build_home(EventBus(), store)
        scenes = SceneManager(registry, store)
        await scenes.load()
        assert [s.id for s in scenes.all()] == ["evening"]
        assert [t.model_dump() for t in scenes.get("evening").targets] == EVENING["targets"]
        registry.close()
