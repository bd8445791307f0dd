"""What every dialect offers a connection: Features in, Features out, whatever the wire says.

A dialect object belongs to one device (it may remember the last wire values it read, as a
legacy setter can need them); the model knowledge it reads (a MIoT spec, a legacy table) is
shared. ``Requester`` is the little it needs from a session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hub.devices.model import Feature, Value


class Requester(Protocol):
    """A miIO session as a dialect sees it (hub/devices/miio/wire/session.py)."""

    host: str
    device_id: int

    async def send(self, method: str, params: Any = None) -> Any: ...

    async def ensure_handshake(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Pushed:
    """What one push from the device says, in Features."""

    values: dict[str, Value] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """(event feature id, event data) per event the device reported."""


class Dialect(Protocol):
    name: str
    """``"miot"`` or ``"legacy"``: what SUPPORTED.md and the logs say."""
    features: Mapping[str, Feature]
    subscribes: bool
    """Whether to offer ``miIO.sub`` (a device that refuses it is polled)."""

    async def read(
        self, session: Requester, feature_ids: Sequence[str] | None = None
    ) -> dict[str, Value]:
        """The current values of the given readable features (all when None)."""
        ...

    async def write(self, session: Requester, feature: Feature, value: Value) -> None:
        """Set one feature (``value`` already validated); DeviceError when refused."""
        ...

    async def act(
        self, session: Requester, feature: Feature, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Run an action feature; what it answered."""
        ...

    def pushed(self, payload: dict[str, Any]) -> Pushed:
        """A device request (``properties_changed``, ``event_occured``...) in Features."""
        ...
