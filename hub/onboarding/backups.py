"""Device tokens from the files users already have: Mi Home and Yeelight app backups, and the
JSON that ``miiocli cloud list --raw`` prints.

The backups are read with python-miio's ``miio.extract_tokens`` (it knows the apps' schemas and
the iOS token encryption). It is imported here, inside the functions, because only the
``mihub import-tokens`` command reads backups: the running hub never imports python-miio.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.errors import HubError

_TOKEN = re.compile(r"[0-9a-fA-F]{32}")
_SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(HubError):
    """A file is not a backup we can read; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class TokenEntry:
    """One device as a backup or the cloud describes it; ``token`` is 32 lowercase hex digits.

    ``did`` is the miIO device id when the source gives a numeric one; ``problem`` says why an
    entry cannot be used (a Zigbee or Bluetooth sub-device has no LAN token, a token is not 32
    hex digits), and is empty for a usable entry.
    """

    token: str
    did: int | None = None
    name: str = ""
    model: str = ""
    host: str | None = None
    mac: str | None = None
    problem: str = ""


def read_token_file(path: Path) -> tuple[str, list[TokenEntry]]:
    """What kind of file ``path`` is, in words, and the devices in it. Raises BackupError."""
    try:
        head = path.read_bytes()[:64]
    except OSError as exc:
        raise BackupError(f"{path}: cannot read it ({exc.strerror})") from None
    if head.startswith(_SQLITE_MAGIC):
        return _read_app_database(path)
    text = head.lstrip().decode("utf-8", "replace")
    if text.startswith(("<?xml", "<map")):
        return "Yeelight app preferences (XML)", _read_yeelight(path)
    if text.startswith(("[", "{")):
        return "Xiaomi cloud device list (JSON)", _read_cloud_json(path)
    raise BackupError(
        f"{path}: not a token file mihub knows: expected Android Mi Home's miio2.db, iOS "
        "Mi Home's *_mihome.sqlite, the Yeelight app's XML, or the JSON of "
        "`miiocli cloud list --raw`"
    )


def _read_app_database(path: Path) -> tuple[str, list[TokenEntry]]:
    import sqlite3

    require_python_miio()
    from miio.extract_tokens import BackupDatabaseReader

    _quiet_python_miio()

    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as probe:
            tables = {name for (name,) in probe.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: an SQLite file that cannot be read: {exc}") from None
    if "devicerecord" in tables:
        kind, did_column = "Android Mi Home backup (miio2.db)", "did"
    elif "ZDEVICE" in tables:
        kind, did_column = "iOS Mi Home backup (*_mihome.sqlite)", "ZDID"
    else:
        raise BackupError(
            f"{path}: an SQLite file without Mi Home's device table ('devicerecord' on "
            f"Android, 'ZDEVICE' on iOS); its tables: {', '.join(sorted(tables)) or 'none'}"
        )
    try:
        found = list(BackupDatabaseReader().read_tokens(str(path)))  # type: ignore[no-untyped-call]
    except (sqlite3.Error, ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path}: {kind} that cannot be read: {exc}") from None
    entries = []
    for dev in found:
        row = dev.everything
        did = row[did_column] if did_column in row.keys() else None  # noqa: SIM118 - sqlite3.Row
        entries.append(_entry(dev.token, did, dev.name, dev.model, dev.ip, dev.mac))
    return kind, entries


def _read_yeelight(path: Path) -> list[TokenEntry]:
    from xml.etree.ElementTree import ParseError

    require_python_miio()
    from miio.extract_tokens import read_android_yeelight

    _quiet_python_miio()

    try:
        found = list(read_android_yeelight(str(path)))
    except (ParseError, ValueError, KeyError) as exc:
        raise BackupError(
            f"{path}: Yeelight app preferences that cannot be read ({exc!r}); expected "
            "<set name='deviceList'> with one JSON device per <string>"
        ) from None
    return [
        _entry(dev.token, dev.everything.get("did"), dev.name, dev.model, dev.ip, dev.mac)
        for dev in found
    ]


def require_python_miio() -> None:
    """A clear error when python-miio (the ``miio`` extra) is not installed."""
    import importlib.util

    if importlib.util.find_spec("miio") is None:
        raise BackupError(
            "reading app backups needs python-miio: pip install 'mihub[miio]' (or convert "
            "the backup to JSON elsewhere with `miiocli cloud list --raw`, which mihub reads "
            "without it)"
        )


def _quiet_python_miio() -> None:
    """python-miio logs each step at INFO (and its import calls basicConfig); we report."""
    logging.getLogger("miio").setLevel(logging.WARNING)


def _read_cloud_json(path: Path) -> list[TokenEntry]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path}: not valid JSON: {exc}") from None
    devices = _cloud_devices(data)
    if devices is None:
        raise BackupError(
            f"{path}: JSON without a device list: expected a list of devices with 'did' and "
            "'token' (what `miiocli cloud list --raw` prints), or the cloud's "
            "{'result': {'list': [...]}}"
        )
    entries = []
    for index, dev in enumerate(devices):
        if not isinstance(dev, Mapping) or "token" not in dev:
            raise BackupError(f"{path}: device #{index + 1} has no 'token'")
        entry = _entry(
            dev["token"], dev.get("did"), dev.get("name"), dev.get("model"),
            dev.get("localip", dev.get("ip")), dev.get("mac"),
        )  # fmt: skip
        if dev.get("parent_id") and not entry.problem:
            entry = _with_problem(entry, f"a sub-device of gateway {dev['parent_id']}")
        entries.append(entry)
    return entries


def _cloud_devices(data: Any) -> Iterable[Any] | None:
    if isinstance(data, list):
        return data
    if not isinstance(data, dict):
        return None
    inner = data.get("result", data)
    if isinstance(inner, dict) and isinstance(inner.get("list"), list):
        return list(inner["list"])
    if data and all(isinstance(v, dict) and "token" in v for v in data.values()):
        return list(data.values())  # keyed by did
    return None


def _entry(token: Any, did: Any, name: Any, model: Any, host: Any, mac: Any) -> TokenEntry:
    text = str(did or "")
    entry = TokenEntry(
        token=str(token or "").strip().lower(),
        did=int(text) if text.isdigit() else None,
        name=str(name or ""),
        model=str(model or ""),
        host=str(host) if host and str(host) != "0.0.0.0" else None,  # noqa: S104
        mac=normalize_mac(mac),
    )
    if text and not text.isdigit():
        return _with_problem(entry, f"device id '{text}' is not a Wi-Fi miIO device's")
    if not _TOKEN.fullmatch(entry.token):
        return _with_problem(entry, "its token is not 32 hex digits")
    return entry


def _with_problem(entry: TokenEntry, problem: str) -> TokenEntry:
    return TokenEntry(
        entry.token, entry.did, entry.name, entry.model, entry.host, entry.mac, problem
    )


def normalize_mac(mac: Any) -> str | None:
    """``AA-BB-..`` / ``aabb..`` / ``AA:BB:..`` as ``aa:bb:..``; None for no MAC."""
    digits = re.sub(r"[^0-9a-f]", "", str(mac or "").lower())
    if len(digits) != 12:
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
