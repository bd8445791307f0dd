"""The configuration file, as pydantic models; every error names the file, line and key.

Secrets can stay out of the file: ``!secret name`` reads ``name`` from ``secrets.yaml`` next to
the config, ``!env NAME`` reads an environment variable.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hub.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Location(_Section):
    latitude: float = Field(0.0, ge=-90, le=90)
    longitude: float = Field(0.0, ge=-180, le=180)
    timezone: str = "UTC"


class HubSection(_Section):
    id: str = Field("home", pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str = "Home"
    data_dir: Path = Path("data")
    location: Location = Location()


class ApiSection(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8321, ge=0, le=65535)
    cors_origins: list[str] = []


class MiioDeviceConfig(_Section):
    host: str
    port: int = Field(54321, ge=1, le=65535)
    token: str | None = Field(None, pattern=r"^[0-9a-fA-F]{32}$")
    name: str | None = None
    room: str | None = None
    model: str | None = None
    snapshot_url: str | None = Field(None, pattern=r"^https?://")
    """Cameras: where a JPEG of what it sees can be fetched (custom firmware, an RTSP-to-JPEG
    bridge); stock firmware serves none on the LAN, so without it a camera has no snapshot."""

    @field_validator("host")
    @classmethod
    def _host_is_an_address(cls, value: str) -> str:
        ipaddress.ip_address(value)
        return value


class DiscoveryConfig(_Section):
    broadcast: list[str] = []
    """Broadcast addresses for the miIO hello (a real home: its LAN's, e.g. 192.168.1.255)."""
    hosts: list[str] = []
    """Hosts or CIDR ranges swept by unicast hello, at ``rate`` packets per second."""
    rate: float = Field(100.0, gt=0)
    mdns: bool = False
    mdns_interfaces: list[str] = []
    interval: float = Field(300.0, ge=0)
    """Seconds between discovery rounds in ``mihub run``; 0 runs discovery once at start."""

    @field_validator("broadcast", "hosts")
    @classmethod
    def _addresses(cls, values: list[str]) -> list[str]:
        for value in values:
            ipaddress.ip_network(value, strict=False)
        return values


class MiioSection(_Section):
    bind: str = "0.0.0.0"  # noqa: S104 - a hub listens on its LAN; tests and the demo bind loopback
    port: int = Field(0, ge=0, le=65535)
    timeout: float = Field(1.0, gt=0)
    """Seconds to wait for one attempt of a request before retrying."""
    deadline: float = Field(5.0, gt=0, le=120)
    """Seconds a command may take in all, retries included, whatever the device does."""
    poll_interval: float = Field(30.0, gt=0)
    discovery: DiscoveryConfig = DiscoveryConfig()
    devices: list[MiioDeviceConfig] = []


class Zigbee2MqttConfig(_Section):
    enabled: bool = True
    base_topic: str = "zigbee2mqtt"


class HaDiscoveryConfig(_Section):
    enabled: bool = True
    prefix: str = "homeassistant"


class MqttSection(_Section):
    url: str = Field(..., pattern=r"^mqtts?://")
    prefix: str | None = None
    """Every topic the hub owns sits under this; defaults to ``mihub/<hub id>``."""
    username: str | None = None
    password: str | None = None
    zigbee2mqtt: Zigbee2MqttConfig = Zigbee2MqttConfig()
    homeassistant: HaDiscoveryConfig = HaDiscoveryConfig()


class Config(_Section):
    hub: HubSection = HubSection()
    api: ApiSection = ApiSection()
    miio: MiioSection = MiioSection()
    mqtt: MqttSection | None = None
    rooms: list[str] = []
    scenes: list[dict[str, Any]] = []
    automations: list[dict[str, Any]] = []

    @property
    def mqtt_prefix(self) -> str:
        if self.mqtt is not None and self.mqtt.prefix:
            return self.mqtt.prefix
        return f"mihub/{self.hub.id}"


def load_config(path: str | Path) -> Config:
    """Read and validate a config file; raise ConfigError naming the file, line and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    loader = _loader(path)(text)
    try:
        # One parse gives both the nodes (for the line of an error) and the data.
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{line}: {exc.problem or exc.context}") from exc
    except _TagError as exc:
        raise ConfigError(f"{path}:{exc.line}: {exc}") from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the config must be a mapping of sections (hub, miio, ...)")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, node, path)) from exc


def _describe(exc: ValidationError, root: yaml.Node | None, path: Path) -> str:
    lines = []
    for error in exc.errors():
        loc = [part for part in error["loc"] if not isinstance(part, str) or "[" not in part]
        key = ".".join(str(part) for part in loc) or "(top level)"
        line = line_of(root, loc)
        lines.append(f"{path}:{line}: {key}: {error['msg']}")
    return "\n".join(lines)


def line_of(root: yaml.Node | None, loc: list[Any] | tuple[Any, ...]) -> int:
    """The 1-based line of the YAML node at ``loc`` (or of its nearest existing parent)."""
    node = root
    line = 1 if node is None else node.start_mark.line + 1
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    child = value_node
                    line = key_node.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


class _TagError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


# libyaml's parser when PyYAML was built with it (its wheels are): the pure-Python one spends
# ~40 ms on a config with a dozen automations, a noticeable share of a Raspberry Pi's start.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _loader(path: Path) -> type[yaml.SafeLoader]:
    secrets_path = path.parent / "secrets.yaml"
    secrets: dict[str, Any] | None = None

    def secret(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        nonlocal secrets
        name = loader.construct_scalar(node)  # type: ignore[arg-type]
        if secrets is None:
            try:
                secrets = yaml.safe_load(secrets_path.read_text(encoding="utf-8")) or {}
            except OSError:
                secrets = {}
        if not isinstance(secrets, dict) or name not in secrets:
            raise _TagError(f"secret '{name}' is not in {secrets_path}", node.start_mark.line + 1)
        return secrets[name]

    def env(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        name = str(loader.construct_scalar(node))  # type: ignore[arg-type]
        if name not in os.environ:
            raise _TagError(f"environment variable '{name}' is not set", node.start_mark.line + 1)
        return os.environ[name]

    class Loader(_SAFE_LOADER):  # type: ignore[valid-type,misc]
        pass

    Loader.add_constructor("!secret", secret)
    Loader.add_constructor("!env", env)
    return Loader
