"""Per-model data: which dialect each model speaks and its legacy miIO tables."""

from hub.devices.miio.models.table import (
    LegacyAction,
    LegacyProperty,
    LegacySetter,
    ModelTable,
    ReadPlan,
    TableError,
    bundled_tables,
    load_table,
    parse_table,
)

__all__ = [
    "LegacyAction",
    "LegacyProperty",
    "LegacySetter",
    "ModelTable",
    "ReadPlan",
    "TableError",
    "bundled_tables",
    "load_table",
    "parse_table",
]
