"""The cheaper start-up paths of issue #22 item 5 give what the slow paths gave.

- `comaspec.physics.levels.unique_rows` (a lexsort) against ``np.unique(axis=0)``, on random
  keys and on the level keys of every line list the fluorescence model reads;
- `comaspec.maps.opacity.line_centre_optical_depth` (plain arrays, no ``astropy.table``)
  against the strongest line of the public `line_centre_cross_sections` table;
- the level systems built once per process (the H2O system of the four bands pumped from
  (000), a labelled list's system shared by its bands) against a fresh build, and their
  labels, HITRAN's branch A and the cascade levels' decay totals against the tables as
  astropy reads them.
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
    from comaspec.physics import h2o_bands, levels

    # past the H2O system built once per process: both builds below are made here
    monkeypatch.setattr(h2o_bands, "_system_fields", h2o_bands._system_fields.__wrapped__)
    fast = fl._system.__wrapped__(species, band)
    monkeypatch.setattr(levels, "unique_rows", _slow_index)
    slow = fl._system.__wrapped__(species, band)
    for name in ("upper", "lower", "upper_g", "lower_g", "lower_energy", "upper_label", "lower_label",
                 "line_label", "lower_spin"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert (a is None and b is None) or np.array_equal(a, b), name
    assert len(np.unique(fast.upper)) > 1 and len(np.unique(fast.lower)) > 1


def _assert_same_fields(cached, fresh):
    assert cached.keys() == fresh.keys()
    for name, value in fresh.items():
        if isinstance(value, np.ndarray):
            assert cached[name].dtype == value.dtype and np.array_equal(cached[name], value), name
            assert not cached[name].flags.writeable, name  # shared: nobody may change them
        else:
            assert cached[name] == value, name


def test_h2o_system_built_once_is_a_fresh_build_shared_by_the_ground_bands():
    from comaspec.physics import fluorescence as fl
    from comaspec.physics import h2o_bands

    cached = h2o_bands.system_fields(h2o_bands.GROUND_BANDS, "(000)")
    _assert_same_fields(cached, h2o_bands._system_fields.__wrapped__(h2o_bands.GROUND_BANDS, "(000)"))
    systems = [fl._system("H2O", band) for band in h2o_bands.GROUND_BANDS]
    assert all(s.line_label is systems[0].line_label and s.a_rel is systems[0].a_rel for s in systems)
    cached["band"] = None  # each caller has its own dict
    assert h2o_bands.system_fields(list(h2o_bands.GROUND_BANDS), "(000)")["band"] is not None


def test_h2o_level_labels_are_those_of_the_line_list_as_astropy_reads_it():
    from astropy.table import Table

    from comaspec._paths import linelists_dir
    from comaspec.physics import h2o_bands

    table = Table.read(linelists_dir() / "h2o_lines.ecsv", format="ascii.ecsv")
    rows = table[np.isin(np.asarray(table["band"]).astype(str), h2o_bands.GROUND_BANDS)]
    expected = [f"{h2o_bands.STATES[str(r['band'])][0]}{r['J_u']}{r['Ka_u']}{r['Kc_u']}-"
                f"{h2o_bands.STATES[str(r['band'])][1]}{r['J_l']}{r['Ka_l']}{r['Kc_l']}" for r in rows]
    fields = h2o_bands.system_fields(h2o_bands.GROUND_BANDS, "(000)")
    assert fields["line_label"].tolist() == expected and len(set(expected)) > 1000
    halves = [label.split("-") for label in expected]
    assert fields["upper_label"][fields["upper"]].tolist() == [up for up, _ in halves]
    assert fields["lower_label"][fields["lower"]].tolist() == [low for _, low in halves]


def test_channel_a_is_hitran_s_branch_a_of_each_pair_and_zero_for_a_pair_it_lacks():
    from astropy.table import Table

    from comaspec._paths import linelists_dir
    from comaspec.physics import h2o_cascade

    table = Table.read(linelists_dir() / h2o_cascade.CASCADE_FILE, format="ascii.ecsv")
    branch = table[table["role"] == "branch"]
    hitran = {(str(r["upper"]), str(r["lower"])): float(r["A"]) for r in branch}
    upper = [str(u) for u in branch["upper"][::5]] + ["(001)999", "(001)000"]
    lower = [str(lo) for lo in branch["lower"][::5]] + ["(010)000", "(010)999"]
    expected = [hitran.get(pair, 0.0) for pair in zip(upper, lower)]
    assert expected[-2:] == [0.0, 0.0] and min(expected[:-2]) > 0 and len(expected) > 400
    assert h2o_cascade.channel_a(np.array(upper), np.array(lower)).tolist() == expected
    assert h2o_cascade.channel_a(upper, lower).tolist() == expected  # lists as well as arrays


def test_decay_totals_summed_once_are_the_table_s_sums_per_cascade_level():
    from astropy.table import Table

    from comaspec._paths import linelists_dir
    from comaspec.physics import h2o_cascade

    table = Table.read(linelists_dir() / h2o_cascade.CASCADE_FILE, format="ascii.ecsv")
    rows = table[np.isin(np.asarray(table["role"]).astype(str), ["pump", "cascade"])]
    expected = {}
    for label in sorted(set(str(u) for u in rows["upper"])):
        expected[label] = float(np.sum(np.asarray(rows["A"], dtype=float)[np.asarray(rows["upper"]) == label]))
    totals = h2o_cascade.decay_totals()
    assert totals.keys() == expected.keys() and len(totals) > 50
    assert all(totals[k] == pytest.approx(v, rel=1e-12) for k, v in expected.items())
    assert totals == h2o_cascade._decay_totals.__wrapped__()  # the cached sums, bit for bit
    totals.clear()  # each caller has its own dict
    assert h2o_cascade.decay_totals()


def test_a_labelled_system_is_built_once_per_line_list_as_a_fresh_build():
    from comaspec.physics import fluorescence as fl
    from comaspec.physics import levels
    from comaspec.physics.linelists import read_table

    cached = levels.labelled_levels("C2H6", "nu7")
    _assert_same_fields(cached, levels.labelled_system("C2H6", "c2h6_lines.ecsv", read_table("c2h6_lines.ecsv")))
    assert fl._system("C2H6", "nu5").wavenumber is fl._system("C2H6", "nu7").wavenumber  # one list, one build
    assert set(cached["band"]) == {"nu7", "nu5"}


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
