"""Placeholders in action text: ``{trigger.payload}``, ``{trigger.payload_json.value}``.

A placeholder is a dotted path into the run's data, looked up key by key (list items by
index). Nothing is evaluated: an unknown path renders as an empty string and is reported in
the trace. ``{{`` and ``}}`` stand for literal braces. A template is parsed once and cached,
so rendering is a few dict look-ups and one join.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\}")
_CACHE_LIMIT = 4096


def lookup(data: Any, path: str | tuple[str, ...]) -> tuple[bool, Any]:
    """Follow ``path`` (dotted, or already split) into dicts and lists."""
    value = data
    for part in path.split(".") if isinstance(path, str) else path:
        if isinstance(value, dict):
            if part not in value:
                return False, None
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


@dataclass(frozen=True, slots=True)
class Template:
    """Literal text and placeholders, alternating: ``parts[0]`` literal, ``parts[1]`` a path..."""

    literals: tuple[str, ...]
    paths: tuple[tuple[str, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        literals: list[str] = []
        paths: list[tuple[str, ...]] = []
        current: list[str] = []
        position = 0
        for match in _PLACEHOLDER.finditer(text):
            current.append(text[position : match.start()])
            position = match.end()
            token = match.group(0)
            if token in ("{{", "}}"):
                current.append(token[0])
                continue
            literals.append("".join(current))
            current = []
            paths.append(tuple(match.group(1).split(".")))
        current.append(text[position:])
        literals.append("".join(current))
        return cls(tuple(literals), tuple(paths))

    def render(self, data: dict[str, Any], missing: list[str] | None = None) -> str:
        literals = self.literals
        if not self.paths:
            return literals[0]
        out = [literals[0]]
        for number, path in enumerate(self.paths, 1):
            found, value = lookup(data, path)
            if not found:
                if missing is not None:
                    missing.append(".".join(path))
            elif isinstance(value, str):
                out.append(value)
            else:
                out.append(json.dumps(value, separators=(",", ":")))
            out.append(literals[number])
        return "".join(out)


_templates: dict[str, Template] = {}


def compile_template(text: str) -> Template:
    template = _templates.get(text)
    if template is None:
        if len(_templates) >= _CACHE_LIMIT:
            _templates.clear()
        template = _templates[text] = Template.parse(text)
    return template


def render(text: str, data: dict[str, Any], missing: list[str] | None = None) -> str:
    """Fill the placeholders of ``text``; the paths not found are appended to ``missing``."""
    if "{" not in text and "}" not in text:
        return text
    return compile_template(text).render(data, missing)
