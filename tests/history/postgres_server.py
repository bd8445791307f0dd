"""A PostgreSQL server for tests, and a fresh database per test on it.

The machine's server on 127.0.0.1:5432 (trust auth) when one answers there; otherwise a
private one, made with Debian's ``initdb`` and ``pg_ctl`` in a temporary directory on a free
port, run as the ``postgres`` user (or ``nobody``) when we are root, as PostgreSQL refuses
root. Never a skip: without a server and without the package, the fixture fails saying how to
install it (``make test`` does).

Each test gets a database of its own (``CREATE DATABASE mihub_test_<random>``), dropped after
it, so parallel workers and a second suite never see each other's rows.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from tests.mqtt_broker import free_port

MACHINE_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


class PrivatePostgres:
    """initdb + pg_ctl in a temporary directory, on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not binaries:
            raise RuntimeError(
                "no PostgreSQL server on 127.0.0.1:5432 and none installed to start: "
                "run `make test` (it installs Debian's postgresql) or apt-get install postgresql"
            )
        self.bin = Path(binaries[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="mihub-postgres-"))
        self.port = free_port()
        self.user = self._unprivileged_user() if os.geteuid() == 0 else None
        if self.user is not None:
            os.chmod(self.dir, 0o755)  # noqa: S103 - the server's user must enter it
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)

    @staticmethod
    def _unprivileged_user() -> str:
        for name in ("postgres", "nobody"):
            with contextlib.suppress(KeyError):
                pwd.getpwnam(name)
                return name
        raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL")

    def _run(self, *command: str) -> None:
        argv = list(command)
        if self.user is not None:
            argv = ["runuser", "-u", self.user, "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, cwd=self.dir, timeout=120)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        data = str(self.dir / "data")
        self._run(
            str(self.bin / "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off"
        log = str(self.dir / "server.log")
        self._run(str(self.bin / "pg_ctl"), "-D", data, "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(
                str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"
            )
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of a server this test session may create databases on."""
    url = os.environ.get("MIHUB_TEST_POSTGRES", MACHINE_SERVER)
    if _answers(url):
        yield url
        return
    server = PrivatePostgres()
    try:
        server.start()
        yield server.url
    finally:
        server.stop()


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server; dropped (connections and all) afterwards."""
    name = f"mihub_test_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")  # a name we made: letters, digits, _
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
