"""``mihub import-tokens FILE``: tokens from a backup or the cloud's JSON into the hub's store.

Each entry is matched to a device the store knows (by device id, then MAC, then address) or,
with ``--scan``, to one that answers discovery; its token is kept the way the hub keeps the
tokens it onboards with (``DeviceRegistry.set_secret(device_id, "token", ...)``), so the hub
uses it at its next start, or at its next discovery round for a device it has not met yet.
Tokens are never printed.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from hub.config import Config, load_config
from hub.onboarding.backups import TokenEntry, normalize_mac, read_token_file


class Outcome(StrEnum):
    UNCHANGED = "matched"
    CHANGED = "changed"
    NEW = "new"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class KnownDevice:
    """A miIO device the hub knows (store), is configured with (config.yaml), or found."""

    device_id: str | None
    name: str = ""
    did: int | None = None
    host: str | None = None
    mac: str | None = None
    token: str | None = None
    configured: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    entry: TokenEntry
    outcome: Outcome
    device_id: str | None
    note: str = ""

    def line(self) -> str:
        entry = self.entry
        parts = [
            f"{self.outcome:<8}",
            f'"{entry.name}"' if entry.name else "(no name)",
            f"({entry.model})" if entry.model else "",
            f"did {entry.did}" if entry.did is not None else "",
            f"at {entry.host}" if entry.host else "",
            f"-> {self.device_id}" if self.device_id else "",
        ]
        return " ".join(part for part in parts if part) + f": {self.note}"


def decide(entry: TokenEntry, known: list[KnownDevice]) -> Decision:
    """Which device an entry is for, and whether its token is new, changed or the same."""
    if entry.problem:
        return Decision(entry, Outcome.SKIPPED, None, f"{entry.problem}; no LAN token to use")
    device = _match(entry, known)
    did = entry.did if entry.did is not None else (device.did if device else None)
    device_id = device.device_id if device and device.device_id else None
    if device_id is None and did is not None:
        device_id = f"miio-{did}"
    if device_id is None:
        return Decision(
            entry, Outcome.SKIPPED, None,
            "no device id, and no known or discovered device has its address or MAC "
            "(try --scan with the device switched on)",
        )  # fmt: skip
    old = device.token if device and not device.configured else None
    hosts = {entry.host, device.host if device else None} - {None}
    configured = [d for d in known if d.configured and d.host in hosts and d.token]
    note = ""
    if configured and configured[0].token != entry.token:
        note = (
            f"; config.yaml gives {configured[0].host} another token, and it wins at start: "
            "edit it there"
        )
    if old is None:
        return Decision(entry, Outcome.NEW, device_id, "token stored" + note)
    if old == entry.token:
        return Decision(entry, Outcome.UNCHANGED, device_id, "token unchanged")
    return Decision(entry, Outcome.CHANGED, device_id, "token replaced" + note)


def _match(entry: TokenEntry, known: list[KnownDevice]) -> KnownDevice | None:
    for field, value in (("did", entry.did), ("mac", entry.mac), ("host", entry.host)):
        found = [d for d in known if value is not None and getattr(d, field) == value]
        if found:  # the store's entry (it has a device id and a token) before the others
            return max(found, key=lambda d: (d.device_id is not None, d.token is not None))
    return None


async def import_tokens(
    config: Config, entries: list[TokenEntry], scan: bool, dry_run: bool
) -> list[Decision]:
    from hub.bus import EventBus
    from hub.devices.model import Protocol
    from hub.devices.registry import DeviceRegistry
    from hub.store import Store

    async with Store(config.hub.data_dir / "mihub.db") as store:
        registry = DeviceRegistry(EventBus(), store)
        await registry.load()
        known = [
            KnownDevice(
                device.id,
                device.name,
                _int(device.endpoint.get("did")),
                device.endpoint.get("host"),
                normalize_mac(device.endpoint.get("mac")),
                await registry.secret(device.id, "token"),
            )
            for device in registry.devices.values()
            if device.protocol is Protocol.MIIO
        ]
        known += [
            KnownDevice(None, d.name or "", host=d.host, token=d.token, configured=True)
            for d in config.miio.devices
        ]
        if scan:
            known += await _discovered(config)
        decisions = []
        for entry in entries:
            decision = decide(entry, known)
            if decision.outcome is Outcome.NEW and decision.device_id is not None:
                stored = await registry.secret(decision.device_id, "token")  # an earlier import
                if stored is not None:
                    same = stored == entry.token
                    outcome = Outcome.UNCHANGED if same else Outcome.CHANGED
                    note = "token unchanged" if same else "token replaced"
                    decision = Decision(entry, outcome, decision.device_id, note)
            if decision.device_id and decision.outcome in (Outcome.NEW, Outcome.CHANGED):
                if not dry_run:
                    await registry.set_secret(decision.device_id, "token", entry.token)
                known.append(KnownDevice(decision.device_id, did=entry.did, token=entry.token))
            decisions.append(decision)
    return decisions


async def _discovered(config: Config) -> list[KnownDevice]:
    from hub.devices.miio.discovery import hello_scan

    discovery = config.miio.discovery
    if not (discovery.broadcast or discovery.hosts):
        return []
    found = await hello_scan(
        broadcast=discovery.broadcast, hosts=discovery.hosts, rate=discovery.rate,
        bind=config.miio.bind,
    )  # fmt: skip
    return [KnownDevice(None, did=dev.did, host=dev.host) for dev in found]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    kind, entries = read_token_file(args.file)
    print(f"{args.file}: {kind}, {len(entries)} devices")
    decisions = asyncio.run(import_tokens(config, entries, args.scan, args.dry_run))
    for decision in decisions:
        print(decision.line())
    counts = dict.fromkeys(Outcome, 0)
    for decision in decisions:
        counts[decision.outcome] += 1
    summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
    print(f"{summary}{' (dry run: nothing stored)' if args.dry_run else ''}")
    if counts[Outcome.NEW] and not (config.miio.discovery.broadcast or config.miio.discovery.hosts):
        print(
            "New devices are onboarded when discovery finds them: set miio.discovery "
            "(broadcast or hosts) in config.yaml, or add each under miio.devices with its host."
        )
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_help: str) -> None:
    parser = sub.add_parser(
        "import-tokens",
        help="take device tokens from a Mi Home / Yeelight backup or the cloud's JSON",
        description="Read device tokens from Android Mi Home's miio2.db, iOS Mi Home's "
        "*_mihome.sqlite, the Yeelight app's XML, or the JSON of `miiocli cloud list --raw`, "
        "match them to the hub's devices by device id, MAC or address, and store them. "
        "Tokens are never printed.",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the backup or JSON file")
    parser.add_argument("--config", type=Path, default=Path("config.yaml"), help=config_help)
    parser.add_argument(
        "--scan",
        action="store_true",
        help="also match devices that answer discovery now (miio.discovery's broadcast and "
        "hosts), for entries without a device id",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="report what would change, store nothing"
    )
    parser.set_defaults(handler=run)
