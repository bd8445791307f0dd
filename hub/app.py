"""Hub: the composition root. It builds every part from the config and starts and stops
them in order: store, registry, protocol layers, automations, API.
"""

from __future__ import annotations

import logging
import time
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType

from hub.bus import EventBus
from hub.config import Config
from hub.devices.miio.runtime import MiioRuntime
from hub.devices.registry import DeviceRegistry
from hub.store import Store

_LOGGER = logging.getLogger(__name__)


class Hub:
    def __init__(self, config: Config, data_dir: Path | None = None) -> None:
        self.config = config
        self.data_dir = data_dir or config.hub.data_dir
        self.bus = EventBus()
        self.store = Store(self.data_dir / "mihub.db")
        self.registry = DeviceRegistry(self.bus, self.store)
        self.miio = MiioRuntime(config.miio, self.registry)
        self._stack = AsyncExitStack()
        self.started_at = 0.0

    async def start(self) -> None:
        began = time.perf_counter()
        await self._stack.__aenter__()
        await self.store.open()
        self._stack.push_async_callback(self.store.close)
        self._stack.callback(self.registry.close)
        known = await self.registry.load()
        _LOGGER.info("%d devices known from the store", known)
        await self.miio.start()
        self._stack.push_async_callback(self.miio.stop)
        self.started_at = time.time()
        _LOGGER.info("hub started in %.3f s", time.perf_counter() - began)

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
