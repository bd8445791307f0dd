"""``mihub backup DEST`` and ``mihub restore SRC``: the hub's whole state in one file.

A backup is a tar.gz with ``manifest.json`` (format, mihub version, time, and each file with
its size and SHA-256), ``config/`` (the config file and its secrets file) and ``data/`` (every
SQLite database in the data directory: the store, and the history when there is one). The
databases are copied with SQLite's online backup API, which gives a consistent snapshot while
a running hub keeps writing (WAL mode: the copy never blocks the hub). The archive holds device
tokens: it is written readable by its owner only.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import socket
import sqlite3
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

from hub import __version__
from hub.config import load_config, secrets_file
from hub.errors import HubError

FORMAT = 1
STORE = "mihub.db"


class BackupError(HubError):
    """A backup or restore that cannot go on; the message says what to do."""


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API), checked."""
    with (
        contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        (verdict,) = dst.execute("PRAGMA quick_check").fetchone()
    if verdict != "ok":
        raise BackupError(f"the copy of {source} does not check out: {verdict}")


def _databases(data_dir: Path) -> list[Path]:
    return sorted(p for p in data_dir.glob("*.db") if p.is_file()) if data_dir.is_dir() else []


def make_backup(config_path: Path, dest: Path) -> tuple[Path, dict[str, object]]:
    config = load_config(config_path)
    data_dir = config.hub.data_dir
    if not (data_dir / STORE).exists():
        raise BackupError(f"no store at {data_dir / STORE}: is {config_path} the hub's config?")
    if dest.is_dir():
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        dest = dest / f"mihub-{config.hub.id}-{stamp}.tar.gz"
    files: dict[str, bytes] = {f"config/{config_path.name}": config_path.read_bytes()}
    secrets = secrets_file(config_path)
    if secrets.exists():
        files[f"config/{secrets.name}"] = secrets.read_bytes()
    with tempfile.TemporaryDirectory() as scratch:
        for database in _databases(data_dir):
            copy = Path(scratch) / database.name
            copy_database(database, copy)
            files[f"data/{database.name}"] = copy.read_bytes()
    manifest: dict[str, object] = {
        "format": FORMAT,
        "mihub": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "hub_id": config.hub.id,
        "files": [
            {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in files.items()
        ],
    }
    files = {"manifest.json": json.dumps(manifest, indent=2).encode(), **files}
    partial = dest.with_name(dest.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(data))
    partial.replace(dest)
    return dest, manifest


def read_backup(src: Path) -> tuple[dict[str, object], dict[str, bytes]]:
    """The manifest and the files of a backup, each checked against the manifest."""
    try:
        with tarfile.open(src, mode="r:gz") as tar:
            manifest = json.loads(_member(tar, "manifest.json", src))
            if manifest.get("format") != FORMAT:
                raise BackupError(f"{src}: backup format {manifest.get('format')!r}, "
                                  f"this mihub reads format {FORMAT}")  # fmt: skip
            files = {}
            for entry in manifest["files"]:
                name = str(entry["name"])
                if name.count("/") != 1 or name.split("/")[0] not in ("config", "data"):
                    raise BackupError(f"{src}: unexpected file '{name}' in the manifest")
                data = _member(tar, name, src)
                if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                    raise BackupError(f"{src}: {name} does not match its checksum (damaged?)")
                files[name] = data
    except (
        OSError,
        EOFError,
        zlib.error,
        tarfile.TarError,
        ValueError,
        KeyError,
        TypeError,
    ) as exc:
        raise BackupError(f"{src}: not a mihub backup ({exc})") from None
    return manifest, files


def _member(tar: tarfile.TarFile, name: str, src: Path) -> bytes:
    member = tar.extractfile(name)
    if member is None:
        raise BackupError(f"{src}: {name} is missing")
    return member.read()


def hub_running(store: Path, api: tuple[str, int] | None) -> str | None:
    """Why we think a hub runs on this store (a process has it open, or the API answers)."""
    target = os.path.realpath(store)
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            for fd in fd_dir.iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) == target and fd_dir.parent.name != str(os.getpid()):
                        return f"process {fd_dir.parent.name} has {store} open"
    if api is None:
        return None
    host = "127.0.0.1" if api[0] in ("0.0.0.0", "", "::") else api[0]  # noqa: S104
    with contextlib.suppress(OSError), socket.create_connection((host, api[1]), timeout=0.5):
        return f"something answers on the hub's API address {host}:{api[1]}"
    return None


def restore(src: Path, config_path: Path, force: bool) -> list[Path]:
    """Put a backup's config, secrets and databases back; returns the files written.

    The config goes to ``config_path`` (its secrets file beside it) and the databases to the
    data directory that config names. Files already there are kept as ``*.before-restore``.
    """
    _, files = read_backup(src)
    configs = [name for name in files if name.startswith("config/")]
    if not configs:
        raise BackupError(f"{src}: holds no config file")
    config_path = config_path.absolute()
    placed: dict[Path, bytes] = {}
    for name in configs:
        base = name.split("/")[1]
        is_secrets = base.startswith("secrets")
        target = secrets_file(config_path) if is_secrets else config_path
        placed[target] = files[name]
    data_dir = _data_dir_of(placed, config_path)
    api = None
    with contextlib.suppress(HubError):  # the config there now: where its hub would answer
        current = load_config(config_path) if config_path.exists() else None
        api = (current.api.host, current.api.port) if current else None
    reason = hub_running(data_dir / STORE, api)
    if reason and not force:
        raise BackupError(
            f"a hub seems to run on {data_dir / STORE} ({reason}): stop it first "
            "(systemctl stop mihub), or pass --force and restart it right after"
        )
    for name, data in files.items():
        if name.startswith("data/"):
            placed[data_dir / name.split("/")[1]] = data
    data_dir.mkdir(parents=True, exist_ok=True)
    for target, data in placed.items():
        for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            if stale.exists():  # an old WAL must never replay onto the restored database
                stale.replace(stale.with_name(stale.name + ".before-restore"))
        _write(target, data)
    return list(placed)


def _data_dir_of(placed: dict[Path, bytes], config_path: Path) -> Path:
    """The data directory the restored config names, once it stands at ``config_path``."""
    with tempfile.TemporaryDirectory() as scratch:
        for target, data in placed.items():
            (Path(scratch) / target.name).write_bytes(data)
        data_dir = load_config(Path(scratch) / config_path.name).hub.data_dir
        with contextlib.suppress(ValueError):  # a relative data_dir: beside the config
            return config_path.parent / data_dir.relative_to(scratch)
        return data_dir


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    partial.replace(target)


def _backup_command(args: argparse.Namespace) -> int:
    path, manifest = make_backup(args.config, args.dest)
    files = manifest["files"]
    assert isinstance(files, list)  # noqa: S101 - built just above
    names = ", ".join(str(f["name"]) for f in files)
    print(f"wrote {path} ({path.stat().st_size} bytes: {names})")
    print("It holds device tokens and the secrets file: keep it private.")
    return 0


def _restore_command(args: argparse.Namespace) -> int:
    for path in restore(args.src, args.config, args.force):
        print(f"restored {path}")
    print("Start the hub (systemctl start mihub, or mihub run); earlier files are kept as "
          "*.before-restore.")  # fmt: skip
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_help: str) -> None:
    backup = sub.add_parser(
        "backup",
        help="copy store, config and secrets into one archive (safe while the hub runs)",
        description="Write a tar.gz with the config, its secrets file and every database in "
        "the data directory (copied with SQLite's online backup, consistent while the hub "
        "runs), plus a manifest. DEST is a file name or a directory.",
    )
    backup.add_argument("dest", type=Path, metavar="DEST", help="the archive, or a directory")
    backup.add_argument("--config", type=Path, default=Path("config.yaml"), help=config_help)
    backup.set_defaults(handler=_backup_command)
    restore_parser = sub.add_parser(
        "restore",
        help="put a backup back: config, secrets and databases",
        description="Restore a `mihub backup` archive: the config goes to --config, its "
        "secrets file beside it, the databases into the data directory that config names. "
        "Refuses while a hub runs on that store, unless --force.",
    )
    restore_parser.add_argument("src", type=Path, metavar="SRC", help="the backup archive")
    restore_parser.add_argument(
        "--config", type=Path, default=Path("config.yaml"), help="where the config goes "
        "(default: config.yaml); its data_dir receives the databases",
    )  # fmt: skip
    restore_parser.add_argument(
        "--force", action="store_true", help="restore even though a hub seems to run"
    )
    restore_parser.set_defaults(handler=_restore_command)
