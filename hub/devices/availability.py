"""Whether a device can be used now: online or offline with a flap guard, why and since when.

A device is announced offline only after ``grace`` seconds without coming back, so a lost
poll or two announces nothing. An offline device says why (``availability_reason``) and
which kind of problem it is (``availability_problem``): no answer, or a token it rejects.
:func:`refusal` turns that into the error a command gets at once, unsent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from hub.bus import DeviceOffline, DeviceOnline, EventBus, OfflineReasonChanged
from hub.devices.model import Availability, AvailabilityProblem, Device
from hub.errors import DeviceAuthError, DeviceError, DeviceUnavailable, HubError

_LOGGER = logging.getLogger(__name__)


class AvailabilityGuard:
    """Keeps each device's availability; publishes ``DeviceOnline`` / ``DeviceOffline``."""

    def __init__(self, bus: EventBus, grace: float, touch: Callable[[str], None]) -> None:
        self.bus = bus
        self.grace = grace
        self._touch = touch
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._reasons: dict[str, tuple[str, AvailabilityProblem]] = {}
        """While a device's grace runs: the latest reason it was reported gone."""

    def report(self, device: Device, online: bool, reason: str | HubError = "") -> None:
        """The device answered (``online``), or did not, for ``reason``.

        Going offline is announced after ``grace`` seconds without the device coming back;
        coming back within the grace announces nothing. The latest reason wins: a device
        first silent, then found to reject the token, says the latter (once offline, only a
        new kind of problem replaces the reason).
        """
        device_id = device.id
        timer = self._timers.pop(device_id, None)
        if online:
            if timer is not None:
                timer.cancel()
            self._reasons.pop(device_id, None)
            if device.availability is not Availability.ONLINE:
                if device.availability is Availability.OFFLINE:
                    _LOGGER.warning("%s (%s) is back online", device.name, device_id)
                device.availability = Availability.ONLINE
                device.availability_since, device.availability_reason = time.time(), ""
                device.availability_problem = None
                self._touch(device_id)
                self.bus.publish(DeviceOnline(device_id, device.availability_since))
            return
        why = problem_of(reason)
        if device.availability is Availability.OFFLINE:
            if why[1] is not device.availability_problem:
                # the same outage, better understood: no second DeviceOffline (automations
                # on "went offline" ran once), but every reader of the device sees it (a
                # retry's new wording for the same problem is not news)
                _LOGGER.warning("%s (%s) is still offline, now: %s", device.name, device_id,
                                why[0] or why[1])  # fmt: skip
                device.availability_reason, device.availability_problem = why
                self._touch(device_id)
                since = device.availability_since or 0.0
                self.bus.publish(OfflineReasonChanged(device_id, why[0], why[1], since))
            return
        self._reasons[device_id] = why
        if timer is not None:
            self._timers[device_id] = timer  # already counting down
            return
        if self.grace <= 0:
            self._mark_offline(device)
            return
        loop = asyncio.get_running_loop()
        self._timers[device_id] = loop.call_later(self.grace, self._mark_offline, device)

    def _mark_offline(self, device: Device) -> None:
        device_id = device.id
        self._timers.pop(device_id, None)
        reason, problem = self._reasons.pop(device_id, ("", AvailabilityProblem.NO_ANSWER))
        if device.availability is Availability.OFFLINE:
            return
        device.availability = Availability.OFFLINE
        device.availability_since, device.availability_reason = time.time(), reason
        device.availability_problem = problem
        self._touch(device_id)
        _LOGGER.warning("%s (%s) went offline: %s", device.name, device_id, reason or "no answer")
        self.bus.publish(DeviceOffline(device_id, reason, device.availability_since, problem))

    def forget(self, device_id: str) -> None:
        """The device is gone from the hub: no announcement is pending for it any more."""
        timer = self._timers.pop(device_id, None)
        if timer is not None:
            timer.cancel()
        self._reasons.pop(device_id, None)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._reasons.clear()


def problem_of(reason: str | HubError) -> tuple[str, AvailabilityProblem]:
    """A reason in words, and its kind: a rejected token, else no answer."""
    if isinstance(reason, DeviceAuthError):
        return str(reason), AvailabilityProblem.TOKEN_REJECTED
    return str(reason), AvailabilityProblem.NO_ANSWER


def refusal(device: Device) -> DeviceError | None:
    """The error a command to ``device`` gets at once, unsent, or None when it may be sent.

    Offline: :class:`DeviceUnavailable`, "offline since 14:02:05 (why); nothing was sent".
    Rejecting the token: :class:`DeviceAuthError`, "token rejected since ...". A device not
    heard from yet (unknown) is tried: the hub knows nothing against it.
    """
    if device.availability is not Availability.OFFLINE:
        return None
    since = device.availability_since
    when = f" since {time.strftime('%H:%M:%S', time.localtime(since))}" if since else ""
    why = f" ({device.availability_reason})" if device.availability_reason else ""
    if device.availability_problem is AvailabilityProblem.TOKEN_REJECTED:
        return DeviceAuthError(f"token rejected{when}{why}; nothing was sent")
    return DeviceUnavailable(f"offline{when}{why}; nothing was sent")
