"""The cheaper start-up paths of issue #22 item 5 give what the slow paths gave.

- `comaspec.physics.levels.unique_rows` (a lexsort) against ``np.unique(axis=0)``, on random
  keys and on the level keys of every line list the fluorescence model reads;
- `comaspec.maps.opacity.line_centre_optical_depth` (plain arrays, no ``astropy.table``)
  against the strongest line of the public `line_centre_cross_sections` table.
"""

import numpy as np
import pytest


def _slow_index(keys):
    """What `unique_rows` was: numpy's row-wise unique."""
    _, first, inverse = np.unique(np.asarray(keys), axis=0, return_index=True, return_inverse=True)
    return inverse.ravel(), first


@pytest.mark.parametrize("shape", [(5000, 4), (3000, 1), (1, 2), (0, 4), (2000, 3)])
def test_index_equals_numpy_unique_rows(shape):
    rng = np.random.default_rng(sum(shape))
    keys = rng.integers(-3, 4, size=shape)  # many duplicates, negative values
    inverse, first = _slow_index(keys)
    fast_inverse, fast_first = __import__("comaspec.physics.levels", fromlist=["unique_rows"]).unique_rows(keys)
    assert np.array_equal(fast_inverse, inverse) and np.array_equal(fast_first, first)
    if len(keys):  # and it can fail: the keys of each row come back
        assert np.array_equal(keys[fast_first][fast_inverse], keys)


def test_index_of_a_one_dimensional_key_is_that_of_its_column():
    from comaspec.physics.levels import unique_rows as _index

    j = np.array([3, 1, 3, 2, 1, 0])
    inverse, first = _index(j)
    assert inverse.tolist() == [3, 1, 3, 2, 1, 0] and first.tolist() == [5, 1, 3, 0]
    assert all(np.array_equal(a, b) for a, b in zip(_index(j[:, None]), (inverse, first)))


@pytest.mark.parametrize("species, band", [("H2O", "nu3"), ("H2O", "nu1"), ("CO2", "nu3"),
                                           ("13CO2", "nu3"), ("CO", "1-0")])
def test_level_systems_are_unchanged_by_the_fast_index(monkeypatch, species, band):
    from comaspec.physics import fluorescence as fl
    from comaspec.physics import levels

    fast = fl._system.__wrapped__(species, band)
    monkeypatch.setattr(levels, "unique_rows", _slow_index)
    slow = fl._system.__wrapped__(species, band)
    for name in ("upper", "lower", "upper_g", "lower_g", "lower_energy", "upper_label", "lower_label",
                 "line_label", "lower_spin"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert (a is None and b is None) or np.array_equal(a, b), name
    assert len(np.unique(fast.upper)) > 1 and len(np.unique(fast.lower)) > 1


@pytest.mark.parametrize("T_rot", [20.0, 80.0, 296.0])
def test_optical_depth_is_that_of_the_strongest_line_of_the_table(T_rot):
    import astropy.units as u

    from comaspec.maps.opacity import line_centre_cross_sections, line_centre_optical_depth

    table = line_centre_cross_sections("CO2", T_rot)
    column = np.array([1e12, 3e14])
    expected = column * table["sigma0"][0].to_value(u.cm**2)
    assert table["sigma0"][0] == table["sigma0"].max()
    assert np.array_equal(line_centre_optical_depth(column, T_rot, "CO2"), expected)
    assert np.array_equal(line_centre_optical_depth(column * u.cm**-2, T_rot, "CO2"), expected)


def test_molecular_masses_read_once_are_the_table_s():
    import astropy.units as u
    from astropy.table import Table

    from comaspec._paths import linelists_dir
    from comaspec.errors import InputError
    from comaspec.maps.opacity import molecular_mass

    table = Table.read(linelists_dir() / "molecular_mass.ecsv", format="ascii.ecsv")
    assert len(table) >= 4
    for row in table:
        assert molecular_mass(row["species"]) == (row["mass"] * table["mass"].unit).to_value(u.kg)
    assert molecular_mass("CO2") == pytest.approx(44.0 * 1.6605e-27, rel=1e-3)  # 44 u, a number it can miss
    with pytest.raises(InputError, match="no molecular mass"):
        molecular_mass("XYZ")


def _old_read(path):
    """What read_any did for a 1-D FITS spectrum: headers opened for the cube check, then the file in full."""
    from comaspec.io import _read_fits_spectrum, open_fits
    from comaspec.io.cube import is_cube

    with open_fits(path, load_data=False) as hdul:
        assert not is_cube(hdul)
    with open_fits(path) as hdul:
        return _read_fits_spectrum(path, hdul, None, None)


def test_a_spectrum_read_on_one_open_is_the_spectrum_read_on_two(monkeypatch):
    from pathlib import Path

    import comaspec
    from comaspec import io

    path = Path(comaspec.example_path())
    old = _old_read(path)
    opened = []
    real = io.open_fits
    monkeypatch.setattr(io, "open_fits", lambda *a, **k: opened.append(a) or real(*a, **k))
    new = io.read_any(path)
    assert len(opened) == 1  # and it can fail: the old path opened the file twice
    assert type(new) is type(old) and sorted(new.meta) == sorted(old.meta)
    for name in ("spectral_axis", "flux"):
        a, b = getattr(new, name), getattr(old, name)
        assert a.unit == b.unit and np.array_equal(a.value, b.value)
    assert np.array_equal(new.uncertainty.array, old.uncertainty.array) and np.array_equal(new.mask, old.mask)
    assert all(np.all(new.meta[k] == old.meta[k]) for k in new.meta if k != "primary_header")
    assert dict(new.meta["primary_header"]) == dict(old.meta["primary_header"])
