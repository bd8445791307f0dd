"""`mihub run` either starts or exits 1 promptly, its last line naming what failed."""

from __future__ import annotations

import asyncio
import gc
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hub import cli
from tests.hub_process import HubProcess
from tests.waiting import until


async def run_until_exit(hub: HubProcess, seconds: float = 20.0) -> tuple[int, str, float]:
    """Run ``mihub run`` on ``hub``'s config; its exit code, stderr and run time."""
    hub.write_config()
    began = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.cli", "run", "--config", str(hub.config),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), seconds)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"mihub run was still running after {seconds} s") from None
    return process.returncode or 0, stderr.decode(), time.monotonic() - began


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


async def test_a_taken_port_exits_1_promptly_naming_the_address(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", hub.port))
        taken.listen()
        code, stderr, took = await run_until_exit(hub)
    assert code == 1, stderr
    assert last_line(stderr) == (
        f"mihub: cannot listen for the API on 127.0.0.1:{hub.port}: address already in use"
    )
    assert "Traceback" not in stderr
    print(f"taken port: exit 1 after {took:.2f} s (interpreter start included)")


async def test_a_store_that_cannot_be_opened_exits_1_naming_its_path(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path)
    hub.db.mkdir(parents=True)  # a directory where the database file should be
    code, stderr, _ = await run_until_exit(hub)
    assert code == 1, stderr
    assert last_line(stderr).startswith(f"mihub: cannot open the store {hub.db}: ")
    assert "Traceback" not in stderr


async def test_a_bad_config_exits_1_naming_the_file_and_line(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path, extra_config="rooms: [Hall]\nhub:\n  no_such_key: 1\n")
    code, stderr, _ = await run_until_exit(hub)
    assert code == 1, stderr
    assert last_line(stderr).startswith(f"mihub: {hub.config}:")
    assert "Traceback" not in stderr


async def test_a_hub_that_starts_answers_and_stops_with_0(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path)
    await hub.seed()
    await hub.start()
    assert await hub.stop() == 0


def test_a_command_loads_no_operator_module_and_leaves_the_collector_on(tmp_path: Path) -> None:
    """`mihub check-config` (like `run`) does not import the operator's commands (onboard,
    backup, service...), which `mihub --help` still lists; main() pauses the cycle collector
    while a command runs and leaves it as it found it."""
    config = tmp_path / "config.yaml"
    config.write_text(f"hub:\n  data_dir: {tmp_path / 'data'}\n")
    probe = (
        "import gc, sys\n"
        "from hub.cli import main\n"
        f"code = main(['check-config', {str(config)!r}])\n"
        "loaded = [m for m in ('hub.service.backup', 'hub.service.systemd',\n"
        "          'hub.onboarding.provision', 'hub.onboarding.tokens') if m in sys.modules]\n"
        "print(code, gc.isenabled(), loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines()[-1] == "0 True []", done.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "hub.cli", "--help"], capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    for command in ("onboard", "import-tokens", "service", "backup", "restore"):
        assert command in listed.stdout


async def test_a_running_hub_collects_again_and_settles_the_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Once started, the collector runs again at once; a moment later the start's garbage is
    collected and its objects frozen (moved out of every later collection's way)."""
    monkeypatch.setattr(cli, "SETTLE_AFTER", 0.01)
    gc.disable()
    try:
        cli._collect_from_now_on()
        assert gc.isenabled()
        await until(lambda: gc.get_freeze_count() > 0, 5)
    finally:
        gc.unfreeze()
        gc.enable()
