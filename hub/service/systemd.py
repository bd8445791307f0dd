"""``mihub service install``: the hub as a hardened systemd service.

The unit runs the hub as a dedicated system user with no capabilities at all (miIO, mDNS and
the API use unprivileged ports), a read-only view of the system (``ProtectSystem=strict``) in
which only the data directory is writable, and restarts it when it fails. Its output goes to the
journal; ``hub.cli`` drops its own timestamps there (the journal has its own).
"""

from __future__ import annotations

import argparse
import os
import pwd
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from hub.config import load_config, secrets_file
from hub.errors import HubError

UNIT_NAME = "mihub.service"
_HOMES = (Path("/home"), Path("/root"), Path("/run/user"))

_HARDENING = """\
# No privileges: miIO (54321/udp), mDNS and the API need no privileged port.
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
# A read-only system; only the data directory is writable.
ProtectSystem=strict
ReadWritePaths={data_dir}
ProtectHome={protect_home}
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
SystemCallErrorNumber=EPERM
UMask=0027
"""


@dataclass(frozen=True, slots=True)
class UnitSpec:
    user: str
    config: Path
    data_dir: Path
    python: Path

    @property
    def protect_home(self) -> str:
        """``yes`` hides /home; a hub installed or configured there needs to read it."""
        paths = (self.config, self.data_dir, self.python)
        inside = any(home in path.parents for path in paths for home in _HOMES)
        return "read-only" if inside else "yes"


def render_unit(spec: UnitSpec) -> str:
    command = shlex.join([str(spec.python), "-m", "hub", "run", "--config", str(spec.config)])
    return (
        "[Unit]\n"
        "Description=mihub, a local-first hub for Mi Home devices\n"
        "Wants=network-online.target\n"
        "After=network-online.target\n"
        "\n[Service]\n"
        "Type=exec\n"
        f"User={spec.user}\n"
        f"Group={spec.user}\n"
        f"WorkingDirectory={spec.data_dir}\n"
        f"ExecStart={command}\n"
        "ExecReload=/bin/kill -HUP $MAINPID\n"
        "Restart=on-failure\n"
        "RestartSec=5\n"
        "Environment=PYTHONUNBUFFERED=1\n"
        "# one malloc arena: the history and store threads would each keep their own (~1.7 MB)\n"
        "Environment=MALLOC_ARENA_MAX=1\n"
        "SyslogIdentifier=mihub\n"
        + _HARDENING.format(data_dir=spec.data_dir, protect_home=spec.protect_home)
        + "\n[Install]\nWantedBy=multi-user.target\n"
    )


def install_steps(spec: UnitSpec, unit_path: Path) -> list[list[str]]:
    """The commands that make the user and the data directory, and start the unit."""
    steps: list[list[str]] = []
    try:
        pwd.getpwnam(spec.user)
    except KeyError:
        steps.append(["useradd", "--system", "--user-group", "--home-dir", str(spec.data_dir),
                      "--no-create-home", "--shell", "/usr/sbin/nologin", spec.user])  # fmt: skip
    steps.append(["install", "-d", "-o", spec.user, "-g", spec.user, "-m", "0750",
                  str(spec.data_dir)])  # fmt: skip
    steps.append(["chown", "-R", f"{spec.user}:{spec.user}", str(spec.data_dir)])
    readable = [spec.config, *([s] if (s := secrets_file(spec.config)).exists() else [])]
    steps.append(["chgrp", spec.user, *map(str, readable)])
    steps.append(["chmod", "g+r,o-rwx", *map(str, readable)])
    steps.append(["systemctl", "daemon-reload"])
    steps.append(["systemctl", "enable", "--now", unit_path.name])
    return steps


def install(args: argparse.Namespace) -> int:
    config_path = Path(os.path.normpath(args.config.absolute()))  # systemd wants no '..'
    config = load_config(config_path)
    data_dir = Path(os.path.normpath(config.hub.data_dir))
    spec = UnitSpec(args.user, config_path, data_dir, Path(sys.executable))
    unit = render_unit(spec)
    unit_path = args.unit_dir / UNIT_NAME
    steps = [] if args.no_enable else install_steps(spec, unit_path)
    if args.dry_run:
        print(f"# {unit_path}\n{unit}")
        for step in steps:
            print(f"# then: {shlex.join(step)}")
        return 0
    if steps and os.geteuid() != 0:
        raise HubError(
            "mihub service install: run it as root (sudo) to create the user and enable the "
            "unit, or pass --dry-run to see what it would do"
        )
    args.unit_dir.mkdir(parents=True, exist_ok=True)
    unit_path.write_text(unit, encoding="utf-8")
    print(f"wrote {unit_path}")
    for step in steps:
        print(f"+ {shlex.join(step)}")
        done = subprocess.run(step, check=False)  # noqa: S603 - fixed argv, no shell
        if done.returncode != 0:
            raise HubError(f"mihub service install: `{shlex.join(step)}` failed")
    if steps:
        print(f"mihub runs as {spec.user}; its logs: journalctl -u mihub -f")
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], config_help: str) -> None:
    service = sub.add_parser("service", help="run the hub as a systemd service")
    service_sub = service.add_subparsers(dest="service_command", required=True)
    parser = service_sub.add_parser(
        "install",
        help="write and enable a hardened systemd unit",
        description="Write a systemd unit that runs `mihub run` as a dedicated user with no "
        "capabilities and only the data directory writable, create that user, and enable "
        "and start the unit (as root). --dry-run prints the unit and the commands instead.",
    )
    parser.add_argument("--config", type=Path, default=Path("config.yaml"), help=config_help)
    parser.add_argument("--user", default="mihub", help="the system user (default: mihub)")
    parser.add_argument(
        "--unit-dir",
        type=Path,
        default=Path("/etc/systemd/system"),
        help="where the unit goes (default: /etc/systemd/system)",
    )
    parser.add_argument(
        "--no-enable",
        action="store_true",
        help="only write the unit: no user, no permissions, no systemctl",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the unit and the commands, change nothing"
    )
    parser.set_defaults(handler=install)
