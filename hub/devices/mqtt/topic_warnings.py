"""TopicWarnings: say what is wrong with a topic's messages once, not once per message.

A sensor that sends a malformed payload every 10 s must not fill the log; the first warning
names the topic and the problem, later ones are counted and kept quiet.
"""

from __future__ import annotations

import logging
from typing import Any


class TopicWarnings:
    __slots__ = ("_logger", "_seen", "suppressed")

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._seen: set[tuple[str, str]] = set()
        self.suppressed = 0

    def warn(self, topic: str, problem: str, detail: Any = None) -> None:
        """Log ``problem`` for ``topic`` the first time only (per topic and problem)."""
        key = (topic, problem)
        if key in self._seen:
            self.suppressed += 1
            return
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen.add(key)
        if detail is None:
            self._logger.warning("MQTT topic '%s': %s", topic, problem)
        else:
            self._logger.warning("MQTT topic '%s': %s: %.120r", topic, problem, detail)
