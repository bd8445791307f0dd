"""The service worker keeps every file the page is made of, so a phone that loses the hub still
opens the whole page: a file missing from its list (a new module, say) would leave the page
broken offline, which a browser test only notices on the screen that imports it."""

from __future__ import annotations

import json
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "hub" / "api" / "web"


def shell_list() -> list[str]:
    source = (WEB / "sw.js").read_text()
    found = re.search(r"const SHELL = (\[.*?\]);", source, re.DOTALL)
    assert found, "sw.js has no SHELL list"
    listed: list[str] = json.loads(found.group(1))
    return listed


def test_the_worker_keeps_every_file_of_the_page() -> None:
    files = {
        "/" if p.name == "index.html" else "/" + p.name for p in WEB.iterdir() if p.name != "sw.js"
    }
    assert sorted(files - set(shell_list())) == []  # a page file the worker would not keep
    assert sorted(set(shell_list()) - files) == []  # a name with no file: install would fail
