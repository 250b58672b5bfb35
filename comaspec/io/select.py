"""Which extractions of a multi-spectrum file ``comaspec ratio`` fits, and unit plausibility.

A file may hold several extractions (several EXTRACT1D tables: MOS slits, or products
of different modes merged by hand). Fitting them jointly assumes one coma seen through
the same aperture in every one, so it happens only when asked (``--joint``); when
they differ in mode or source the user chooses one with ``--extension``.
"""

from __future__ import annotations

__all__ = ["select_extractions", "check_plausible"]


def _describe(index, spectrum):
    meta = spectrum.meta
    parts = [str(meta.get("mode") or "mode unknown")]
    if meta.get("source_id") is not None:
        parts.append(f"source {meta['source_id']}")
    return f"{index}: {meta.get('extension') or '?'} ({', '.join(parts)})"


def select_extractions(path, spectra, extension=None, joint=False):
    """The spectra of one file to fit.

    Parameters
    ----------
    path : str
        The file, for messages.
    spectra : list of specutils.Spectrum
        Every extraction read from it.
    extension : str, optional
        The extraction to keep: its name as ``comaspec info`` lists it
        (e.g. ``EXTRACT1D,2``) or its 0-based position in that list.
    joint : bool
        Fit all extractions together even when their modes or sources differ.

    Returns
    -------
    list of specutils.Spectrum

    Raises
    ------
    comaspec.UsageError
        When the extractions differ and neither ``extension`` nor ``joint`` says what to
        do, or when ``extension`` matches none of them.
    """
    from ..errors import UsageError

    spectra = list(spectra)
    if extension is not None:
        text = str(extension).strip()
        for i, s in enumerate(spectra):
            if text == str(i) or text.upper() == str(s.meta.get("extension") or "").upper():
                return [s]
        listing = "; ".join(_describe(i, s) for i, s in enumerate(spectra))
        raise UsageError(f"--extension {text}: {path} has no such extraction (it holds {listing})")
    if joint or len(spectra) < 2:
        return spectra
    kinds = {(s.meta.get("mode"), s.meta.get("source_id")) for s in spectra}
    if len(kinds) == 1:
        return spectra
    listing = "; ".join(_describe(i, s) for i, s in enumerate(spectra))
    raise UsageError(f"{path} holds {len(spectra)} extractions of different modes or sources ({listing}): "
                     "choose one with --extension, or fit them together with --joint")


def check_plausible(spectra, allow=False):
    """Refuse spectra whose flux level is implausible for their unit (unless ``allow``).

    Parameters
    ----------
    spectra : list of specutils.Spectrum
    allow : bool
        ``--allow-implausible-flux``: do not refuse (`comaspec.fit_coma` then warns).

    Raises
    ------
    comaspec.InputError
        For the first implausible spectrum, unless ``allow``.
    """
    from ..errors import InputError
    from ..io._sanity import problems

    if allow:
        return  # fit_coma still warns about it, once
    for text in problems(spectra, wavelength=False):
        source, _, problem = text.partition(": ")
        raise InputError(source, f"{problem} (override with --allow-implausible-flux)")
