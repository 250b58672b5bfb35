"""The model as parts: a continuum is one class, the model is built once (with_data), the fit
is a driver over FitOptions, and species and modes come from the tables."""

import subprocess
import sys

import astropy.units as u
import lmfit
import numpy as np
import pytest
from astropy.table import Table

from comaspec.physics import instrument, molecules, resolution
from comaspec._paths import linelists_dir
from comaspec.apertures import CircularAperture
from comaspec.errors import InputError
from comaspec.fit import FitOptions, as_observed, fit_coma, fit_model
from comaspec.geometry import Geometry
from comaspec.model import ForwardModel, Window
from comaspec.synthetic import synthetic_spectrum

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
FLAM = u.W / u.m**2 / u.um
Q = {"CO2": 1.7e27, "H2O": 2.2e26}


def _spec(mode="PRISM", seed=1, continuum=None, noise=True, error=5e-19):
    return synthetic_spectrum(mode, Q, GEO, AP, T_rot=50.0, error=error * FLAM, seed=seed, noise=noise,
                              continuum=continuum if continuum is not None else (lambda wl: 5e-17 * (wl / 3.5) ** -1.5))


class OffsetContinuum:
    """A third continuum: one constant per spectrum (and it records the BLAS threads it sees)."""

    name = "offset"

    def __init__(self):
        self.blas_threads = set()

    def sizes(self, coverage):
        return [1 if used.any() else 0 for used in coverage.used]

    def names(self, coverage, i):
        return [f"offset_{i}"]

    def columns(self, coverage, i, wavelength_um, shape=None):
        from threadpoolctl import threadpool_info

        self.blas_threads |= {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}
        return np.ones((np.size(wavelength_um), 1))

    def parameters(self, geometry):
        return []

    def defined(self, coverage, i, wavelength_um):
        return np.ones(np.shape(wavelength_um), dtype=bool)

    def info(self, shape):
        return {}


def test_a_third_continuum_is_one_class_and_blas_is_single_threaded_in_a_fit():
    """A plug-in continuum class is fitted, on a noise-free spectrum of the independent generator
    (tests/independent_coma.py): its level and the Q put in come back (tolerances: the
    generator's band shapes differ from comaspec's by < 1 % of a band, see test_model)."""
    from independent_coma import coma_spectrum

    level = 3e-18
    tau = {"CO2": 5e5, "H2O": 8e4}
    spec, _ = coma_spectrum("PRISM", Q, rh_au=3.32, delta_au=2.61, radius_arcsec=0.5, v_km_s=0.5, tau_1au_s=tau,
                            T_rot=50.0, lo_um=2.4, hi_um=5.2, continuum=lambda wl: np.full_like(wl, level),
                            error=5e-19)
    cont = OffsetContinuum()
    fit = fit_coma(spec, GEO, AP, species=["CO2", "H2O"], continuum=cont, T_rot=50.0, fit_shift=False,
                   velocity=0.5 * u.km / u.s, lifetime={s: t * u.s for s, t in tau.items()})
    assert fit.fit_info["continuum"] == "offset"
    np.testing.assert_allclose(fit.components[0].continuum, level, rtol=0.01)
    assert fit.species["CO2"].Q == pytest.approx(Q["CO2"], rel=1e-3)
    assert fit.species["H2O"].Q == pytest.approx(Q["H2O"], rel=0.015)
    assert cont.blas_threads == {1}


def test_unknown_continuum_name_and_incomplete_object_are_usage_errors():
    from comaspec.errors import UsageError

    with pytest.raises(UsageError, match="'polynomial' or 'physical'"):
        fit_coma(_spec(), GEO, AP, continuum="spline")
    with pytest.raises(UsageError, match="missing"):
        fit_coma(_spec(), GEO, AP, continuum=object())


def test_with_data_fits_new_data_exactly_as_a_new_model():
    """Consistency check (a cache must not change results): a reused model fitted to new data
    equals a fresh fit; the values themselves are tested against independent spectra in test_fit."""
    first, second = _spec(seed=1), _spec(seed=2)
    model = ForwardModel([as_observed(first)], ["CO2", "H2O"], GEO, [AP])
    fresh = ForwardModel([as_observed(second)], ["CO2", "H2O"], GEO, [AP])
    y, e = fresh.data()
    reused = model.with_data(y, e)
    assert reused.used is model.used and reused.species is model.species
    np.testing.assert_array_equal(reused.data()[0], y)
    a = fit_model(reused, FitOptions())
    b = fit_coma(second, GEO, AP, species=["CO2", "H2O"])
    for s in Q:
        assert a.species[s].Q == pytest.approx(b.species[s].Q, rel=1e-10)
        assert a.species[s].Q_err == pytest.approx(b.species[s].Q_err, rel=1e-8)
    # full-grid arrays are accepted too, and the original model keeps its data
    full = model.with_data(as_observed(second).flux, as_observed(second).error)
    np.testing.assert_array_equal(full.data()[0], y)
    assert not np.array_equal(model.data()[0], y)


def test_with_data_refuses_a_different_pixel_layout():
    model = ForwardModel([as_observed(_spec())], ["CO2", "H2O"], GEO, [AP])
    y, e = model.data()
    bad = y.copy()
    bad[3] = np.nan
    with pytest.raises(InputError, match="build a new ForwardModel"):
        model.with_data(bad, e)
    with pytest.raises(InputError, match="shape"):
        model.with_data(y[:-1], e[:-1])


def test_cached_design_equals_a_fresh_evaluation_and_shape_goes_by_name():
    """Consistency check of the column cache (the columns themselves: test_model's independent generator)."""
    obs = as_observed(_spec())
    model = ForwardModel([obs], ["CO2", "H2O"], GEO, [AP], continuum="physical")
    values = {"T_rot": 47.0, "shift_0": 1e-4, "cont_slope": 0.3, "cont_dust_T": 160.0}
    first = model.design(values)
    again = model.design(values)  # from the column cache
    fresh = ForwardModel([obs], ["CO2", "H2O"], GEO, [AP], continuum="physical").design(values)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first, fresh)
    # per-species names, lmfit Parameters and a NonlinearState give the same design
    per_species = model.design({"T_rot_CO2": 47.0, "T_rot_H2O": 47.0, "shift_0": 1e-4, "cont_slope": 0.3,
                                "cont_dust_T": 160.0})
    np.testing.assert_array_equal(first, per_species)
    params = lmfit.Parameters()
    for name, value in values.items():
        params.add(name, value=value)
    np.testing.assert_array_equal(first, model.design(params))
    np.testing.assert_array_equal(first, model.design(model.state(values)))
    # the species columns do not depend on the continuum shape: only those are cached
    other = model.design(dict(values, cont_slope=-1.0, cont_dust_T=300.0))
    np.testing.assert_array_equal(first[:, :2], other[:, :2])
    assert not np.array_equal(first[:, 2:], other[:, 2:])


def test_species_and_default_features_come_from_bands_ecsv():
    t = Table.read(linelists_dir() / "bands.ecsv", format="ascii.ecsv")
    species = list(dict.fromkeys(str(s) for s in t["species"]))
    assert list(molecules.SPECIES) == species
    for s in species:
        first_feature = str(t["feature"][list(t["species"]).index(s)])
        assert molecules.default_feature(s) == first_feature == molecules.features_of(s)[0]


def test_modes_come_from_the_resolving_power_table():
    t = Table.read(linelists_dir() / "resolving_power.ecsv", format="ascii.ecsv")
    assert set(instrument.MODES) == {str(m) for m in t["mode"]}
    assert instrument.MODES[0] == "PRISM"


def test_mode_is_taken_from_the_grating_field_without_parsing_text(monkeypatch):
    def no_parsing(text):
        raise AssertionError(f"parsed {text!r}")

    spec = _spec("G395H")
    monkeypatch.setattr(resolution, "_parse_mode_string", no_parsing)
    assert spec.meta["grating"] == "G395H"
    assert instrument.mode_from_meta(spec.meta) == "G395H"
    assert as_observed(spec).mode == "G395H"


def test_systematic_error_of_a_47um_h2o_report_uses_the_g_of_its_q():
    # G395H sees only the H2O 4.7 um hot bands: Q is reported from them, and with only a g-factor
    # error stated (d ln Q / d ln g = -1) Q_sys is exactly that fraction of Q
    spec = synthetic_spectrum("G395H", {"CO2": 1.7e27, "H2O": 3e28}, GEO, AP, T_rot=50.0, error=2e-20 * FLAM,
                              seed=3, continuum=lambda wl: 5e-17 * (wl / 3.5) ** -1.5)
    fit = fit_coma(spec, GEO, AP, species=["CO2", "H2O"], g_factor={"H2O": 3e-4 / u.s},
                   systematics={"g_factor": 0.1})
    h2o = fit.species["H2O"]
    assert h2o.feature == "4.7um" and h2o.detected
    assert h2o.Q_sys == pytest.approx(0.1 * h2o.Q, rel=1e-12)


def test_comaspec_runs_without_sbpy():
    code = ("import sys; sys.modules['sbpy'] = None\n"
            "from comaspec.cli import main\n"
            "raise SystemExit(main(['ratio', '--example', '--json', '-q']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    import json

    ratio = json.loads(out.stdout)["ratio"]
    assert ratio["value"] > 0 and ratio["limit"] is None  # a measured ratio, not just some output


def test_windows_still_build_the_polynomial_continuum_names():
    model = ForwardModel([as_observed(_spec())], ["CO2"], GEO, [AP], windows=[Window("w 1", 4.05, 5.1, 2)])
    assert model.linear_names() == ["F_CO2", "c0_w_1_0", "c0_w_1_1", "c0_w_1_2"]


def test_q_recovered_from_a_spectrum_made_by_an_independent_generator():
    """CO at G395H written out by hand: the line list's sticks, each a Gaussian of FWHM
    lambda/R integrated over the pixels with scipy's erf, scaled by the decay-free closed form
    of the flux per unit Q. The fit must return the Q put in."""
    import math

    import astropy.constants as const
    from astropy.nddata import StdDevUncertainty
    from scipy.special import erf
    from specutils import Spectrum

    from comaspec.synthetic import wavelength_grid
    from comaspec.physics.templates import stick_spectrum

    geo = Geometry(2.0 * u.au, 1.5 * u.au)
    radius_km, v_km_s, q_true = 3000.0, 0.6, 5e27
    wl = wavelength_grid("G395H", 4.3, 5.0)
    edges = np.concatenate(([1.5 * wl[0] - 0.5 * wl[1]], 0.5 * (wl[1:] + wl[:-1]), [1.5 * wl[-1] - 0.5 * wl[-2]]))
    wavenumber, weight = stick_spectrum("CO", "1-0", 40.0)
    lam = 1e4 / wavenumber
    sigma = lam / instrument.resolving_power("G395H", lam) / (2 * math.sqrt(2 * math.log(2)))
    cdf = 0.5 * (1 + erf((edges[:, None] - lam[None, :]) / (sigma[None, :] * math.sqrt(2))))
    profile = (np.diff(cdf, axis=0) @ weight) / np.diff(edges)           # unit area, per um
    t = Table.read(linelists_dir() / "bands.ecsv", format="ascii.ecsv")
    row = t[(t["species"] == "CO") & t["default"]][0]
    g_1au, center_cm = float(row["g_1au"]), float(row["center_cm"])
    n_per_q = math.pi * radius_km / (2 * v_km_s)                          # decay-free disc
    flux_per_q = (n_per_q * u.s * g_1au / u.s / 2.0**2 * const.h * const.c * center_cm / u.cm
                  / (4 * math.pi * (1.5 * u.au) ** 2)).to_value(u.W * u.s / u.m**2)
    flam = q_true * flux_per_q * profile + 2e-18
    err = np.full(wl.size, 1e-22)
    spec = Spectrum(spectral_axis=wl * u.um, flux=flam * FLAM, uncertainty=StdDevUncertainty(err * FLAM),
                    meta={"grating": "G395H"})
    fit = fit_coma(spec, geo, CircularAperture(radius_km * u.km), species=["CO"], T_rot=40.0, fit_shift=False,
                   velocity=v_km_s * u.km / u.s, lifetime=1e10 * u.s, windows=[Window("co", 4.45, 4.95, 0)])
    assert fit.species["CO"].Q == pytest.approx(q_true, rel=2e-5)


def test_the_parts_declare_their_nonlinear_parameters_by_name():
    """Species declare T_rot (and origin, ortho/para where they have them), each spectrum its
    shift, the continuum its shape; bounds checked against the tables they come from."""
    from comaspec._ranges import DEFAULT_TROT_BOUNDS_K

    obs = as_observed(_spec())
    model = ForwardModel([obs], ["CO2", "H2O", "OCS"], GEO, [AP], continuum="physical")
    hints = {h.name: h for h in model.parameters()}
    assert set(hints) == {"T_rot_CO2", "T_rot_H2O", "T_rot_OCS", "origin_OCS", "ortho_para", "shift_0",
                          "cont_slope", "cont_dust_T"}
    assert {h.role for h in hints.values()} == {"T_rot", "origin", "ortho_para", "shift", "continuum"}
    assert (hints["T_rot_CO2"].min, hints["T_rot_CO2"].max) == DEFAULT_TROT_BOUNDS_K
    bands = Table.read(linelists_dir() / "bands.ecsv", format="ascii.ecsv")
    err = float(np.nanmax(bands["center_err_cm"][bands["species"] == "OCS"]))
    assert (hints["origin_OCS"].min, hints["origin_OCS"].max) == (-err, err) and err > 0
    # half the resolution element lambda / R over the fitted pixels
    wl = obs.wavelength_um[model.used[0]]
    half = 0.5 * np.median(wl / resolution.resolving_power("PRISM", wl))
    assert hints["shift_0"].max == pytest.approx(half, rel=1e-6) and hints["shift_0"].min == -hints["shift_0"].max
    # only a species with spin species declares ortho/para; no shape for the polynomials
    other = ForwardModel([obs], ["CO2", "CO"], GEO, [AP])
    assert {h.name for h in other.parameters()} == {"T_rot_CO2", "T_rot_CO", "shift_0"}


def test_design_reads_parameters_by_name():
    model = ForwardModel([as_observed(_spec())], ["CO2", "H2O"], GEO, [AP])
    state = model.state({"T_rot": 40.0, "T_rot_H2O": 60.0, "shift_0": 1e-4})
    assert state.T_rot == {"CO2": 40.0, "H2O": 60.0} and state.shifts == (1e-4,) and state.ortho_para == 3.0
    # names the model does not declare (a fit's linear ones, typos of other models) are ignored
    np.testing.assert_array_equal(model.design({"T_rot": 40.0, "F_CO2": 1.0, "cont_slope": 2.0}),
                                  model.design({"T_rot": 40.0}))
    with pytest.raises(InputError, match="T_rot"):
        model.design({"shift_0": 0.0})
    # the shared T_rot is the per-species one of every species
    np.testing.assert_array_equal(model.design({"T_rot": 45.0}), model.design({"T_rot_CO2": 45.0, "T_rot_H2O": 45.0}))
