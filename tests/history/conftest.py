"""History tests run against both databases: SQLite (a file) and PostgreSQL (a real server,
a fresh database per test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.history import HistoryBackend, history_backend
from tests.history.postgres_server import fresh_database, postgres_server

MakeBackend = Callable[..., HistoryBackend]
"""``make()`` opens this test's history again (a restart); ``make(hub_id=...)``: another hub."""


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A PostgreSQL server's URL: the machine's, or a private one for this session."""
    with postgres_server() as url:
        yield url


@pytest.fixture
def postgres_database(postgres: str) -> Iterator[str]:
    """The URL of a new, empty database, dropped after the test."""
    with fresh_database(postgres) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def make_backend(request: pytest.FixtureRequest, tmp_path: Path) -> MakeBackend:
    url = request.getfixturevalue("postgres_database") if request.param == "postgres" else None

    def make(hub_id: str = "home") -> HistoryBackend:
        return history_backend(url, tmp_path, hub_id)

    return make
