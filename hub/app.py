"""Hub: the composition root. It builds every part from the config and starts and stops
them in order: store, registry, protocol layers, automations, API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import sqlite3
import time
from collections.abc import Callable
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from hub.api.auth import TokenAuth
from hub.bus import EventBus
from hub.config import Config, HistorySection, MqttSection
from hub.devices.miio.runtime import MiioRuntime
from hub.devices.registry import DeviceRegistry
from hub.errors import HubError, StoreError
from hub.reload import ConfigReloader
from hub.scenes.engine import AutomationEngine
from hub.scenes.scenes import SceneManager
from hub.scenes.schedule import Location
from hub.store import Store

if TYPE_CHECKING:
    from hub.api.context import ApiContext
    from hub.devices.mqtt.bridge import MqttBridge
    from hub.devices.mqtt.connection import MqttConnection
    from hub.habits.service import HabitService
    from hub.history import HistoryRecorder
    from hub.onboarding.provision import Provisioned

_LOGGER = logging.getLogger(__name__)

RECHECK_AFTER = 30.0
"""Seconds after start when devices that scenes and automations name, and that the hub has
still not seen, are warned of (at start they are only said at INFO: discovery takes time)."""


class Hub:
    def __init__(
        self, config: Config, data_dir: Path | None = None, *, config_path: Path | None = None
    ) -> None:
        self.config = config
        self.reloader = ConfigReloader(self, config_path) if config_path is not None else None
        """Applies config.yaml's changes on SIGHUP or POST /api/system/reload (hub.reload)."""
        self.data_dir = data_dir or config.hub.data_dir
        self.bus = EventBus()
        self.store = Store(self.data_dir / "mihub.db")
        self.registry = DeviceRegistry(self.bus, self.store)
        self.miio = MiioRuntime(config.miio, self.registry)
        self.mqtt: MqttConnection | None = None
        self._mqtt_parts: AsyncExitStack | None = None
        """The connection, its adapters and the bridge: stopped and started alone on reload."""
        self.api_context: ApiContext | None = None
        self.history: HistoryRecorder | None = None
        self.habits: HabitService | None = None
        self.scenes = SceneManager(self.registry, self.store)
        self.engine: AutomationEngine | None = None
        self._watched: dict[str, Callable[[], None]] = {}
        self._topics: set[str] = set()
        """The topic filters automations listen on, watched on whichever connection runs."""
        self.auth = TokenAuth(self.store)
        self.api_url = ""
        self.recheck_after = RECHECK_AFTER
        self._stack = AsyncExitStack()
        self.started_at = 0.0

    async def start(self) -> None:
        """Start every part, or stop those already started and raise a :class:`HubError`
        whose message names what failed (the store's path, the address, the automations)."""
        began = time.perf_counter()
        await self._stack.__aenter__()
        try:
            await self._start_parts()
        except BaseException:
            await self._stack.aclose()
            raise
        self.started_at = time.time()
        _LOGGER.info("hub started in %.3f s", time.perf_counter() - began)

    async def _start_parts(self) -> None:
        try:
            await self.store.open()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the store {self.store.path}: {exc}") from exc
        self._stack.push_async_callback(self.store.close)
        self._stack.callback(self.registry.close)
        known = await self.registry.load()
        _LOGGER.info("%d devices known from the store", known)
        if self.config.history.enabled:
            await self._start_history(self.config.history)
        miio = self.config.miio
        try:
            await self.miio.start()
        except OSError as exc:
            where = f"{miio.bind}:{miio.port}"
            raise HubError(f"cannot open the miIO socket on {where}: {_reason(exc)}") from exc
        self._stack.push_async_callback(self.miio.stop)
        self._stack.push_async_callback(self._stop_mqtt)
        if self.config.mqtt is not None:
            await self._start_mqtt(self.config.mqtt)
        self._forget_peers()
        try:
            await self._start_automations()
        except HubError:
            raise
        except Exception as exc:
            raise HubError(f"cannot start the scenes and automations: {exc}") from exc
        if self.history is not None and self.engine is not None and self.config.habits.enabled:
            await self._start_habits(self.history, self.engine)
        api = self.config.api
        try:
            await self._start_api()
        except OSError as exc:
            where = f"{api.host}:{api.port}"
            raise HubError(f"cannot listen for the API on {where}: {_reason(exc)}") from exc

    async def _start_history(self, section: HistorySection) -> None:
        from hub.history import HistoryRecorder, Retention, history_backend

        db = history_backend(section.url, self.data_dir, self.config.hub.id)
        self.history = HistoryRecorder(
            self.bus,
            db,
            commit_interval=section.commit_interval,
            batch_rows=section.batch_rows,
            retention=Retention(section.raw_days, section.statistics_days),
        )
        try:
            await self.history.start()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the history database {db.where}: {exc}") from exc
        self._stack.push_async_callback(self.history.stop)

    async def _start_mqtt(self, section: MqttSection) -> None:
        from hub.devices.mqtt.connection import MqttConnection
        from hub.devices.mqtt.ha_discovery import HaDiscoveryAdapter
        from hub.devices.mqtt.zigbee2mqtt import Zigbee2MqttAdapter

        self._mqtt_parts = parts = AsyncExitStack()
        self.mqtt = MqttConnection(
            section.url,
            hub_id=self.config.hub.id,
            prefix=self.config.mqtt_prefix,
            username=section.username,
            password=section.password,
            bus=self.bus,
        )
        await parts.enter_async_context(self.mqtt)
        if section.zigbee2mqtt.enabled:
            adapter = Zigbee2MqttAdapter(self.mqtt, self.registry, section.zigbee2mqtt.base_topic)
            await parts.enter_async_context(adapter)
        if section.homeassistant.enabled:
            discovery = HaDiscoveryAdapter(self.mqtt, self.registry, section.homeassistant.prefix)
            await parts.enter_async_context(discovery)
        if section.export.devices != "none":
            await parts.enter_async_context(self._bridge(self.mqtt, section))
        if section.peers:
            from hub.devices.mqtt.peers import PeerImport

            peers = PeerImport(self.mqtt, self.registry, section.peers, section.peer_timeout)
            await parts.enter_async_context(peers)
        for topic in self._topics:
            self._watched[topic] = self.mqtt.watch(topic)

    async def _stop_mqtt(self) -> None:
        parts, self._mqtt_parts = self._mqtt_parts, None
        self._watched.clear()  # the subscriptions end with their connection
        self.mqtt = None
        if parts is not None:
            await parts.aclose()

    async def restart_mqtt(self) -> None:
        """config.yaml's mqtt section changed (broker, credentials, adapters, bridge): the MQTT
        part stops and starts again as ``self.config`` now says; nothing else restarts."""
        await self._stop_mqtt()
        if self.config.mqtt is not None:
            try:
                await self._start_mqtt(self.config.mqtt)
            except BaseException:
                await self._stop_mqtt()
                raise
        self._forget_peers()
        if self.engine is not None:
            self.engine.publish = self.mqtt.publish if self.mqtt is not None else None

    def _forget_peers(self) -> None:
        """Devices stored from hubs mqtt.peers no longer imports go (it changed, or MQTT is off)."""
        from hub.devices.model import Protocol

        if any(d.protocol is Protocol.PEER for d in self.registry.devices.values()):
            from hub.devices.mqtt.peers import forget_unimported

            section = self.config.mqtt
            forget_unimported(self.registry, section.peers if section is not None else False)

    def _bridge(self, mqtt: MqttConnection, section: MqttSection) -> MqttBridge:
        from hub import __version__
        from hub.devices.miio.snapshot import SnapshotFetcher
        from hub.devices.mqtt.bridge import MqttBridge
        from hub.devices.mqtt.bridge_discovery import BridgeTopics

        ha_prefix, export = section.homeassistant.prefix, section.export
        topics = BridgeTopics(self.config.hub.id, mqtt.prefix, ha_prefix, __version__)
        snapshots = SnapshotFetcher(self.registry)
        self._stack.push_async_callback(snapshots.close)
        return MqttBridge(mqtt, self.registry, topics, export.devices, export.discovery,
                          export.coalesce, snapshots, export.images)  # fmt: skip

    async def _start_automations(self) -> None:
        location = self.config.hub.location
        self.engine = AutomationEngine(
            self.registry,
            self.bus,
            self.store,
            scenes=self.scenes,
            publish=self.mqtt.publish if self.mqtt is not None else None,
            location=Location(location.latitude, location.longitude, location.timezone),
        )
        self.engine.on_topics = self._watch_topics
        await self.scenes.load()
        self.scenes.add_configured(self.config.scenes)
        await self.engine.start(self.config.automations)
        self._stack.push_async_callback(self.engine.stop)
        recheck = asyncio.create_task(self._recheck_references(), name="recheck-references")
        self._stack.push_async_callback(_cancel, recheck)

    async def _recheck_references(self) -> None:
        """Devices named by config.yaml's scenes and automations but not seen at start were
        said at INFO; once discovery and onboarding have had their time, WARN of the rest."""
        from hub.scenes.references import still_unseen

        await asyncio.sleep(self.recheck_after)
        for line in still_unseen(self.config.scenes, self.config.automations, self.registry):
            unseen = line.removesuffix(" (not seen yet)")
            _LOGGER.warning("%s, still not seen %g s after start", unseen, self.recheck_after)

    async def _start_habits(self, history: HistoryRecorder, engine: AutomationEngine) -> None:
        from zoneinfo import ZoneInfo

        from hub.habits.service import HabitService, HabitSettings
        from hub.history.queries import HistoryReader

        section = self.config.habits
        window = min(section.window_days, math.ceil(self.config.history.raw_days))  # all kept
        self.habits = HabitService(
            HistoryReader(history.db), self.registry, self.store,
            lambda: [a.model_dump(mode="json") for a in engine.all()],
            tz=ZoneInfo(self.config.hub.location.timezone),
            settings=HabitSettings(section.every_hours * 3600, section.first_after,
                                   window, snooze_days=section.snooze_days),
        )  # fmt: skip
        await self.habits.start()
        self._stack.push_async_callback(self.habits.stop)

    async def _start_api(self) -> None:
        from aiohttp import web

        from hub import __version__
        from hub.api.app import create_app
        from hub.api.context import ApiContext
        from hub.devices.miio.snapshot import SnapshotFetcher

        snapshots = SnapshotFetcher(self.registry)
        self._stack.push_async_callback(snapshots.close)
        context = ApiContext(
            self.registry, self.bus, self.auth, self.scenes, self.engine, snapshots,
            rooms=self.config.rooms, version=__version__, cors_origins=self.config.api.cors_origins,
        )  # fmt: skip
        self.api_context = context
        if self.reloader is not None:
            context.reload = self.reloader.reload
        context.provision = self._provision
        context.token_problems, context.use_token = self.miio.token_problems, self.miio.use_token
        if self.history is not None:
            from zoneinfo import ZoneInfo

            from hub.history.queries import HistoryReader

            tz = ZoneInfo(self.config.hub.location.timezone)
            context.history = HistoryReader(self.history.db, tz=tz)
        context.habits = self.habits
        runner = web.AppRunner(create_app(context), access_log=None)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, self.config.api.host, self.config.api.port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []
        port = sockets[0].getsockname()[1] if sockets else self.config.api.port
        self.api_url = f"http://{self.config.api.host}:{port}/"
        _LOGGER.info("the phone page and API are at %s", self.api_url)

    async def _provision(self, host: str, ssid: str, password: str, uid: int) -> Provisioned:
        from hub.onboarding.provision import onboard

        return await onboard(self.registry, host, ssid, password, uid=uid)

    def _watch_topics(self, filters: set[str]) -> None:
        """Subscribe the MQTT connection to exactly the topics automations listen on."""
        self._topics = set(filters)
        if self.mqtt is None:
            return
        for topic in set(self._watched) - filters:
            self._watched.pop(topic)()
        for topic in filters - set(self._watched):
            self._watched[topic] = self.mqtt.watch(topic)

    async def stop(self) -> None:
        await self._stack.aclose()

    async def __aenter__(self) -> Hub:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _reason(exc: OSError) -> str:
    """``address already in use`` rather than ``[Errno 98] error while attempting to bind...``."""
    return os.strerror(exc.errno).lower() if exc.errno else str(exc)
