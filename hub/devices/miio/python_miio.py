"""python-miio's codec module, imported without the rest of python-miio.

``import miio.protocol`` first runs ``miio/__init__.py``, which imports every device
integration python-miio has (click, its cloud client, hundreds of classes): about 37 MB of
resident memory the hub never uses, over half of a Raspberry Pi budget. The hub needs only
``miio.protocol`` (and the ``miio.exceptions`` it imports). So the ``miio`` package object is
created without running its ``__init__``; the first time anything asks it for another name
(python-miio's own client, in the interop tests), the real ``__init__`` runs in place and
everything behaves as after a plain ``import miio``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any


def load_protocol() -> Any:
    """Return the ``miio.protocol`` module, importing as little of python-miio as possible."""
    if "miio" in sys.modules:
        return importlib.import_module("miio.protocol")
    spec = importlib.util.find_spec("miio")
    if spec is None or spec.loader is None:
        raise ImportError("python-miio is not installed")
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader
    initialised = False

    def complete(name: str) -> Any:
        nonlocal initialised
        if initialised:
            raise AttributeError(f"module 'miio' has no attribute {name!r}")
        initialised = True
        loader.exec_module(package)
        return getattr(package, name)

    package.__getattr__ = complete  # type: ignore[method-assign]
    sys.modules["miio"] = package
    return importlib.import_module("miio.protocol")
