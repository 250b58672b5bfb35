"""Lazy re-exports for packages: names are imported from their submodule on first use.

Keeps ``import comaspec`` (and the command's start-up) from importing matplotlib, astropy
tables or the fitter until something needs them.
"""

import pkgutil
import sys
from importlib import import_module

__all__ = ["lazy_exports", "public_submodules"]


def public_submodules(package):
    """The public modules and subpackages of a package, read from its directory.

    Parameters
    ----------
    package : str
        The package's ``__name__`` (it must be imported, i.e. in ``sys.modules``).

    Returns
    -------
    frozenset of str
        Their names without the package prefix; names starting with ``_`` are private.
    """
    path = getattr(sys.modules[package], "__path__", ())
    return frozenset(info.name for info in pkgutil.iter_modules(path) if not info.name.startswith("_"))


def lazy_exports(package, namespace, exports, submodules=None):
    """The module ``__getattr__`` and ``__dir__`` of a package that re-exports lazily.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    namespace : dict
        The package's ``globals()``: a name, once imported, is cached there.
    exports : dict
        Public name -> submodule (relative, without the dot) that defines it.
    submodules : iterable of str, optional
        Submodules reachable as attributes (``comaspec.plotting``). Default: every public
        module and subpackage in the package's directory (`public_submodules`), so that a
        new module is reachable without editing a list.

    Returns
    -------
    (callable, callable)
        ``__getattr__`` and ``__dir__``.
    """
    submodules = public_submodules(package) if submodules is None else frozenset(submodules)

    def __getattr__(name):
        if name in exports:
            value = getattr(import_module(f".{exports[name]}", package), name)
        elif name in submodules:
            value = import_module(f".{name}", package)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(exports) | submodules)

    return __getattr__, __dir__
