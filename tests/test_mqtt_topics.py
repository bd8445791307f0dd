import re

import pytest

from hub.mqtt_topics import publish_topic, topic_filter, topic_matches


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        ("a/+/c", "a/b/c", True),
        ("a/+/c", "a/b/d", False),
        ("a/#", "a", True),
        ("a/#", "a/b/c", True),
        ("#", "a/b", True),
        ("+/b", "a/b", True),
        ("+", "a/b", False),
        ("#", "$SYS/broker", False),
        ("a/+", "a/", True),
    ],
)
def test_mqtt_wildcards(pattern: str, topic: str, matches: bool) -> None:
    assert topic_matches(tuple(pattern.split("/")), topic.split("/")) is matches


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("a+b", "'+' must be a whole level"),
        ("a/#/b", "'#' must be a whole level and the last one"),
        ("a#", "'#' must be a whole level"),
        ("", "at least one character"),
        ("a\0b", "NUL"),
        ("a" * 65536, "at most 65535 bytes"),
    ],
)
def test_a_bad_filter_is_refused_with_the_reason(pattern: str, says: str) -> None:
    with pytest.raises(ValueError, match=re.escape(says)):
        topic_filter(pattern)


def test_filters_and_publish_topics_follow_the_spec() -> None:
    assert topic_filter("home/+/temperature") == "home/+/temperature"
    assert topic_filter("#") == "#"
    assert publish_topic("home/hall/light") == "home/hall/light"
    with pytest.raises(ValueError, match="no wildcards"):
        publish_topic("home/+/light")
