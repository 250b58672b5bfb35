"""The map-quantity registry (comaspec.maps.registry): ComaMaps, the FITS writer and the
figures iterate over it, so every registered quantity is in the file and can be drawn, and a
new quantity is one entry.

The maps here are built by hand from per-bin numbers (no fit), and the expected images are
spread on the grid by an explicit loop over spaxels, not by ``ComaMaps.image``.
"""

import copy
import dataclasses
import pickle

import astropy.units as u
import matplotlib
import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from comaspec import Geometry
from comaspec.errors import InputError
from comaspec.maps import ComaMaps, registry

matplotlib.use("Agg")

# the documented file layout (comaspec/maps/output.py, docs/maps.rst) of CO2, H2O and OCS maps
# (OCS has no g-factor: no columns)
DOCUMENTED = ["PRIMARY",
              "CO2_FLUX", "CO2_FLUX_ERR", "CO2_COLUMN", "CO2_COLUMN_ERR", "SNR_CO2", "DET_CO2",
              "H2O_FLUX", "H2O_FLUX_ERR", "H2O_COLUMN", "H2O_COLUMN_ERR", "SNR_H2O", "DET_H2O",
              "OCS_FLUX", "OCS_FLUX_ERR", "SNR_OCS", "DET_OCS",
              "RATIO_CO2_H2O", "RATIO_CO2_H2O_ERR", "RATIO_LIMIT", "TROT", "TROT_ERR", "TROT_FITTED", "SHIFT",
              "CHI2", "DOF", "BIN_ID"]


def _wcs(shape):
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crpix = [shape[1] / 2, shape[0] / 2]
    w.wcs.crval = [150.0, 20.0]
    w.wcs.cdelt = [-0.1 / 3600, 0.1 / 3600]
    return w


def _maps(species=("CO2", "H2O", "OCS"), seed=3):
    """6 × 5 spaxels in 2 × 1 bins (one row unused): per-bin numbers drawn at random."""
    rng = np.random.default_rng(seed)
    shape = (6, 5)
    bin_id = np.full(shape, -1)
    bin_id[:5] = np.arange(25).reshape(5, 5) // 2 % 13   # bins of 1-2 spaxels
    n_bins = 13
    n_spaxels = np.bincount(bin_id[bin_id >= 0], minlength=n_bins)
    per = {s: rng.uniform(1, 2, n_bins) * 1e-19 for s in species}
    err = {s: rng.uniform(0.1, 0.5, n_bins) * 1e-19 for s in species}
    with_g = [s for s in species if s != "OCS"]
    column = {s: per[s] * 1e15 if s in with_g else np.full(n_bins, np.nan) for s in species}
    snr = {s: per[s] / err[s] for s in species}
    both = "CO2" in species and "H2O" in species
    return ComaMaps.build(
        species=list(species), bin_id=bin_id, n_spaxels=n_spaxels, flux=per, flux_err=err, column=column,
        column_err={s: err[s] * 1e15 for s in species}, snr=snr, detected={s: snr[s] > 6 for s in species},
        ratio=rng.uniform(3, 8, n_bins) if both else None, ratio_err=rng.uniform(0.1, 1, n_bins) if both else None,
        ratio_limit=rng.integers(-1, 3, n_bins) if both else None, T_rot=rng.uniform(40, 60, n_bins),
        T_rot_err=rng.uniform(1, 2, n_bins), T_rot_fitted=rng.uniform(size=n_bins) > 0.5,
        shift_um=rng.normal(0, 1e-4, n_bins), chi2=rng.uniform(50, 80, n_bins), dof=rng.integers(40, 60, n_bins),
        error_inflation={s: np.ones(n_bins) for s in species},
        nucleus_xy=(2.0, 2.0), nucleus_method="given", sun_pa=30 * u.deg, velocity_pa=None, wcs=_wcs(shape),
        pixel_scale=0.1 * u.arcsec, pixel_area=(0.1 * u.arcsec) ** 2, geometry=Geometry(3.3 * u.au, 2.6 * u.au),
        molecule_flux={s: 1e-34 for s in with_g}, T_rot_source="given",
        meta={"source_file": "hand-made", "binning": "pairs", "n_bins": n_bins, "T_rot_aperture_K": 50.0})


def _spread(maps, values, fill=np.nan, per_spaxel=False):
    """Per-bin values on the grid, spaxel by spaxel."""
    out = np.full(maps.bin_id.shape, fill, dtype=float)
    for (y, x), b in np.ndenumerate(maps.bin_id):
        if b >= 0:
            out[y, x] = values[b] / (maps.n_spaxels[b] if per_spaxel else 1)
    return out


@pytest.fixture(scope="module")
def maps():
    return _maps()


@pytest.fixture(scope="module")
def hdul(maps, tmp_path_factory):
    path = maps.write(tmp_path_factory.mktemp("registry") / "maps.fits")
    with fits.open(path) as f:
        yield f


def test_file_layout_is_the_documented_one_and_the_registrys(maps, hdul):
    names = [h.name for h in hdul]
    assert names == DOCUMENTED
    assert names[1:] == [name for name, *_ in registry.hdu_names(maps)] == list(maps.images())
    # every registered quantity is in the file
    for q in registry.QUANTITIES:
        assert q.names("CO2")[0][0] in names


def test_file_holds_the_per_bin_numbers(maps, hdul):
    for s in maps.species:
        np.testing.assert_array_equal(hdul[f"{s}_FLUX"].data, _spread(maps, maps.flux[s], per_spaxel=True))
        np.testing.assert_array_equal(hdul[f"{s}_FLUX_ERR"].data, _spread(maps, maps.flux_err[s], per_spaxel=True))
        np.testing.assert_array_equal(hdul[f"SNR_{s}"].data, _spread(maps, maps.snr[s]))
        assert hdul[f"DET_{s}"].data.dtype.newbyteorder("=") == np.int16
        np.testing.assert_array_equal(hdul[f"DET_{s}"].data, _spread(maps, maps.detected[s], fill=-1))
    np.testing.assert_array_equal(hdul["H2O_COLUMN_ERR"].data, _spread(maps, maps.column_err["H2O"]))
    np.testing.assert_array_equal(hdul["RATIO_LIMIT"].data, _spread(maps, maps.ratio_limit, fill=-9))
    np.testing.assert_array_equal(hdul["TROT_FITTED"].data, _spread(maps, maps.T_rot_fitted, fill=-1))
    np.testing.assert_array_equal(hdul["DOF"].data, _spread(maps, maps.dof))
    assert hdul["BIN_ID"].data.dtype.newbyteorder("=") == np.int32
    np.testing.assert_array_equal(hdul["BIN_ID"].data, maps.bin_id)
    for h in hdul[1:]:
        unit = ("W m-2" if "_FLUX" in h.name else "cm-2" if "_COLUMN" in h.name
                else "K" if h.name in ("TROT", "TROT_ERR") else "um" if h.name == "SHIFT" else "")
        assert h.header["BUNIT"] == unit, h.name
        assert WCS(h.header).wcs.ctype[0] == "RA---TAN"


@pytest.mark.parametrize("name", DOCUMENTED[1:])
def test_every_quantity_can_be_drawn(maps, hdul, name):
    import matplotlib.pyplot as plt

    fig = maps.plot(panels=[name])
    (ax,) = [a for a in fig.axes if a.images]
    drawn = np.asarray(ax.images[0].get_array().filled(np.nan), dtype=float)
    data = hdul[name].data.astype(float)
    if name == "RATIO_CO2_H2O":      # figures show measured ratios only (limits blank)
        data = np.where(_spread(maps, maps.ratio_limit) == 0, data, np.nan)
    if hdul[name].header.get("BUNIT") in ("W m-2", "cm-2"):    # drawn in units of a power of ten
        data = data / 10.0 ** np.floor(np.log10(np.nanmax(np.abs(data))))
    np.testing.assert_allclose(drawn, data, rtol=1e-12, equal_nan=True)
    labels = [a.get_xlabel() for a in fig.axes if not a.images]
    assert any(labels), name
    plt.close(fig)


def test_a_new_quantity_is_one_registry_entry(maps, monkeypatch, tmp_path):
    """The registry entry and the per-bin values are all it takes: file and figure follow."""
    import matplotlib.pyplot as plt

    extra = registry.MapQuantity("{species}_EW", "equivalent_width", "nm", "{species} width", per_species=True,
                                 unit_label="nm", cmap="magma")
    monkeypatch.setattr(registry, "QUANTITIES", registry.QUANTITIES + (extra,))
    values = {s: np.arange(13.0) for s in maps.species}
    new = copy.copy(maps)
    new.bins = dict(maps.bins, equivalent_width=values)
    with fits.open(new.write(tmp_path / "ew.fits")) as f:
        names = [h.name for h in f]
        # after the other quantities of each species
        assert [names.index(f"{s}_EW") - names.index(f"DET_{s}") for s in new.species] == [1, 1, 1]
        assert f["H2O_EW"].header["BUNIT"] == "nm"
        np.testing.assert_array_equal(f["OCS_EW"].data, _spread(new, values["OCS"]))
    fig = new.plot(panels=["CO2_EW"])
    assert "CO2 width (nm)" in [a.get_xlabel() for a in fig.axes]
    assert [a.images[0].get_cmap().name for a in fig.axes if a.images] == ["magma"]
    plt.close(fig)
    # maps without the values do not have the quantity
    assert "CO2_EW" not in [name for name, *_ in registry.hdu_names(maps)]


def test_default_panels_and_refused_panels(maps):
    import matplotlib.pyplot as plt

    fig = maps.plot()
    labels = [a.get_xlabel() for a in fig.axes if not a.images]
    assert labels == ["CO2 column ($10^{-4}$ cm$^{-2}$)", "H2O column ($10^{-4}$ cm$^{-2}$)",
                      "CO$_2$/H$_2$O (measured)", "$T_\\mathrm{rot}$ (K)"]
    plt.close(fig)
    with pytest.raises(InputError, match="panels: unknown map 'OCS_COLUMN'"):
        maps.plot(panels=["OCS_COLUMN"])
    no_h2o = _maps(species=("CO2", "OCS"))
    with pytest.raises(InputError, match="RATIO_CO2_H2O needs CO2 and H2O maps"):
        no_h2o.plot(panels=["RATIO_CO2_H2O"])
    assert "RATIO_CO2_H2O" not in no_h2o.images() and "RATIO_LIMIT" not in no_h2o.images()


def test_per_bin_values_are_attributes_and_survive_copies(maps):
    assert maps.flux is maps.bins["flux"] and maps.T_rot is maps.bins["T_rot"]
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        maps.nonsense  # noqa: B018
    for other in (copy.deepcopy(maps), pickle.loads(pickle.dumps(maps))):
        np.testing.assert_array_equal(other.chi2, maps.chi2)
        assert list(other.images()) == list(maps.images())


def test_per_bin_values_may_not_hide_a_method(maps):
    with pytest.raises(ValueError, match="image"):
        ComaMaps.build(**{f.name: getattr(maps, f.name) for f in dataclasses.fields(maps) if f.name != "bins"},
                       image=np.zeros(13))
