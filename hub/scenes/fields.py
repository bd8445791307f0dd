"""The field types of scene and automation definitions, each bounded and checked once, here.

Config files and API bodies go through the same models (hub/scenes/model.py), so whatever is
accepted can be stored, listed, serialised and run: durations are finite and at most a week,
topics are valid MQTT, text has a length limit and no control characters, and nesting and
counts have ceilings. A value outside them is an error that says what is allowed.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from hub.mqtt_topics import publish_topic, topic_filter

MAX_DURATION = 7 * 86400.0
"""Delays, waits and ``for``: at most a week (longer belongs in a time or cron trigger)."""
MAX_OFFSET = 86400.0
"""Sun offsets: at most a day before or after."""
MAX_REPEAT = 10_000
"""A ``repeat``'s ``count`` and ``max_iterations`` ceiling."""
DEFAULT_MAX_ITERATIONS = 1000
"""A ``while`` / ``until`` repeat without ``max_iterations`` stops after this many."""
MAX_NESTING = 20
"""Levels of nested conditions and actions (and/or/not, choose, repeat, while/until)."""
MAX_JSON_DEPTH = 100
"""Containers inside containers in a raw definition, checked before the models see it."""
MAX_NAME = 200
MAX_TEXT = 10_000
MAX_ITEMS = 1000
"""Triggers, conditions or actions in one list."""
MAX_TARGETS = 10_000


def _text_without(controls: str) -> Any:
    def check(value: str) -> str:
        for char in value:
            if (ord(char) < 32 or ord(char) == 127) and char not in controls:
                raise ValueError(f"must not contain control characters (found {char!r})")
        return value

    return check


Name = Annotated[str, Field(max_length=MAX_NAME), AfterValidator(_text_without(""))]
"""A name or alias: one line of at most 200 characters."""
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_text_without("\n\t"))]
"""Free text (descriptions, messages): lines and tabs allowed, other control characters not."""
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
_one_line = AfterValidator(_text_without(""))
Reference = Annotated[str, Field(min_length=1, max_length=MAX_NAME), _one_line]
"""A device, feature or event id named by a definition."""

Number = Annotated[float, Field(allow_inf_nan=False)]
Scalar = bool | int | Number | Annotated[str, Field(max_length=MAX_TEXT)]


def _seconds(value: Any) -> Any:
    """Durations as seconds (``90``), ``"HH:MM:SS"`` / ``"MM:SS"``, or ``{minutes: 1, ...}``."""
    if isinstance(value, str) and ":" in value:
        sign = -1 if value.startswith("-") else 1
        try:
            parts = [float(p) for p in value.lstrip("+-").split(":")]
        except ValueError:
            return value  # pydantic reports it as not a number
        if len(parts) > 3:
            return value
        total = 0.0
        for part in parts:
            total = total * 60 + part
        return sign * total
    if isinstance(value, dict):
        units = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 0.001}
        if value and set(value) <= set(units):
            try:
                return sum(float(v) * units[k] for k, v in value.items())
            except (TypeError, ValueError):
                raise ValueError(f"durations are numbers of {', '.join(units)}") from None
    return value


def _within(limit: float, what: str) -> Any:
    def check(value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number of seconds, at most {what}")
        if abs(value) > limit:
            raise ValueError(f"must be at most {what} ({limit:g} s), got {value:g} s")
        return value

    return check


_week = AfterValidator(_within(MAX_DURATION, "7 days"))
Duration = Annotated[float, BeforeValidator(_seconds), _week]
"""Seconds; YAML may say ``90``, ``"00:01:30"`` or ``{minutes: 1, seconds: 30}``."""
Offset = Annotated[float, BeforeValidator(_seconds), AfterValidator(_within(MAX_OFFSET, "1 day"))]
"""A signed duration of at most a day (sun offsets)."""


def _repeat_ceiling(value: int | None) -> int | None:
    if value is not None and value > MAX_REPEAT:
        raise ValueError(
            f"a repeat runs at most {MAX_REPEAT} times, got {value}; for longer work use "
            "a while/until loop with a delay, or a time or cron trigger"
        )
    return value


RepeatCount = Annotated[int, Field(ge=0), AfterValidator(_repeat_ceiling)]


TopicFilter = Annotated[str, AfterValidator(topic_filter)]
PublishTopic = Annotated[str, AfterValidator(publish_topic)]


def json_depth(data: Any) -> int:
    """How deeply lists and dicts nest in ``data`` (without recursion: any input is safe)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def not_too_deep(data: Any) -> Any:
    """A before-validator: refuse a definition nested beyond :data:`MAX_JSON_DEPTH`."""
    if json_depth(data) > MAX_JSON_DEPTH:
        raise ValueError(
            f"nested more than {MAX_JSON_DEPTH} levels deep; conditions and actions nest at "
            f"most {MAX_NESTING} levels"
        )
    return data
