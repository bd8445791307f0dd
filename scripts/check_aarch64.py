"""Does every dependency of mihub install on a Raspberry Pi (aarch64, Python 3.11) without a
compiler? (issue 13.5)

The dependency tree is the one installed in this environment (``mihub`` and what it requires,
recursively, at the versions installed here; extras such as ``dev`` are left out unless named).
For each distribution, pip is asked for a CPython 3.11 aarch64 wheel (manylinux2014, or up to
glibc 2.36: Raspberry Pi OS bookworm); without one, its sdist is built here and must give a
``py3-none-any`` wheel, that is pure Python. Needs PyPI; prints one line per distribution and
exits 1 when one would need a compiler on the Pi.

    .venv/bin/python scripts/check_aarch64.py [--extra NAME ...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

PLATFORMS = ("manylinux2014_aarch64", *(f"manylinux_2_{minor}_aarch64" for minor in range(17, 37)))
PIP = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet")


def dependency_tree(root: str, extras: set[str]) -> dict[str, str]:
    """name -> installed version, for ``root``'s requirements, recursively."""
    environment = {**default_environment(), "python_version": "3.11", "platform_machine": "aarch64"}
    found: dict[str, str] = {}
    todo = [(root, extras)]
    while todo:
        name, wanted = todo.pop()
        dist = metadata.distribution(name)
        for text in dist.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker and not any(
                marker.evaluate({**environment, "extra": e}) for e in wanted | {""}
            ):
                continue
            key = re.sub(r"[-_.]+", "-", requirement.name).lower()
            if key not in found:
                found[key] = metadata.version(requirement.name)
                todo.append((requirement.name, set(requirement.extras)))
    return found


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PIP, *args], capture_output=True, text=True, check=False)  # noqa: S603


def check(name: str, version: str, scratch: Path) -> tuple[bool, str]:
    wheels, pinned = scratch / name, f"{name}=={version}"
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    target = ["--python-version", "3.11", "--implementation", "cp", "-d", str(wheels)]
    if (
        _pip("download", "--no-deps", "--only-binary=:all:", *platforms, *target, pinned).returncode
        == 0
    ):
        return True, f"wheel {next(wheels.glob('*.whl')).name}"
    sdist = _pip("download", "--no-deps", "--no-binary=:all:", "-d", str(wheels), pinned)
    archives = [*wheels.glob("*.tar.gz"), *wheels.glob("*.zip")]
    if sdist.returncode != 0 or not archives:
        return False, "no aarch64 wheel and no sdist"
    _pip("wheel", "--no-deps", "-w", str(wheels / "built"), str(archives[0]))
    made = [wheel.name for wheel in (wheels / "built").glob("*.whl")]
    if made and made[0].endswith("-none-any.whl"):
        return True, f"pure Python (its sdist builds {made[0]})"
    what = made[0] if made else "no wheel here"
    return False, f"no aarch64 wheel; its sdist builds {what}: needs a compiler on the Pi"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extra", action="append", default=[], help="include an extra, e.g. dev")
    args = parser.parse_args()
    tree = dependency_tree("mihub", set(args.extra))
    failed = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, version in sorted(tree.items()):
            ok, how = check(name, version, Path(scratch))
            print(f"{'ok  ' if ok else 'FAIL'} {name}=={version}: {how}", flush=True)
            if not ok:
                failed.append(name)
    summary = f"{len(tree) - len(failed)} of {len(tree)} install on aarch64 / CPython 3.11"
    print(f"{summary} without a compiler" + (f"; not: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
