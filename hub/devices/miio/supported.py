"""Generate docs/SUPPORTED.md from the bundled spec files: ``python -m hub.devices.miio.supported``.

A test fails when the committed file drifts from what this prints.
"""

from __future__ import annotations

import sys

from hub.devices.miio.features import derive_features
from hub.devices.miio.spec import bundled_models, load_spec


def render_supported() -> str:
    lines = [
        "# Supported miIO / MIoT devices",
        "",
        "Generated from `hub/devices/miio/specs/` by `python -m hub.devices.miio.supported`;",
        "do not edit by hand. Adding a model is adding its MIoT spec file there.",
        "",
        "| model | type | features |",
        "|---|---|---|",
    ]
    for model in bundled_models():
        spec = load_spec(model)
        features = derive_features(spec).features.values()
        described = ", ".join(f"`{f.id}` ({f.kind})" for f in features)
        lines.append(f"| `{model}` | {spec.device_type} ({spec.description}) | {described} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_supported())
