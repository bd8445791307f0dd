"""The API rig as a fixture."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.rig import Api, api_rig


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with api_rig(tmp_path) as rig:
        yield rig
