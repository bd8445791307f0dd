"""Config changes without a restart: a SIGHUP or ``POST /api/system/reload``.

config.yaml is read again and validated whole (a broken file changes nothing and the error
names its line). What a running hub can take is applied, touching only what changed:

- scenes and automations of config.yaml: new ones installed, changed ones replaced (runs of
  the old definition cancelled), removed ones dropped; stored ones (made in the app) are not
  config.yaml's and stay as they are;
- ``miio.devices``: a new device is connected, one with a new token, model or picture URL is
  reconnected, a new name or room is applied to the device as it is; a device removed from the
  file stays known from the store (``mihub devices remove`` forgets it). Devices that did not
  change keep their connections, subscriptions and state.
- ``rooms``: the phone's list of rooms at once;
- ``mqtt`` (broker, credentials, prefix, Zigbee2MQTT, HA discovery, the bridge): the MQTT part
  alone disconnects and connects again as the new section says (or stops, or starts); miIO
  devices, automations and the API run on, and the MQTT devices come back with the broker's
  retained messages.

Every other change (api, history, hub, the rest of miio) is named in ``restart_needed`` and
takes effect at the next start.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from hub.config import Config, MiioDeviceConfig, load_config
from hub.devices.miio.runtime import configured_target

if TYPE_CHECKING:
    from hub.app import Hub

_LOGGER = logging.getLogger(__name__)
LIVE_MIIO = frozenset({"devices"})
LIVE = frozenset({"scenes", "automations", "miio", "rooms", "mqtt"})


@dataclass(slots=True)
class Changes:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


@dataclass(slots=True)
class ReloadReport:
    scenes: Changes
    automations: Changes
    devices: Changes
    restart_needed: list[str]
    rooms: Changes = field(default_factory=Changes)
    mqtt: str = "unchanged"
    """unchanged, reconnected (a new broker, credentials or settings), started or stopped."""

    def as_dict(self) -> dict[str, Any]:
        sections = {"scenes": self.scenes, "automations": self.automations,
                    "devices": self.devices, "rooms": self.rooms}  # fmt: skip
        return {
            **{name: {"added": c.added, "changed": c.changed, "removed": c.removed,
                      "unchanged": c.unchanged} for name, c in sections.items()},
            "mqtt": self.mqtt,
            "restart_needed": self.restart_needed,
        }  # fmt: skip

    def summary(self) -> str:
        parts = [
            f"{name} +{len(c.added)} ~{len(c.changed)} -{len(c.removed)}"
            for name, c in (("scenes", self.scenes), ("automations", self.automations),
                            ("devices", self.devices), ("rooms", self.rooms))
        ]  # fmt: skip
        if self.mqtt != "unchanged":
            parts.append(f"mqtt {self.mqtt}")
        if self.restart_needed:
            parts.append(f"needs a restart: {', '.join(self.restart_needed)}")
        return "config reloaded: " + ", ".join(parts)


def _diff(old: dict[str, Any], new: dict[str, Any]) -> Changes:
    return Changes(
        added=[key for key in new if key not in old],
        changed=[key for key in new if key in old and old[key] != new[key]],
        removed=[key for key in old if key not in new],
        unchanged=sum(1 for key in new if key in old and old[key] == new[key]),
    )


class ConfigReloader:
    def __init__(self, hub: Hub, path: Path) -> None:
        self.hub = hub
        self.path = path
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    async def reload(self) -> ReloadReport:
        """Apply config.yaml's changes; ConfigError (nothing applied) when it does not load."""
        async with self._lock:
            new = await asyncio.to_thread(load_config, self.path)
            old = self.hub.config
            restart = _differing(old, new, LIVE)
            restart += [f"miio.{name}" for name in _differing(old.miio, new.miio, LIVE_MIIO)]
            report = ReloadReport(
                await self._scenes(old, new), await self._automations(old, new),
                await self._devices(old, new), restart,
                rooms=_diff({r: r for r in old.rooms}, {r: r for r in new.rooms}),
            )  # fmt: skip
            # what runs now: the live parts new, the rest as started until the next start
            applied: dict[str, Any] = {name: getattr(new, name) for name in LIVE}
            applied["miio"] = old.miio.model_copy(update={"devices": new.miio.devices})
            self.hub.config = old.model_copy(update=applied)
            self.hub.miio.config = self.hub.config.miio
            if self.hub.api_context is not None:
                self.hub.api_context.rooms = list(new.rooms)
            if old.mqtt != new.mqtt:
                report.mqtt = _mqtt_change(old, new)
                await self.hub.restart_mqtt()
        _LOGGER.info("%s", report.summary())
        return report

    def reload_soon(self) -> None:
        """For the SIGHUP handler: reload in the background, logging what came of it."""
        task = asyncio.get_running_loop().create_task(self._logged(), name="config-reload")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _logged(self) -> None:
        from hub.errors import HubError

        try:
            await self.reload()
        except HubError as exc:  # a broken file: the hub runs on as it was
            _LOGGER.error("config not reloaded, nothing changed: %s", exc)

    async def _scenes(self, old: Config, new: Config) -> Changes:
        before = {s.id: s for s in old.scenes}
        after = {s.id: s for s in new.scenes}
        changes = _diff(before, after)
        scenes = self.hub.scenes
        for scene_id in changes.removed:
            scenes.remove_configured(scene_id)
        scenes.add_configured([after[i] for i in changes.added + changes.changed])
        return changes

    async def _automations(self, old: Config, new: Config) -> Changes:
        before = {a.id: a for a in old.automations}
        after = {a.id: a for a in new.automations}
        changes = _diff(before, after)
        engine = self.hub.engine
        if engine is None:
            return changes
        for automation_id in changes.removed:
            await engine.remove_configured(automation_id)
        for automation_id in changes.added + changes.changed:
            await engine.install_configured(after[automation_id])
        return changes

    async def _devices(self, old: Config, new: Config) -> Changes:
        before = {_label(d): d for d in old.miio.devices}
        after = {_label(d): d for d in new.miio.devices}
        changes = _diff(before, after)
        runtime, registry = self.hub.miio, self.hub.registry
        for label in changes.added + changes.changed:
            device, was = after[label], before.get(label)
            link = (device.token, device.model, device.snapshot_url)
            if was is None or link != (was.token, was.model, was.snapshot_url):
                if device.token:
                    await runtime.add(configured_target(device, device.token))
                continue
            connection = runtime.connections.get((device.host, device.port))
            if connection is None:
                continue
            connection.target = replace(connection.target, name=device.name, room=device.room)
            if connection.device is not None:
                await registry.rename(connection.device.id, device.name, device.room or "")
        return changes


def _mqtt_change(old: Config, new: Config) -> str:
    if old.mqtt is None:
        return "started"
    return "stopped" if new.mqtt is None else "reconnected"


def _differing(old: BaseModel, new: BaseModel, live: frozenset[str]) -> list[str]:
    return [name for name in type(new).model_fields
            if name not in live and getattr(old, name) != getattr(new, name)]  # fmt: skip


def _label(device: MiioDeviceConfig) -> str:
    """A configured device is known by its address (its name may be what changed)."""
    return device.host if device.port == 54321 else f"{device.host}:{device.port}"
