"""The configuration file, as pydantic models; every error names the file, line and key.

Secrets can stay out of the file: ``!secret name`` reads ``name`` from ``secrets.yaml`` next to
the config (``secrets.example.yaml`` for a config named ``*.example.yaml``), ``!env NAME`` reads
an environment variable. A relative ``data_dir`` is relative to the config file's directory.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import types
import typing
import zoneinfo
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from hub.config_messages import field_problem, yaml_problem
from hub.errors import ConfigError
from hub.scenes.model import Automation, Scene, field_parts


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Location(_Section):
    latitude: float = Field(0.0, ge=-90, le=90)
    longitude: float = Field(0.0, ge=-180, le=180)
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """A misspelt zone is an error here, never a failed time condition later."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            close = difflib.get_close_matches(value, zoneinfo.available_timezones(), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "an IANA name: 'Europe/Amsterdam'"
            raise ValueError(f"unknown time zone '{value}' ({hint})") from None
        return value


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


class MqttExportConfig(_Section):
    """The hub's own devices on MQTT: state, availability, commands, HA discovery."""

    devices: Literal["all", "none"] | list[str] = "all"
    """``all``, ``none``, or a list of device ids and room names."""
    discovery: bool = True
    """Publish Home Assistant discovery configs under ``homeassistant.prefix``."""
    coalesce: float = Field(0.05, ge=0, le=10)
    """Seconds a burst of state changes is gathered into one state message."""
    images: float = Field(60.0, ge=0)
    """Seconds between camera pictures published for Home Assistant's MQTT camera (cameras
    with a ``snapshot_url``; also soon after the camera's state changes); 0: none."""


class MqttSection(_Section):
    url: str = Field(..., pattern=r"^mqtts?://")
    prefix: str | None = None
    """Every topic the hub owns sits under this; defaults to ``mihub/<hub id>``."""
    username: str | None = None
    password: str | None = None
    zigbee2mqtt: Zigbee2MqttConfig = Zigbee2MqttConfig()
    homeassistant: HaDiscoveryConfig = HaDiscoveryConfig()
    export: MqttExportConfig = MqttExportConfig()
    peers: bool | list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]] = False
    """Import the devices other mihub hubs export on this broker: ``true`` for every hub under
    the same root as ``prefix`` (``mihub``), or a list of hub ids."""
    peer_timeout: float = Field(10.0, gt=0, le=120)
    """Seconds a command to another hub's device may wait for that hub's answer."""

    @field_validator("peers")
    @classmethod
    def _peers_need_a_root(cls, peers: bool | list[str], info: ValidationInfo) -> bool | list[str]:
        prefix = info.data.get("prefix")
        if peers and prefix is not None and "/" not in prefix.strip("/"):
            raise ValueError(f"needs prefix as '<root>/<hub id>' (hubs share the root), "
                             f"not '{prefix}'")  # fmt: skip
        return peers


class HistorySection(_Section):
    """The recorder: raw changes and commands, plus 5-minute statistics of numbers."""

    enabled: bool = True
    url: str | None = Field(None, pattern=r"^postgres(ql)?://")
    """A PostgreSQL database (``postgresql://user:password@host/db``; ``!secret`` keeps the
    password out of the file) instead of ``history.db`` in the data directory. Several hubs may
    share one: each row is tagged with its hub."""
    raw_days: float = Field(10.0, gt=0)
    statistics_days: float = Field(365.0, gt=0)
    commit_interval: float = Field(60.0, gt=0, le=3600)
    """Seconds between history commits (fewer commits: fewer bytes written to an SD card)."""
    batch_rows: int = Field(1000, ge=1)
    """Commit early once this many rows wait."""


class HabitsSection(_Section):
    """Habit suggestions, mined from history in the background (needs history)."""

    enabled: bool = True
    every_hours: float = Field(6.0, gt=0, le=24 * 7)
    first_after: float = Field(300.0, ge=0, le=86400)
    """Seconds after start before the first mining."""
    window_days: int = Field(28, ge=1, le=365)
    snooze_days: float = Field(7.0, gt=0, le=365)


class Config(_Section):
    hub: HubSection = HubSection()
    api: ApiSection = ApiSection()
    miio: MiioSection = MiioSection()
    mqtt: MqttSection | None = None
    history: HistorySection = HistorySection()
    habits: HabitsSection = HabitsSection()
    rooms: list[str] = []
    scenes: list[Scene] = []
    automations: list[Automation] = []

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
        if (twice := duplicate_key(node)) is not None:
            raise ConfigError(f"{path}:{twice}")
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(f"{path}:{yaml_problem(_worded(text, exc))}") from exc
    except _TagError as exc:
        raise ConfigError(f"{path}:{exc.line}: {exc}") from exc
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the config must be a mapping of sections (hub, miio, ...)")
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, node, path)) from exc
    _unique_ids(config, node, path)
    if not config.hub.data_dir.is_absolute():
        config.hub.data_dir = path.parent.absolute() / config.hub.data_dir
    return config


def _unique_ids(config: Config, root: yaml.Node | None, path: Path) -> None:
    """Two scenes or two automations with one id: an error naming both lines."""
    lines = []
    sections: list[tuple[str, Sequence[Scene | Automation]]] = [
        ("scenes", config.scenes), ("automations", config.automations)
    ]  # fmt: skip
    for section, items in sections:
        first: dict[str, int] = {}
        for number, item in enumerate(items):
            if item.id in first:
                earlier = line_of(root, [section, first[item.id], "id"])
                line = line_of(root, [section, number, "id"])
                lines.append(f"{path}:{line}: {section}.{number}.id: '{item.id}' is already "
                             f"the id of {section}.{first[item.id]} (line {earlier})")  # fmt: skip
            else:
                first[item.id] = number
    if lines:
        raise ConfigError("\n".join(lines))


def duplicate_key(node: yaml.Node | None, done: set[int] | None = None) -> str | None:
    """A key given twice in one mapping (YAML would silently keep the last one), as
    ``"<line>: key 'x' is given twice ..."``; None when every mapping's keys are distinct."""
    done = set() if done is None else done
    if id(node) in done:
        return None  # an alias of a node already checked
    done.add(id(node))
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    return (
                        f"{line}: key '{key_node.value}' is given twice in one mapping "
                        f"(first on line {seen[key_node.value]}); YAML would keep only the last"
                    )
                seen[key_node.value] = line
            children.append(value_node)
    elif isinstance(node, yaml.SequenceNode):
        children = node.value
    for child in children:
        if (found := duplicate_key(child, done)) is not None:
            return found
    return None


def _describe(exc: ValidationError, root: yaml.Node | None, path: Path) -> str:
    lines = []
    for error in exc.errors():
        loc = field_parts(error["loc"])
        key = ".".join(str(part) for part in loc) or "(top level)"
        line = line_of(root, loc)
        lines.append(f"{path}:{line}: {key}: {field_problem(error, _allowed_keys(loc))}")
    return "\n".join(lines)


def _allowed_keys(loc: list[Any]) -> list[str] | None:
    """The keys the mapping holding ``loc``'s last part accepts (None: not a config section)."""
    model: type[BaseModel] = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        inner = _section_in(field.annotation) if field is not None else None
        if inner is None:
            return None
        model = inner
    return list(model.model_fields)


def _section_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X``, ``X | None`` or ``list[X]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            found = _section_in(arg)
            if found is not None:
                return found
    return None


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


def secrets_file(path: Path) -> Path:
    """Where ``!secret`` looks: secrets.yaml beside the config (the example: its own)."""
    example = path.name.endswith(".example.yaml")
    return path.parent / ("secrets.example.yaml" if example else "secrets.yaml")


# libyaml's parser when PyYAML was built with it (its wheels are): the pure-Python one spends
# ~40 ms on a config with a dozen automations, a noticeable share of a Raspberry Pi's start.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _worded(text: str, exc: yaml.MarkedYAMLError) -> yaml.MarkedYAMLError:
    """The same syntax error as PyYAML's pure-Python parser words it (libyaml's words differ,
    and hub/config_messages.py explains the pure-Python ones); only on the error path."""
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as worded:
        return worded
    return exc


def _loader(path: Path) -> type[yaml.SafeLoader]:
    secrets_path = secrets_file(path)
    secrets: dict[str, Any] | None = None

    def secret(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        nonlocal secrets
        name = loader.construct_scalar(node)  # type: ignore[arg-type]
        if secrets is None:
            try:
                secrets = yaml.safe_load(secrets_path.read_text(encoding="utf-8")) or {}
            except OSError:
                secrets = {}
            except yaml.MarkedYAMLError as exc:
                where = f"{secrets_path}:{yaml_problem(exc)}"
                line = node.start_mark.line + 1
                raise _TagError(f"cannot read secret '{name}': {where}", line) from exc
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
