"""Scenes: named target values across devices, activated in parallel, reported per device."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.devices.model import CommandStatus, FeatureKind
from hub.devices.registry import DeviceRegistry
from hub.errors import HubError, NotFound
from hub.scenes.model import Scene, SceneTarget, parse_scene
from hub.store import Store

COLLECTION = "scenes"


class SceneManager:
    def __init__(self, registry: DeviceRegistry, store: Store | None = None) -> None:
        self.registry = registry
        self.store = store
        self.scenes: dict[str, Scene] = {}

    async def load(self) -> None:
        if self.store is not None:
            for key, doc in (await self.store.all(COLLECTION)).items():
                self.scenes[key] = parse_scene(doc)

    async def save(self, scene: Scene) -> Scene:
        self.scenes[scene.id] = scene
        if self.store is not None:
            await self.store.put(COLLECTION, scene.id, scene.model_dump(mode="json"))
        return scene

    async def delete(self, scene_id: str) -> None:
        self.get(scene_id)
        del self.scenes[scene_id]
        if self.store is not None:
            await self.store.delete(COLLECTION, scene_id)

    def get(self, scene_id: str) -> Scene:
        try:
            return self.scenes[scene_id]
        except KeyError:
            raise NotFound(f"no scene '{scene_id}'") from None

    async def snapshot(self, scene_id: str, name: str, devices: list[str]) -> Scene:
        """A scene of the current values of every settable feature of ``devices``."""
        targets = []
        for device_id in devices:
            device = self.registry.get(device_id)
            for feature in device.features.values():
                value = device.value(feature.id)
                settable = feature.writable and feature.kind is not FeatureKind.ACTION
                if settable and value is not None:
                    targets.append(SceneTarget(device=device_id, feature=feature.id, value=value))
        if not targets:
            raise HubError(f"the devices {devices} have no settable values to remember")
        return await self.save(Scene(id=scene_id, name=name, targets=targets))

    async def activate(self, scene_id: str) -> list[dict[str, Any]]:
        """Set every target in parallel; one result per target: confirmed, failed, offline."""
        scene = self.get(scene_id)
        return list(await asyncio.gather(*(self._apply(t) for t in scene.targets)))

    async def _apply(self, target: SceneTarget) -> dict[str, Any]:
        result: dict[str, Any] = {"device": target.device, "feature": target.feature}
        try:
            outcome = await self.registry.command(target.device, target.feature, target.value)
        except HubError as exc:
            return {**result, "status": str(CommandStatus.FAILED), "error": str(exc)}
        result["status"] = str(outcome.status)
        if outcome.error:
            result["error"] = outcome.error
        return result
