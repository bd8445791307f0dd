"""Filters that keep secrets out of the log at every level (the format and handlers are
:mod:`hub.service.journal`'s).

Secrets (device tokens, API tokens, pairing codes, MQTT passwords) are never logged by the
hub's own code. Two libraries would log them at DEBUG (``mihub -v``) if let:

- aiosqlite logs every call it runs on its thread, with its arguments: the SQL parameters,
  which hold the stored device tokens and the hashes of API tokens and pairing codes;
- aiohttp logs a request it cannot parse with the raw bytes, an ``Authorization`` header
  among them (:class:`hub.api.middleware.RawRequestRedactor`, installed with the API).

The store installs the first filter on the library's own logger when it opens, so it holds
whatever handlers and levels are configured, by ``mihub`` or by a program embedding the hub.
"""

from __future__ import annotations

import logging


class SqlParameterRedactor(logging.Filter):
    """Drop aiosqlite's DEBUG records (``executing <call with its SQL parameters>``, two per
    query: noise that holds secrets); its warnings and errors pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO


def redact_sql_parameters() -> None:
    """Install :class:`SqlParameterRedactor` on aiosqlite's logger (once)."""
    logger = logging.getLogger("aiosqlite")
    if not any(isinstance(f, SqlParameterRedactor) for f in logger.filters):
        logger.addFilter(SqlParameterRedactor())
