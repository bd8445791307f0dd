"""`mihub service install`: a unit systemd accepts, hardened as issue 13.4 asks, and log lines
that carry no second timestamp in the journal. Nothing is enabled on this machine: the unit is
printed (--dry-run) or written to a temporary directory (--no-enable)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hub.service.systemd import UnitSpec, render_unit


def mihub(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "etc" / "config.yaml"
    config.parent.mkdir()
    config.write_text("hub:\n  data_dir: ../var/mihub\n")
    return config


def _keys(unit: str) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for line in unit.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            keys.setdefault(key, []).append(value)
    return keys


def test_dry_run_prints_a_hardened_unit_and_what_it_would_run(tmp_path: Path) -> None:
    config = _config(tmp_path)
    done = mihub("service", "install", "--config", str(config), "--user", "hubuser", "--dry-run")
    assert done.returncode == 0, done.stderr
    keys = _keys(done.stdout)
    data_dir = str((tmp_path / "var" / "mihub").resolve())
    assert keys["User"] == ["hubuser"]
    assert keys["ExecStart"] == [f"{sys.executable} -m hub run --config {config}"]
    assert keys["Restart"] == ["on-failure"]
    assert "MALLOC_ARENA_MAX=1" in keys["Environment"]  # docs/PERFORMANCE.md: 1.7 MB less
    assert keys["ProtectSystem"] == ["strict"]
    assert [os.path.normpath(p) for p in keys["ReadWritePaths"]] == [data_dir]
    assert keys["CapabilityBoundingSet"] == [""]
    assert keys["AmbientCapabilities"] == [""]
    assert keys["NoNewPrivileges"] == ["yes"]
    assert keys["PrivateTmp"] == ["yes"]
    assert keys["ProtectHome"] == ["yes"]
    commands = [line for line in done.stdout.splitlines() if line.startswith("# then:")]
    assert commands[-1] == "# then: systemctl enable --now mihub.service"
    assert any("useradd --system" in line and line.endswith(" hubuser") for line in commands)
    assert not (tmp_path / "var").exists()  # a dry run changes nothing


def test_no_enable_writes_only_the_unit(tmp_path: Path) -> None:
    config = _config(tmp_path)
    units = tmp_path / "units"
    done = mihub(
        "service", "install", "--config", str(config), "--unit-dir", str(units), "--no-enable"
    )
    assert done.returncode == 0, done.stderr
    written = (units / "mihub.service").read_text()
    dry = mihub("service", "install", "--config", str(config), "--no-enable", "--dry-run")
    assert written in dry.stdout
    assert "systemctl" not in done.stdout


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (make systemd)",
)
def test_systemd_accepts_the_unit_and_rates_it_well(tmp_path: Path) -> None:
    config = _config(tmp_path)
    units = tmp_path / "units"
    mihub("service", "install", "--config", str(config), "--unit-dir", str(units), "--no-enable")
    unit = units / "mihub.service"
    verify = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert verify.returncode == 0, verify.stderr
    assert verify.stderr.strip() == ""  # no unknown key, no bad value: systemd warns and goes on
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(unit)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    level = re.search(r"Overall exposure level for mihub.service: ([0-9.]+)", security.stdout)
    assert level is not None, security.stdout + security.stderr
    print(f"systemd-analyze security: exposure {level.group(1)} (0 safest, 10 unprotected)")
    assert float(level.group(1)) <= 2.5


def test_a_hub_installed_under_home_can_still_read_it() -> None:
    spec = UnitSpec(
        "mihub",
        Path("/home/pi/mihub/config.yaml"),
        Path("/var/lib/mihub"),
        Path("/usr/bin/python3"),
    )
    assert _keys(render_unit(spec))["ProtectHome"] == ["read-only"]


def _log_line(tmp_path: Path, journal: bool) -> str:
    err = tmp_path / "stderr.txt"
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    with err.open("w") as stream:
        if journal:
            stat = os.fstat(stream.fileno())
            env["JOURNAL_STREAM"] = f"{stat.st_dev}:{stat.st_ino}"
        code = "import logging; from hub.service.journal import configure_logging; configure_logging(False); logging.getLogger('hub.test').warning('token rejected')"
        subprocess.run([sys.executable, "-c", code], stderr=stream, env=env, check=True, timeout=60)
    return err.read_text().strip()


def test_log_lines_carry_no_timestamp_in_the_journal_only(tmp_path: Path) -> None:
    assert _log_line(tmp_path, journal=True) == "<4>WARNING hub.test: token rejected"
    terminal = _log_line(tmp_path, journal=False)
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ WARNING hub.test: token rejected", terminal
    )
