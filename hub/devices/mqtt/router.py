"""TopicRouter: which callbacks a message goes to, decided once per topic.

MQTT wildcard matching against every filter costs microseconds per message; a home has a
bounded set of topics, so each topic is matched once and then found by exact-topic dict
look-up. Any change to the subscriptions clears that table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from hub.mqtt_topics import topic_filter as check_filter
from hub.mqtt_topics import topic_matches

_LOGGER = logging.getLogger(__name__)

MessageCallback = Callable[[str, bytes, bool], None]
"""``callback(topic, payload, retain)``, called on the loop for every matching message."""

_ROUTE_CACHE_LIMIT = 4096


class TopicRouter:
    __slots__ = ("_filters", "_routes")

    def __init__(self) -> None:
        self._filters: dict[str, list[MessageCallback]] = {}
        self._routes: dict[str, tuple[MessageCallback, ...]] = {}

    @property
    def filters(self) -> list[str]:
        return list(self._filters)

    def add(self, topic_filter: str, callback: MessageCallback) -> None:
        check_filter(topic_filter)  # ValueError saying what is wrong
        self._filters.setdefault(topic_filter, []).append(callback)
        self._routes.clear()

    def remove(self, topic_filter: str, callback: MessageCallback) -> bool:
        """Remove one callback; ``True`` when nothing listens on ``topic_filter`` any more."""
        callbacks = self._filters.get(topic_filter)
        if callbacks is None:
            return False
        if callback in callbacks:
            callbacks.remove(callback)
            self._routes.clear()
        if callbacks:
            return False
        del self._filters[topic_filter]
        return True

    def dispatch(self, topic: str, payload: bytes, retain: bool) -> None:
        callbacks = self._routes.get(topic)
        if callbacks is None:
            callbacks = self._match(topic)
        for callback in callbacks:
            try:
                callback(topic, payload, retain)
            except Exception:
                _LOGGER.exception("MQTT callback %r failed on topic '%s'", callback, topic)

    def _match(self, topic: str) -> tuple[MessageCallback, ...]:
        if len(self._routes) >= _ROUTE_CACHE_LIMIT:
            self._routes.clear()
        levels = topic.split("/")
        callbacks = tuple(
            callback
            for topic_filter, subscribed in self._filters.items()
            if topic_matches(topic_filter.split("/"), levels)
            for callback in subscribed
        )
        self._routes[topic] = callbacks
        return callbacks
