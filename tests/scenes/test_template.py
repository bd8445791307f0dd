"""Placeholders: dotted paths into the trigger's data, never evaluated."""

from __future__ import annotations

from hub.scenes.template import Template, lookup, render

DATA = {
    "trigger": {
        "payload": '{"value": 3}',
        "payload_json": {"value": 3, "on": True, "list": [10, {"x": "y"}], "none": None},
        "value": 21.5,
    },
    "automation": "a1",
}


def test_paths_reach_into_dicts_and_lists() -> None:
    assert render("{trigger.payload}", DATA) == '{"value": 3}'
    assert render("v={trigger.payload_json.value}", DATA) == "v=3"
    assert render("{trigger.payload_json.list.1.x}", DATA) == "y"
    assert render("{trigger.value} C in {automation}", DATA) == "21.5 C in a1"


def test_values_that_are_not_text_are_written_as_json() -> None:
    assert render("{trigger.payload_json.on}", DATA) == "true"
    assert render("{trigger.payload_json.none}", DATA) == "null"
    assert render("{trigger.payload_json.list}", DATA) == '[10,{"x":"y"}]'


def test_unknown_paths_render_empty_and_are_reported() -> None:
    missing: list[str] = []
    assert render("[{trigger.nope}|{trigger.payload_json.list.7}]", DATA, missing) == "[|]"
    assert missing == ["trigger.nope", "trigger.payload_json.list.7"]


def test_nothing_is_evaluated() -> None:
    for text in ("{__import__('os')}", "{trigger.value + 1}", "{trigger.value*2}"):
        assert render(text, DATA) == text
    assert render("{{literal}} {trigger.value}", DATA) == "{literal} 21.5"
    assert render("no placeholders", DATA) == "no placeholders"


def test_a_template_is_parsed_into_literals_and_paths() -> None:
    template = Template.parse("a{x.y}b{z}")
    assert template.literals == ("a", "b", "")
    assert template.paths == (("x", "y"), ("z",))
    assert lookup({"x": [1, 2]}, "x.1") == (True, 2)
    assert lookup({"x": 1}, "x.y") == (False, None)
