"""Lazy re-exports for packages: names are imported from their submodule on first use.

Keeps ``import comaspec`` (and the command's start-up) from importing matplotlib, astropy
tables or the fitter until something needs them.
"""

from importlib import import_module

__all__ = ["lazy_exports"]


def lazy_exports(package, namespace, exports, submodules=()):
    """The module ``__getattr__`` and ``__dir__`` of a package that re-exports lazily.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    namespace : dict
        The package's ``globals()``: a name, once imported, is cached there.
    exports : dict
        Public name -> submodule (relative, without the dot) that defines it.
    submodules : iterable of str
        Submodules reachable as attributes (``comaspec.plotting``).

    Returns
    -------
    (callable, callable)
        ``__getattr__`` and ``__dir__``.
    """
    submodules = frozenset(submodules)

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
