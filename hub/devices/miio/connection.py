"""One miIO device, from first hello to last poll: the one owner of its lifecycle.

A :class:`MiioConnection` has an explicit :class:`ConnectionState` and one
:class:`~hub.backoff.Backoff`. The runtime's one :class:`PollScheduler` runs its ``cycle()``:
onboard (``miIO.info`` -> model -> dialect -> Features), then poll; offer ``miIO.sub`` once
online and renew it at a third of its life; after a reboot (the session's one reboot
listener, added here once) subscribe again. A failure backs off; discovery (or a push) wakes
it early. It polls adaptively: every ``fast`` seconds just after a command or a change,
backing off towards ``slow`` while the device stays still; a pushing device is polled only
as a safety net.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hub.backoff import Backoff
from hub.bus import DeviceEvent
from hub.devices.miio.catalog import profile
from hub.devices.miio.dialects.dialect import Dialect
from hub.devices.miio.features import SNAPSHOT
from hub.devices.miio.poller import PollScheduler
from hub.devices.miio.wire.session import MiioSession
from hub.devices.model import Device, Feature, Protocol, Value
from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceAuthError, DeviceError, DeviceTimeout, HubError, InvalidValue

_LOGGER = logging.getLogger(__name__)

MANUFACTURERS = {
    "zhimi": "Xiaomi (Zhimi)",
    "yeelink": "Yeelight",
    "chuangmi": "Xiaomi (Chuangmi)",
    "philips": "Philips (Xiaomi)",
    "lumi": "Aqara",
}


class ConnectionState(StrEnum):
    ONBOARDING = "onboarding"
    PUSHING = "online, pushing"
    POLLING = "online, polling"
    WRONG_TOKEN = "wrong token"  # noqa: S105 - a state, not a secret
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a device is and how the user wants it named; the token never leaves the hub."""

    host: str
    token: str = field(repr=False)
    port: int = 54321
    name: str | None = None
    room: str | None = None
    model: str | None = None
    snapshot_url: str | None = None


@dataclass(frozen=True, slots=True)
class Timing:
    fast: float = 2.0
    slow: float = 30.0
    expire: int = 300
    """Seconds a ``miIO.sub`` lasts; renewed at a third of it."""
    retry: float = 1.0
    """First wait after a failure; doubles (jittered) up to ``retry_cap``."""
    retry_cap: float = 60.0
    wrong_token_retry: float = 300.0
    """A wrong token needs a person: try it again rarely (a re-pairing is reported at once)."""


class MiioConnection:
    def __init__(
        self,
        target: Target,
        session: MiioSession,
        registry: DeviceRegistry,
        scheduler: PollScheduler,
        timing: Timing | None = None,
    ) -> None:
        self.name = f"miio-{target.host}"
        self.target = target
        self.session = session
        self.registry = registry
        self.scheduler = scheduler
        self.timing = timing = timing or Timing()
        self.state = ConnectionState.ONBOARDING
        self.device: Device | None = None
        self.dialect: Dialect | None = None
        self.backoff = Backoff(timing.retry, max(timing.retry, timing.retry_cap))
        self.interval = timing.fast
        self.subscriptions = 0
        """``miIO.sub`` requests sent (renewals and re-subscriptions included)."""
        self._pushes = False  # the device accepted miIO.sub (until it refuses or reboots)
        self._renew_at = math.inf
        self._reported = ""
        session.on_request = self._on_push
        self._remove_listener = session.add_reboot_listener(self._on_reboot)

    def __repr__(self) -> str:
        return f"MiioConnection({self.target.host}, {self.state})"

    @property
    def online(self) -> bool:
        return self.state in (ConnectionState.PUSHING, ConnectionState.POLLING)

    def start(self) -> None:
        self.scheduler.add(self, 0)

    def wake(self) -> None:
        """Try now (discovery saw the device, or it pushed while we thought it gone)."""
        self.scheduler.hurry(self)

    async def stop(self) -> None:
        await self.scheduler.remove(self)
        self._remove_listener()
        if self.session.on_request == self._on_push:
            self.session.on_request = None

    # ---- the cycle ----------------------------------------------------------------------

    async def cycle(self) -> float:
        """Onboard or poll once (and subscribe when due); the seconds until the next cycle."""
        try:
            if self.dialect is None:
                changed = await self._onboard()
            else:
                changed = await self._poll()
            if self.dialect is not None and time.monotonic() >= self._renew_at:
                await self._subscribe()
        except DeviceAuthError as exc:
            delay = max(self.backoff.next_delay(), self.timing.wrong_token_retry)
            return self._failed(ConnectionState.WRONG_TOKEN, exc, delay, logging.WARNING)
        except DeviceTimeout as exc:
            return self._failed(ConnectionState.OFFLINE, exc, self.backoff.next_delay())
        except HubError as exc:  # it answers, in replies the hub cannot use (or an odd model)
            return self._failed(
                ConnectionState.OFFLINE, exc, self.backoff.next_delay(), logging.WARNING
            )
        self.backoff.reset()
        self._set_state(ConnectionState.PUSHING if self._pushes else ConnectionState.POLLING)
        if changed:
            self.interval = self.timing.fast
        else:
            # A pushing device is still read now and then: a keepalive that also
            # notices a reboot (its clock restarts) and any push that went missing.
            ceiling = self.timing.slow * (2 if self._pushes else 1)
            self.interval = min(self.interval * 2, ceiling)
        return self.interval

    async def _onboard(self) -> int:
        target, session = self.target, self.session
        info = await session.info()
        model = target.model or str(info.get("model", ""))
        found = profile(model)
        dialect = found.new_dialect()
        device_id = f"miio-{session.device_id}"
        known = self.registry.devices.get(device_id)
        endpoint: dict[str, Any] = {
            "host": target.host, "port": target.port, "did": session.device_id,
            "fw_ver": info.get("fw_ver"), "dialect": found.dialect,
        }  # fmt: skip
        features = dict(dialect.features)
        if target.snapshot_url:
            endpoint["snapshot_url"] = target.snapshot_url
            features[SNAPSHOT.id] = SNAPSHOT
        device = self.registry.add(
            Device(
                id=device_id,
                name=target.name or (known.name if known else found.description or model),
                model=model,
                protocol=Protocol.MIIO,
                manufacturer=MANUFACTURERS.get(model.split(".")[0], model.split(".")[0]),
                room=target.room if target.room is not None else (known.room if known else None),
                features=features,
                endpoint=endpoint,
            )
        )
        await self.registry.set_secret(device_id, "token", target.token)
        self.device, self.dialect = device, dialect
        changed = await self._poll()
        if dialect.subscribes:
            self._renew_at = 0.0  # offer miIO.sub in this cycle
        _LOGGER.info("%s (%s, %s) at %s is online", device.name, model, found.dialect, target.host)
        return changed or 1

    async def _poll(self, feature_ids: list[str] | None = None) -> int:
        dialect, device = self._ready()
        values = await dialect.read(self.session, feature_ids)
        self.registry.set_availability(device.id, True)
        return self.registry.update(device.id, values) if values else 0

    async def _subscribe(self) -> None:
        """Offer (or renew) ``miIO.sub``; a refusal means polling, not a failure."""
        self.subscriptions += 1
        expire = self.timing.expire
        try:
            await self.session.send("miIO.sub", {"expire": expire})
        except DeviceTimeout as exc:  # silent to it: try again later, poll meanwhile
            _LOGGER.info("%s: miIO.sub got no answer (%s); polling it", self.target.host, exc)
            self._pushes, self._renew_at = False, time.monotonic() + expire / 6
            return
        except DeviceError as exc:
            _LOGGER.info("%s does not push (%s); polling it", self.target.host, exc)
            self._pushes, self._renew_at = False, math.inf
            return
        self._pushes, self._renew_at = True, time.monotonic() + expire / 3

    def _failed(
        self, state: ConnectionState, exc: HubError, delay: float, level: int = logging.INFO
    ) -> float:
        # (not onboarded since the start, it may still be known: its token changed meanwhile)
        device = self.device or self.registry.devices.get(f"miio-{self.session.device_id}")
        if device is not None:
            self.registry.set_availability(device.id, False, exc)
        kind = f"{state}: {type(exc).__name__}"
        if kind != self._reported:  # once per kind of failure, not on every retry
            self._reported = kind
            where = device.name if device else self.target.host
            _LOGGER.log(level, "%s: %s; trying again in %.3g s", where, exc, delay)
        self._set_state(state)
        self.interval = self.timing.fast
        return delay

    def _set_state(self, state: ConnectionState) -> None:
        if state is not self.state:
            _LOGGER.debug("%s: %s -> %s", self.target.host, self.state, state)
            self.state = state
            if self.online:
                self._reported = ""

    # ---- what the device tells us unasked -----------------------------------------------

    def _on_reboot(self, session: MiioSession) -> None:
        """A rebooted device forgot its subscribers: subscribe again, and read it afresh."""
        if self._pushes or self._renew_at < math.inf:
            _LOGGER.info("%s rebooted; subscribing again", self.target.host)
            self._pushes, self._renew_at = False, 0.0
        self.interval = self.timing.fast
        self.wake()

    def _on_push(self, session: MiioSession, payload: dict[str, Any]) -> None:
        """A push, already acknowledged and de-duplicated by the session."""
        if self.dialect is None or self.device is None:
            return
        pushed = self.dialect.pushed(payload)
        device_id = self.device.id
        self.registry.set_availability(device_id, True)
        for event, data in pushed.events:
            self.registry.bus.publish(DeviceEvent(device_id, event, data))
        if (pushed.values and self.registry.update(device_id, pushed.values)) or not self.online:
            self.interval = self.timing.fast
            self.wake()

    # ---- commands -----------------------------------------------------------------------

    def _ready(self) -> tuple[Dialect, Device]:
        if self.dialect is None or self.device is None:
            raise DeviceError(f"{self.target.host} is not connected yet ({self.state})")
        return self.dialect, self.device

    async def set_value(self, feature: Feature, value: Value) -> None:
        dialect, _ = self._ready()
        if feature.id not in dialect.features:
            raise InvalidValue(f"feature '{feature.id}' cannot be set on {self.name}")
        await dialect.write(self.session, feature, value)
        if feature.readable:
            try:
                await self._poll([feature.id])
            except DeviceError:
                _LOGGER.debug("%s: read-back after a command failed", self.target.host)
        self.interval = self.timing.fast
        self.wake()

    async def call_action(self, feature: Feature, args: Mapping[str, Any]) -> dict[str, Any]:
        result = await self._ready()[0].act(self.session, feature, args)
        self.interval = self.timing.fast
        self.wake()
        return result
