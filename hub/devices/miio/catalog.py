"""What the hub knows of a model: its dialect, family and name, from bundled data.

A model with a table (hub/devices/miio/models/tables/<model>.json) speaks the table's dialect:
legacy miIO driven by the table, or MIoT with features from the spec file the table names. A
model with only a spec file (dropped in by a user) still works, as MIoT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hub.devices.miio.dialects.dialect import Dialect
from hub.devices.miio.dialects.legacy import LegacyDialect
from hub.devices.miio.dialects.miot import MiotDialect
from hub.devices.miio.features import derive_features
from hub.devices.miio.models.table import bundled_tables, load_table
from hub.devices.miio.spec import bundled_models, load_spec
from hub.errors import NotFound


@dataclass(frozen=True, slots=True)
class ModelProfile:
    model: str
    dialect: str
    family: str
    description: str
    referee: str | None
    """python-miio's class that verifies the model (None for a dropped-in spec)."""
    new_dialect: Callable[[], Dialect]
    """A dialect object for one device of this model (cheap: the model data is shared)."""


def profile(model: str) -> ModelProfile:
    """How to speak to ``model``; NotFound naming the supported models."""
    known = model in bundled_tables()
    generic = f"{model.rpartition('.')[0]}.generic"
    if known or (model not in bundled_models() and generic in bundled_tables()):
        table = load_table(model if known else generic)
        if table.dialect == "legacy":
            return ModelProfile(
                model, "legacy", table.family, table.description, table.referee,
                lambda: LegacyDialect(table),
            )  # fmt: skip
        derived = derive_features(load_spec(table.spec or model))
        return ModelProfile(
            model, "miot", table.family, table.description, table.referee,
            lambda: MiotDialect(derived),
        )  # fmt: skip
    if model in bundled_models():
        spec = load_spec(model)
        derived = derive_features(spec)
        return ModelProfile(
            model, "miot", spec.device_type, spec.description, None, lambda: MiotDialect(derived)
        )
    raise NotFound(f"model '{model}' is not supported; supported: {', '.join(supported_models())}")


def supported_models() -> list[str]:
    return sorted(set(bundled_tables()) | set(bundled_models()))
