"""What the phone's editors and first load stand on, over HTTP without a browser: automations
read and written as YAML (every error with its line and key), and the page's files served
gzipped once with an ETag, so a phone that has a file hears 304."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from hub.api.app import WEB
from tests.api.rig import Api, api_rig

YAML = {"Content-Type": "application/yaml"}
GOOD = """\
id: hall
alias: Hall light
trigger:
- platform: state
  device: thermo
  feature: temperature
  above: 25
condition:
- condition: time
  after: '18:00'
action:
- action: set
  device: lamp
  feature: power
  value: true
- action: notify
  message: warm
"""


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async with api_rig(tmp_path) as rig:
        yield rig


async def test_an_automation_goes_in_and_out_as_yaml(api: Api) -> None:
    created = await api.client.post("/api/automations", headers={**api.auth(), **YAML}, data=GOOD)
    assert created.status == 201, await created.text()
    assert (await created.json())["alias"] == "Hall light"
    answer = await api.client.get("/api/automations/hall?format=yaml", headers=api.auth())
    assert answer.status == 200
    assert answer.content_type == "application/yaml"
    text = await answer.text()
    assert text.startswith("id: hall\nalias: Hall light\ntrigger:\n")  # a person's order
    assert yaml.safe_load(text)["action"][1] == {"action": "notify", "message": "warm"}
    put = await api.client.put("/api/automations/hall", headers={**api.auth(), **YAML},
                               data=text.replace("above: 25", "above: 28"))  # fmt: skip
    assert put.status == 200, await put.text()
    assert api.ctx.engine is not None
    assert api.ctx.engine.get("hall").trigger[0].above == 28  # type: ignore[union-attr]
    bad = await api.client.get("/api/automations/hall?format=xml", headers=api.auth())
    assert bad.status == 422
    assert (await bad.json())["error"]["field"] == "format"


@pytest.mark.parametrize(("change", "line", "words"), [
    (("value: true", "value: maybe"), 15, "line 15: action.0.value: "),
    (("feature: power", "feature: powr"), 14, "line 14: action.0.feature: "),
    (("above: 25", "above: lots"), 7, "line 7: trigger.0.above: "),
    (("  message: warm", "  message: warm\n  colour: red"), 18, "line 18: action.1.colour: "),
    (("value: true", "value: [true"), 16, "a list in [ ] is not closed (or lacks a comma "
     "between items); it opened on line 15"),
    (("  after: '18:00'", "\tafter: '18:00'"), 10, "a tab character"),
    (("  message: warm", "  message: warm\n  message: cold"), 18,
     "line 18: key 'message' is given twice in one mapping (first on line 17)"),
])  # fmt: skip
async def test_a_yaml_error_names_its_line_and_key(
    api: Api, change: tuple[str, str], line: int, words: str
) -> None:
    text = GOOD.replace(*change)
    answer = await api.client.post("/api/automations", headers={**api.auth(), **YAML}, data=text)
    assert answer.status == 422
    message = (await answer.json())["error"]["message"]
    assert words in message, message
    assert message.startswith(f"line {line}"), message
    assert api.ctx.engine is not None
    assert api.ctx.engine.all() == []


async def test_the_page_is_served_gzipped_with_an_etag(api: Api) -> None:
    for name in ("", "app.js", "style.css", "boot.js"):
        answer = await api.client.get(f"/{name}", headers={"Accept-Encoding": "gzip"},
                                      auto_decompress=False)  # fmt: skip
        assert answer.status == 200
        assert answer.headers["Content-Encoding"] == "gzip"
        body = await answer.read()
        assert gzip.decompress(body) == (WEB / (name or "index.html")).read_bytes()
        assert len(body) < (WEB / (name or "index.html")).stat().st_size
        etag = answer.headers["ETag"]
        again = await api.client.get(f"/{name}", headers={"If-None-Match": etag})
        assert again.status == 304
        assert await again.read() == b""
    plain = await api.client.get("/app.js", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Content-Type"].startswith("text/javascript")
    assert await plain.read() == (WEB / "app.js").read_bytes()
