"""Scenes: named target values across devices, tapped to run.

Activating a scene sets its devices in parallel (16 at a time); each device's targets go in
the order the scene lists them (a lamp's power before its brightness), and each device
reports one result:
confirmed (the device's own report agreed), acknowledged (it accepted, no report yet),
failed (with the reason), or offline (its remaining targets are not sent).

Scenes from config.yaml (:meth:`SceneManager.add_configured`) are read-only over the API;
the others live in the store's "scenes" collection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel

from hub.bus import Origin
from hub.devices.model import Availability, CommandStatus, FeatureKind
from hub.devices.registry import DeviceRegistry
from hub.errors import HubError, InvalidValue, NotFound
from hub.scenes.fields import Scalar
from hub.scenes.model import (
    DuplicateId,
    InvalidDefinition,
    Scene,
    SceneSnapshot,
    SceneTarget,
    parse_scene,
    slug_id,
)
from hub.scenes.references import load_level, scene_problems
from hub.store import Store

_LOGGER = logging.getLogger(__name__)
COLLECTION = "scenes"
CONCURRENCY = 16
"""Devices of one scene being set at the same time."""
Status = Literal["confirmed", "acknowledged", "failed", "offline"]


class TargetResult(BaseModel):
    feature: str
    value: Scalar
    status: Status
    error: str | None = None


class DeviceResult(BaseModel):
    device: str
    status: Status
    """The worst of its targets: offline, failed, acknowledged, confirmed."""
    error: str | None = None
    features: list[TargetResult]


class SceneResult(BaseModel):
    scene: str
    ok: bool
    """Every device confirmed or acknowledged."""
    devices: list[DeviceResult]


_RANK: dict[str, int] = {"confirmed": 0, "acknowledged": 1, "failed": 2, "offline": 3}


class SceneManager:
    def __init__(self, registry: DeviceRegistry, store: Store | None = None) -> None:
        self.registry = registry
        self.store = store
        self.scenes: dict[str, Scene] = {}
        self.configured: set[str] = set()
        self._loaded = False

    async def load(self) -> None:
        """Read the stored scenes, once (configured ones win on the same id)."""
        if self._loaded:
            return
        self._loaded = True
        if self.store is not None:
            for key, doc in (await self.store.all(COLLECTION)).items():
                if key in self.configured:
                    continue
                try:
                    self.scenes[key] = parse_scene(doc, "stored scene")
                except InvalidDefinition as exc:  # never a reason not to start
                    _LOGGER.error("skipping stored scene %s: %s", key, exc)

    def add_configured(
        self, scenes: Sequence[Scene | Mapping[str, Any]], where: str = "scenes"
    ) -> None:
        """The scenes of config.yaml: validated (errors name the scene and the field)."""
        for number, data in enumerate(scenes):
            scene = parse_scene(data, f"{where}[{number}]")
            self.scenes[scene.id] = scene
            self.configured.add(scene.id)
            for problem in scene_problems(scene, self.registry):
                _LOGGER.log(load_level(problem), "scene %s: %s", scene.id, problem)

    def remove_configured(self, scene_id: str) -> None:
        """A config.yaml scene that a reload no longer finds there."""
        if scene_id in self.configured:
            self.configured.discard(scene_id)
            self.scenes.pop(scene_id, None)

    # ---- the API's calls -----------------------------------------------------------------

    def all(self) -> list[Scene]:
        return list(self.scenes.values())

    def get(self, scene_id: str) -> Scene:
        try:
            return self.scenes[scene_id]
        except KeyError:
            raise NotFound(f"no scene '{scene_id}'") from None

    async def create(self, data: Mapping[str, Any] | Scene) -> Scene:
        """A new scene; without an id, one is made from its name. Raises DuplicateId."""
        if not isinstance(data, Scene):
            body = dict(data)
            if not body.get("id"):
                body["id"] = slug_id(str(body.get("name") or ""), "scene")
            data = parse_scene(body)
        if data.id in self.scenes:
            raise DuplicateId(f"a scene '{data.id}' exists already", data.id)
        return await self.save(data)

    async def update(self, scene_id: str, data: Mapping[str, Any] | Scene) -> Scene:
        """Replace a scene's name and targets (the id stays)."""
        self._editable(scene_id)
        if not isinstance(data, Scene):
            data = parse_scene({**data, "id": scene_id})
        elif data.id != scene_id:
            raise InvalidValue(f"scene id '{data.id}' does not match '{scene_id}'")
        return await self.save(data)

    async def delete(self, scene_id: str) -> None:
        self._editable(scene_id)
        del self.scenes[scene_id]
        if self.store is not None:
            await self.store.delete(COLLECTION, scene_id)

    async def snapshot(self, request: SceneSnapshot | Mapping[str, Any]) -> Scene:
        """A new scene holding the current values of the chosen devices' writable features."""
        if not isinstance(request, SceneSnapshot):
            request = SceneSnapshot.model_validate(request)
        targets = []
        for device_id in request.devices:
            device = self.registry.get(device_id)
            for feature in device.features.values():
                if request.features is not None and feature.id not in request.features:
                    continue
                value = device.value(feature.id)
                settable = feature.writable and feature.kind is not FeatureKind.ACTION
                if settable and value is not None:
                    targets.append(SceneTarget(device=device_id, feature=feature.id, value=value))
        if not targets:
            raise InvalidValue(f"the devices {request.devices} have no settable values to keep")
        scene_id = request.id or slug_id(request.name, "scene")
        return await self.create(Scene(id=scene_id, name=request.name, targets=targets))

    async def activate(self, scene_id: str) -> SceneResult:
        """Set every device of the scene, in parallel; one result per device."""
        scene = self.get(scene_id)
        per_device: dict[str, list[SceneTarget]] = {}
        for target in scene.targets:
            per_device.setdefault(target.device, []).append(target)
        devices = await self._apply_all(list(per_device.items()))
        failed = [d for d in devices if d.status not in ("confirmed", "acknowledged")]
        if failed:
            reasons = "; ".join(f"{d.device}: {d.error or d.status}" for d in failed)
            _LOGGER.warning("scene '%s' failed for %d of %d devices: %s",
                            scene_id, len(failed), len(devices), reasons)  # fmt: skip
        return SceneResult(scene=scene_id, ok=not failed, devices=devices)

    # ---- inside ---------------------------------------------------------------------------

    async def save(self, scene: Scene) -> Scene:
        """Create or replace (persisted)."""
        self.scenes[scene.id] = scene
        if self.store is not None:
            await self.store.put(COLLECTION, scene.id, scene.model_dump(mode="json"))
        return scene

    def _editable(self, scene_id: str) -> None:
        self.get(scene_id)
        if scene_id in self.configured:
            raise InvalidValue(f"scene '{scene_id}' is defined in config.yaml; edit it there")

    async def _apply_all(self, work: list[tuple[str, list[SceneTarget]]]) -> list[DeviceResult]:
        """Devices in parallel, at most :data:`CONCURRENCY` at a time, each worker giving the
        loop a turn between devices (a command may finish without ever waiting)."""
        results: list[DeviceResult | None] = [None] * len(work)
        queue = iter(enumerate(work))

        async def worker() -> None:
            for number, (device_id, targets) in queue:
                results[number] = await self._apply(device_id, targets)
                await asyncio.sleep(0)

        workers = min(CONCURRENCY, len(work))
        await asyncio.gather(*(worker() for _ in range(workers)))
        return [result for result in results if result is not None]

    async def _apply(self, reference: str, targets: list[SceneTarget]) -> DeviceResult:
        """``reference`` names the device (id, 'Room/Name' or a unique name)."""
        try:
            device_id = self.registry.resolve(reference).id
        except NotFound as exc:
            features = [self._result(t, "failed", str(exc)) for t in targets]
            return DeviceResult(device=reference, status="failed", error=str(exc),
                                features=features)  # fmt: skip
        results: list[TargetResult] = []
        offline: str | None = None
        for target in targets:
            if offline is not None:
                results.append(self._result(target, "offline", offline))
                continue
            try:
                outcome = await self.registry.command(
                    device_id, target.feature, target.value, origin=Origin.SCENE
                )
            except HubError as exc:
                results.append(self._result(target, "failed", str(exc)))
                continue
            if outcome.status is not CommandStatus.FAILED:
                results.append(self._result(target, str(outcome.status)))  # type: ignore[arg-type]
            elif self._offline(device_id, outcome.error):
                offline = outcome.error or "device offline"
                results.append(self._result(target, "offline", offline))
            else:
                results.append(self._result(target, "failed", outcome.error or "failed"))
        worst = max(results, key=lambda r: _RANK[r.status])
        return DeviceResult(
            device=device_id, status=worst.status, error=worst.error, features=results
        )

    def _offline(self, device_id: str, error: str | None) -> bool:
        device = self.registry.devices.get(device_id)
        if device is not None and device.availability is Availability.OFFLINE:
            return True
        return bool(error and error.startswith("device offline"))

    @staticmethod
    def _result(target: SceneTarget, status: Status, error: str | None = None) -> TargetResult:
        return TargetResult(feature=target.feature, value=target.value, status=status, error=error)
