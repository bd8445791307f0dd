"""What the hub knows of a model: its dialect, family and name, from bundled data.

A model with a table (hub/devices/miio/models/tables/<model>.json) speaks the table's dialect;
a MIoT model takes its features from its spec file, so a model with only a spec file (dropped
in by a user) still works, as MIoT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hub.devices.miio.dialects.dialect import Dialect
from hub.devices.miio.dialects.miot import MiotDialect
from hub.devices.miio.features import derive_features
from hub.devices.miio.spec import bundled_models, load_spec
from hub.errors import NotFound


@dataclass(frozen=True, slots=True)
class ModelProfile:
    model: str
    dialect: str
    family: str
    description: str
    new_dialect: Callable[[], Dialect]
    """A dialect object for one device of this model (cheap: the model data is shared)."""


def profile(model: str) -> ModelProfile:
    """How to speak to ``model``; NotFound naming the supported models."""
    try:
        spec = load_spec(model)
    except NotFound:
        raise NotFound(
            f"model '{model}' is not supported; supported: {', '.join(supported_models())}"
        ) from None
    derived = derive_features(spec)
    return ModelProfile(
        model, "miot", spec.device_type, spec.description, lambda: MiotDialect(derived)
    )


def supported_models() -> list[str]:
    return bundled_models()
