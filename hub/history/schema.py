"""The history database's tables, and the small codes its rows use.

Every table is keyed time first, so a batch of new rows lands on the last few pages of each
table (few pages written per commit: an SD card is spared) and pruning old rows deletes from
the front. A feature's rows are found by one key seek per time block (a minute of raw rows,
a 5-minute statistic), which keeps a 7-day chart a few thousand seeks however many other
devices share the table.
"""

from __future__ import annotations

from hub.bus import Origin

BLOCK_MS = 60_000
"""Raw rows are keyed (block, entity, at): one block is a minute."""
BUCKET = 300
"""Statistics are kept per 5-minute bucket (seconds)."""

COMMAND, STATE = 0, 1
"""The ``kind`` of a raw row: in the same millisecond, a command sorts before its effect."""

ORIGINS: tuple[Origin, ...] = (
    Origin.DEVICE,
    Origin.API,
    Origin.AUTOMATION,
    Origin.SCENE,
    Origin.UNKNOWN,
    Origin.MQTT,
)
"""Origins as stored (their index); append only, never reorder."""
ORIGIN_CODES = {origin: code for code, origin in enumerate(ORIGINS)}

SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    feature TEXT NOT NULL,
    UNIQUE (device_id, feature)
);
CREATE TABLE IF NOT EXISTS events (
    block INTEGER NOT NULL,
    entity INTEGER NOT NULL,
    at INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    value,
    is_bool INTEGER NOT NULL,
    origin INTEGER NOT NULL,
    status TEXT,
    PRIMARY KEY (block, entity, at, kind)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS statistics (
    start INTEGER NOT NULL,
    entity INTEGER NOT NULL,
    mean REAL NOT NULL,
    min REAL NOT NULL,
    max REAL NOT NULL,
    first REAL,
    last REAL NOT NULL,
    PRIMARY KEY (start, entity)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS latest (
    entity INTEGER PRIMARY KEY,
    start INTEGER NOT NULL,
    last REAL NOT NULL
);
"""
"""``events``: raw state changes and commands (``at`` in ms, unique per feature and kind: a
second row in the same millisecond is recorded one millisecond later). ``statistics``: one row per
numeric feature per 5-minute bucket in which it changed (``first``: the value it held as the
bucket began, unknown for its first bucket ever; a bucket with no change has no row, its
value held). ``latest``: each numeric feature's last stored bucket, to know a held value."""
