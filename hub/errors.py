"""One exception tree for the hub; each layer raises these, the API maps them to HTTP."""

from __future__ import annotations


class HubError(Exception):
    """Base of every error the hub raises on purpose."""


class ConfigError(HubError):
    """The configuration is invalid; the message names the file, line and key."""


class StoreError(HubError):
    """The store could not open or commit (disk full, database damaged, no permission)."""


class DeviceError(HubError):
    """A device refused or failed a request.

    ``code`` is the device's own error code when it sent one (miIO: negative integers).
    """

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class DeviceTimeout(DeviceError):
    """The device did not answer in time (after retries): it may be offline."""


class DeviceAuthError(DeviceError):
    """The device's replies do not verify with our token: the token is wrong.

    Never reported as "offline": the device is there, we cannot talk to it.
    """


class DeviceUnavailable(DeviceError):
    """The hub already knows the device is offline, so it sent nothing (it keeps trying the
    device in the background and takes commands again as soon as it answers)."""


class ProtocolError(DeviceError):
    """A packet could not be understood (bad magic, length, JSON...)."""


class InvalidValue(HubError):
    """A value is outside a feature's range or choices; nothing was sent."""


class NotFound(HubError):
    """An id (device, scene, automation...) that the hub does not know."""
