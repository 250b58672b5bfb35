"""Old import paths of modules that moved into ``comaspec.physics`` (the folders show the floors).

``import comaspec.fluorescence`` and ``from comaspec.production import production_rate``, as
written in scripts made before the move, give the module at its new place: the same module
object, registered under both names. Nothing inside comaspec uses the old paths (a test
checks it).
"""

import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["MOVED", "install"]

#: old module name -> its home now
MOVED = {f"comaspec.{name}": f"comaspec.physics.{name}"
         for name in ("molecules", "fluorescence", "templates", "haser", "instrument", "feature_weights",
                      "production")}
MOVED["comaspec.results_io"] = "comaspec.results.writers"


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        # the target is already executed; keep its own name and spec
        pass


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(MOVED[fullname]))


def install():
    """Put the finder of the old module paths on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
