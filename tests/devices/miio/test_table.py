"""The bundled model tables: every one loads, and none drifts from what the generator writes."""

from __future__ import annotations

import copy
import json
import sys
from importlib import resources
from pathlib import Path

import pytest

from hub.devices.miio.models import TableError, bundled_tables, load_table, parse_table
from hub.errors import NotFound

ROOT = Path(__file__).resolve().parents[3]


def test_every_table_loads_and_names_its_model() -> None:
    models = bundled_tables()
    assert len(models) == 92
    dialects = {load_table(m).dialect for m in models}
    assert dialects == {"legacy", "miot"}
    for model in models:
        table = load_table(model)
        assert table.model == model
        if table.dialect == "legacy":
            assert table.read is not None
            assert table.properties
            assert any(p.feature == "power" for p in table.properties), model
        else:
            assert table.spec == model


def test_a_legacy_table_reads_as_python_miio_speaks() -> None:
    table = load_table("yeelink.light.color2")
    assert table.referee == "Yeelight"
    ct = table.property("ct")
    assert ct.set is not None
    assert ct.set.method == "set_ct_abx"
    assert ct.set.args == ("$value", "smooth", 500)
    assert ct.range == (2700.0, 6500.0, 1.0)  # specs.yaml
    assert [a.method for a in table.actions] == ["toggle"]


def test_an_unknown_model_names_the_supported_ones() -> None:
    with pytest.raises(NotFound, match=r"zhimi\.airpurifier\.v7"):
        load_table("acme.toaster.v1")


def test_unknown_keys_are_an_error_naming_where() -> None:
    path = resources.files("hub.devices.miio.models").joinpath("tables/zhimi.airpurifier.v7.json")
    data = json.loads(path.read_text("utf-8"))
    bad = copy.deepcopy(data)
    bad["properties"][2]["colour"] = "red"
    with pytest.raises(TableError, match=r"properties\[2\]: unknown keys \['colour'\]"):
        parse_table("v7.json", bad)
    bad = copy.deepcopy(data)
    bad["properties"][0]["codec"] = "yes_no"
    with pytest.raises(TableError, match=r"properties\[0\]: codec is 'yes_no'"):
        parse_table("v7.json", bad)


def test_committed_tables_equal_what_the_generator_writes() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_miio_tables  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    files = gen_miio_tables.generate()
    stale = [
        str(p.relative_to(ROOT)) for p, text in files.items()
        if not p.exists() or p.read_text("utf-8") != text
    ]  # fmt: skip
    assert not stale, "run: .venv/bin/python scripts/gen_miio_tables.py"
    for folder in gen_miio_tables.TABLE_DIRS:
        assert {p.name for p in folder.glob("*.json")} == {
            p.name for p in files if p.parent == folder
        }
