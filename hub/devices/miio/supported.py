"""Generate docs/SUPPORTED.md from the bundled tables and spec files:
``python -m hub.devices.miio.supported > docs/SUPPORTED.md``.

A test fails when the committed file drifts from what this prints.
"""

from __future__ import annotations

import sys

from hub.devices.miio.catalog import profile, supported_models
from hub.devices.miio.spec import load_spec

BUILT = "spec built from python-miio's mapping"


def _verified(model: str, referee: str | None, dialect: str) -> str:
    if referee is None:
        return "spec file only (not verified)"
    text = f"verified against python-miio's `{referee}`"
    if dialect == "miot" and BUILT in load_spec(model).description:
        text += f"; {BUILT}"
    return text


def render_supported() -> str:
    models = supported_models()
    lines = [
        "# Supported miIO / MIoT devices",
        "",
        "Generated from `hub/devices/miio/models/tables/` and `hub/devices/miio/specs/` by",
        "`python -m hub.devices.miio.supported`; do not edit by hand. A model's table (written",
        "from python-miio by `scripts/gen_miio_tables.py`) says which dialect its firmware speaks",
        "on the LAN: legacy miIO (`get_prop` / `set_*`) or MIoT (`get_properties` by siid/piid).",
        "Adding a MIoT model is adding its spec file. Cameras get a `snapshot` feature where a",
        "`snapshot_url` is configured (stock firmware serves no picture on the LAN).",
        "",
        f"{len(models)} models.",
        "",
        "| model | dialect | family | features | verification |",
        "|---|---|---|---|---|",
    ]
    for model in models:
        found = profile(model)
        features = found.new_dialect().features.values()
        described = ", ".join(f"`{f.id}` ({f.kind})" for f in features)
        named = f"`{model}` ({found.description})"
        if model.endswith(".generic"):
            named += f"; any other `{model.removesuffix('generic')}*` model"
        lines.append(
            f"| {named} | {found.dialect} | {found.family} | "
            f"{described} | {_verified(model, found.referee, found.dialect)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_supported())
