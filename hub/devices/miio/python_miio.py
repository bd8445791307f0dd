"""python-miio's codec module, imported without the rest of python-miio.

``import miio.protocol`` first runs ``miio/__init__.py``, which imports every device
integration python-miio has (click, its cloud client, hundreds of classes): about 37 MB of
resident memory the hub never uses, over half of a Raspberry Pi budget. The hub needs only
``miio.protocol`` (and the ``miio.exceptions`` it imports). So the ``miio`` package object is
created without running its ``__init__``; the first time anything asks it for another name or
imports another of its modules (python-miio's own client, in the interop tests), the real
``__init__`` runs in place and everything behaves as after a plain ``import miio``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

_CODEC_MODULES = frozenset({"miio.protocol", "miio.exceptions"})


class _Completion(importlib.abc.MetaPathFinder):
    """Runs the real ``miio/__init__`` before any other python-miio module is imported."""

    def __init__(self, package: ModuleType, loader: importlib.abc.Loader) -> None:
        self.package = package
        self.loader = loader
        self.done = False

    def complete(self) -> None:
        if self.done:
            return
        self.done = True
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        del self.package.__getattr__
        self.loader.exec_module(self.package)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> None:
        if fullname.startswith("miio.") and fullname not in _CODEC_MODULES:
            self.complete()

    def getattr(self, name: str) -> Any:
        if self.done:
            raise AttributeError(f"module 'miio' has no attribute {name!r}")
        self.complete()
        return getattr(self.package, name)


def load_protocol() -> Any:
    """Return the ``miio.protocol`` module, importing as little of python-miio as possible."""
    if "miio" in sys.modules:
        return importlib.import_module("miio.protocol")
    spec = importlib.util.find_spec("miio")
    if spec is None or spec.loader is None:
        raise ImportError("python-miio is not installed")
    package = importlib.util.module_from_spec(spec)
    completion = _Completion(package, spec.loader)
    package.__getattr__ = completion.getattr  # type: ignore[method-assign]
    sys.modules["miio"] = package
    sys.meta_path.insert(0, completion)
    return importlib.import_module("miio.protocol")
