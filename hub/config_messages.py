"""Human words for what YAML and pydantic say about a config file.

PyYAML speaks of ``<block end>`` and ``<block mapping start>``, pydantic of "Extra inputs";
a person editing config.yaml wants to read what to change. Each message keeps the parser's
own words at the end, in parentheses, for whoever searches the web for them.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic_core import ErrorDetails

_TOKEN_FIELDS = {"token"}

# (pattern on PyYAML's problem, words); the first match wins.
_YAML_WORDS: list[tuple[str, str]] = [
    (r"found character '\\t'", "a tab character: YAML indents with spaces only"),
    (r"expected ',' or '\]'", "a list in [ ] is not closed (or lacks a comma between items)"),
    (r"expected ',' or '\}'", "a mapping in { } is not closed (or lacks a comma between items)"),
    (r"unexpected end of stream", "a quote or bracket is opened and never closed"),
    (r"found undefined alias", "an alias (*name) with no anchor (&name) before it"),
    (r"mapping values are not allowed here",
     "a ':' where none can be: a key is indented differently from its neighbours, or a value "
     "contains ': ' (put such a value in quotes)"),
    (r"expected <block end>, but found '\?'",
     "a key and a list item ('- ') are mixed at one level, or the key is indented wrongly"),
    (r"expected <block end>",
     "this line is indented differently from the lines above it at the same level"),
    (r"could not find expected ':'", "a key without ':' after it (or a value on a line of its "
     "own that is indented like a key)"),
    (r"found character '.' that cannot start any token",
     "a value starts with a character YAML reserves (@, `, %): put the value in quotes"),
]  # fmt: skip


def yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """``line:column: words (YAML: raw)`` for a syntax error."""
    mark = exc.problem_mark or exc.context_mark
    where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else "1"
    raw = exc.problem or exc.context or "invalid YAML"
    words = next((text for pattern, text in _YAML_WORDS if re.search(pattern, raw)), None)
    opened = ""
    if exc.context_mark is not None and exc.context and "flow" in exc.context:
        opened = f"; it opened on line {exc.context_mark.line + 1}"
    if words is None:
        return f"{where}: {raw}"
    return f"{where}: {words}{opened} (YAML: {raw})"


def field_problem(error: ErrorDetails, allowed: list[str] | None) -> str:
    """The words for one pydantic error; ``allowed``: the keys its mapping accepts."""
    loc = error["loc"]
    field = str(loc[-1]) if loc else ""
    kind = error["type"]
    value: Any = error.get("input")
    if kind == "extra_forbidden":
        listing = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"unknown key '{field}'{listing}"
    if field in _TOKEN_FIELDS:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (
                "a token of only digits is read by YAML as a number (and may lose leading "
                'zeros): quote it, e.g. token: "0123..."'
            )
        if kind == "string_pattern_mismatch":
            return f"a token is 32 hexadecimal characters (0-9, a-f); this one is {len(value)}"
    if kind == "missing":
        return "this key is required"
    return error["msg"]
