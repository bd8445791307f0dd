"""MQTT topic rules, in one place: what a filter or a publish topic may be, and what matches.

The automation models (checking a trigger's filter or an action's topic at the edge), the
trigger index (matching a message to wildcard triggers) and the MQTT connection (refusing a
filter before paho or the broker sees it, routing messages to callbacks) all follow these
rules, as the MQTT 3.1.1 / 5 specifications state them.
"""

from __future__ import annotations

MAX_TOPIC_BYTES = 65535
"""A topic's UTF-8 length limit (the length field is two bytes)."""


def _topic(value: str) -> str:
    if not value:
        raise ValueError("a topic is at least one character")
    if "\0" in value:
        raise ValueError("a topic must not contain NUL")
    if len(value.encode()) > MAX_TOPIC_BYTES:
        raise ValueError(f"a topic is at most {MAX_TOPIC_BYTES} bytes")
    return value


def topic_filter(value: str) -> str:
    """Check a subscription filter: ``+`` and ``#`` only as whole levels, ``#`` last.

    Raises ValueError saying what is wrong; returns the filter unchanged.
    """
    _topic(value)
    levels = value.split("/")
    for number, level in enumerate(levels):
        if "#" in level and (level != "#" or number != len(levels) - 1):
            raise ValueError(f"'#' must be a whole level and the last one ('home/#'): {value!r}")
        if "+" in level and level != "+":
            raise ValueError(f"'+' must be a whole level, as in 'home/+/temperature': {value!r}")
    return value


def publish_topic(value: str) -> str:
    """Check a topic to publish to: no wildcards."""
    _topic(value)
    if "+" in value or "#" in value:
        raise ValueError(f"a topic to publish to has no wildcards ('+' or '#'): {value!r}")
    return value


def is_wildcard(value: str) -> bool:
    return "+" in value or "#" in value


def topic_matches(levels: tuple[str, ...] | list[str], topic: list[str]) -> bool:
    """Whether a filter (split into ``levels``) matches a topic (split too).

    ``+`` is one level, a final ``#`` any number of levels (even none); wildcards at the
    start never match a ``$`` topic (``$SYS/...``).
    """
    if topic and topic[0].startswith("$") and levels[0] in ("+", "#"):
        return False
    for number, level in enumerate(levels):
        if level == "#":
            return True
        if number >= len(topic) or (level != "+" and level != topic[number]):
            return False
    return len(topic) == len(levels)
