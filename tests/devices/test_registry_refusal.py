"""A command to a device the hub knows to be offline, or rejecting its token, is refused at
once and unsent, saying why and since when; the adapter is asked to try an offline device
again, and the device takes commands again as soon as it answers (issue 12.4)."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

import pytest

from hub.bus import CommandSent, DeviceOffline, EventBus, OfflineReasonChanged
from hub.devices.model import (
    Availability,
    AvailabilityProblem,
    CommandStatus,
    Device,
    Feature,
    FeatureKind,
)
from hub.devices.model import Protocol as DeviceProtocol
from hub.devices.registry import DeviceRegistry, Recheck
from hub.errors import DeviceAuthError, DeviceTimeout, DeviceUnavailable
from tests.devices.test_registry import LoopbackAdapter, purifier
from tests.waiting import until

SINCE = re.compile(r"since \d\d:\d\d:\d\d")


class RecheckingAdapter(LoopbackAdapter):
    """The loopback device, whose protocol layer can be asked to try a device again now."""

    def __init__(self, registry: DeviceRegistry) -> None:
        super().__init__(registry)
        self.rechecked: list[str] = []
        self.actions: list[str] = []

    def recheck(self, device: Device) -> None:
        self.rechecked.append(device.id)

    async def call_action(
        self, device: Device, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        self.actions.append(feature.id)
        return {}


def home(grace: float = 0) -> tuple[DeviceRegistry, RecheckingAdapter, list[Any]]:
    bus = EventBus()
    registry = DeviceRegistry(bus, offline_grace=grace, confirm_timeout=1)
    device = purifier()
    device.features["reset_filter"] = Feature("reset_filter", FeatureKind.ACTION, writable=True)
    registry.add(device)
    adapter = RecheckingAdapter(registry)
    assert isinstance(adapter, Recheck)
    registry.adapters[DeviceProtocol.MIIO] = adapter
    seen: list[Any] = []
    bus.subscribe(CommandSent, seen.append)
    bus.subscribe(DeviceOffline, seen.append)
    bus.subscribe(OfflineReasonChanged, seen.append)
    return registry, adapter, seen


async def test_an_offline_device_is_refused_unsent_and_tried_again() -> None:
    registry, adapter, seen = home()
    registry.set_availability("miio-1", True)
    registry.set_availability("miio-1", False, DeviceTimeout("10.0.0.5 stopped answering"))
    result = await registry.command("miio-1", "power", True)
    assert result.status is CommandStatus.FAILED
    assert isinstance(result.cause, DeviceUnavailable)
    assert result.error is not None
    assert result.error.startswith("offline since ")
    assert SINCE.search(result.error)
    assert "10.0.0.5 stopped answering" in result.error
    assert "nothing was sent" in result.error
    assert adapter.sent == []
    assert adapter.rechecked == ["miio-1"], "the protocol layer is asked to try it now"
    sent = [e for e in seen if isinstance(e, CommandSent)]
    assert [(e.status, e.error) for e in sent] == [("failed", result.error)]
    with pytest.raises(DeviceUnavailable, match="offline since"):
        await registry.call_action("miio-1", "reset_filter")
    assert adapter.actions == []
    assert seen[-1].status == "failed"
    assert "offline since" in seen[-1].error

    registry.set_availability("miio-1", True)  # it answered again
    result = await registry.command("miio-1", "power", True)
    assert result.status is CommandStatus.CONFIRMED
    assert adapter.sent == [("miio-1", "power", True)]
    registry.close()


async def test_a_rejected_token_is_refused_unsent_and_waits_for_a_person() -> None:
    registry, adapter, _ = home()
    registry.set_availability("miio-1", True)
    registry.set_availability("miio-1", False, DeviceAuthError("replied, not with our token"))
    device = registry.get("miio-1")
    assert device.availability_problem is AvailabilityProblem.TOKEN_REJECTED
    assert device.as_dict()["availability_problem"] == "token_rejected"
    result = await registry.command("miio-1", "power", True)
    assert isinstance(result.cause, DeviceAuthError)
    assert result.error is not None
    assert result.error.startswith("token rejected since ")
    assert adapter.sent == []
    assert adapter.rechecked == [], "a wrong token is not fixed by trying again"
    with pytest.raises(DeviceAuthError, match="token rejected since"):
        await registry.call_action("miio-1", "reset_filter")
    assert adapter.actions == []
    registry.close()


async def test_a_device_not_heard_from_yet_is_tried() -> None:
    registry, adapter, _ = home()
    assert registry.get("miio-1").availability is Availability.UNKNOWN
    result = await registry.command("miio-1", "level", 2)
    assert result.status is CommandStatus.CONFIRMED
    assert adapter.sent == [("miio-1", "level", 2)]


async def test_the_latest_reason_wins_and_an_outage_is_announced_once() -> None:
    registry, _, seen = home(grace=0.05)
    registry.set_availability("miio-1", True)
    registry.set_availability("miio-1", False, DeviceTimeout("no answer"))
    registry.set_availability("miio-1", False, DeviceAuthError("ignored 12 requests"))
    await until(lambda: registry.get("miio-1").availability is Availability.OFFLINE)
    device = registry.get("miio-1")
    assert (device.availability_reason, device.availability_problem) == (
        "ignored 12 requests", AvailabilityProblem.TOKEN_REJECTED,
    )  # fmt: skip

    since = device.availability_since
    registry.set_availability("miio-1", False, DeviceTimeout("no answer"))  # unplugged now
    assert device.availability_problem is AvailabilityProblem.NO_ANSWER
    assert device.availability_since == since, "the same outage"
    offline = [e for e in seen if isinstance(e, DeviceOffline)]
    assert [(e.reason, e.problem) for e in offline] == [("ignored 12 requests", "token_rejected")]
    changed = [e for e in seen if isinstance(e, OfflineReasonChanged)]
    assert [(e.reason, e.problem, e.at) for e in changed] == [("no answer", "no_answer", since)]

    registry.set_availability("miio-1", True)
    assert (device.availability_reason, device.availability_problem) == ("", None)
    assert device.availability_since is not None
    assert device.availability_since <= time.time()
    registry.close()
