"""Placeholders in action text: ``{trigger.payload}``, ``{trigger.payload_json.value}``.

A placeholder is a dotted path into the run's data, looked up key by key. Nothing is
evaluated: an unknown path renders as an empty string and is reported in the trace.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}")


def lookup(data: dict[str, Any], path: str) -> tuple[bool, Any]:
    value: Any = data
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return False, None
    return True, value


def render(text: str, data: dict[str, Any], missing: list[str] | None = None) -> str:
    """Fill the placeholders of ``text``; the paths not found are appended to ``missing``."""
    if "{" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        found, value = lookup(data, match.group(1))
        if not found:
            if missing is not None:
                missing.append(match.group(1))
            return ""
        if isinstance(value, str):
            return value
        return json.dumps(value, separators=(",", ":"))

    return _PLACEHOLDER.sub(replace, text)
