"""fit_coma: linear solve, lmfit fit, covariance conventions, joint fits, MC/MCMC, errors.

Truth is recovered from spectra of `independent_coma` (written out in the tests, not by
comaspec's forward model); `comaspec.synthetic` spectra serve only where the test is about
behaviour (errors, covariance conventions, figures), not about the value of Q.
"""

import sys

import astropy.units as u
import numpy as np
import pytest

from comaspec import model
from comaspec.apertures import CircularAperture
from comaspec.errors import FitError, InputError, UsageError
from comaspec.fit import fit_coma, linear_solve
from comaspec.geometry import Geometry
from comaspec.synthetic import synthetic_spectrum
from independent_coma import coma_spectrum, physical_continuum

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
FLAM = u.W / u.m**2 / u.um
PHYS_CONT = {"scattered": 5e-17, "thermal": 1e-19, "slope": 0.5}


def CONT(wl):
    """A smooth dust continuum that the window polynomials represent well (W m-2 um-1)."""
    return 5e-17 * (wl / 3.5) ** -1.5


# Haser parameters given to both the independent generator and the fit (so Q does not rest on
# comaspec's default velocity law and lifetimes)
V_KM_S = 0.5
TAU_1AU_S = {"CO2": 5e5, "H2O": 8e4, "CO": 1.4e6}
RANGE_UM = {"PRISM": (2.4, 5.2), "G235H": (2.4, 3.15), "G395H": (2.9, 5.2)}


def HASER(species=("CO2", "H2O", "CO")):
    return {"velocity": V_KM_S * u.km / u.s, "lifetime": {s: TAU_1AU_S[s] * u.s for s in species}}


def _indep(mode="PRISM", q=None, error=5e-19, seed=1, T=50.0, continuum=CONT, shift_um=0.0):
    """A spectrum of `independent_coma` (noise-free when seed is None) at the test geometry."""
    q = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 5e25} if q is None else q
    lo, hi = RANGE_UM[mode]
    spec, _ = coma_spectrum(mode, q, rh_au=3.32, delta_au=2.61, radius_arcsec=0.5, v_km_s=V_KM_S,
                            tau_1au_s=TAU_1AU_S, T_rot=T, lo_um=lo, hi_um=hi, continuum=continuum, error=error,
                            seed=seed, shift_um=shift_um)
    return spec


def _spec(mode="PRISM", q=None, error=5e-19, noise=True, seed=1, T=50.0, **kw):
    q = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 5e25} if q is None else q
    kw.setdefault("continuum", CONT)
    return synthetic_spectrum(mode, q, GEO, AP, T_rot=T, error=error * FLAM, noise=noise, seed=seed, **kw)


def test_linear_solve_straight_line_closed_form():
    rng = np.random.default_rng(3)
    x = np.linspace(0, 10, 50)
    sigma = np.full(50, 0.5)
    y = 2.0 + 0.3 * x + rng.normal(0, sigma)
    sol = linear_solve(np.column_stack([np.ones(50), x]), y, sigma)
    sxx = np.sum((x - x.mean()) ** 2)
    assert sol.covariance[1, 1] == pytest.approx(0.25 / sxx, rel=1e-10)
    assert sol.covariance[0, 0] == pytest.approx(0.25 * (1 / 50 + x.mean() ** 2 / sxx), rel=1e-10)
    slope = np.sum((x - x.mean()) * (y - y.mean())) / sxx
    assert sol.coef[1] == pytest.approx(slope, rel=1e-10)
    assert sol.dof == 48
    with pytest.raises(FitError):
        linear_solve(np.column_stack([x, 2 * x]), y, sigma)


def test_noiseless_independent_spectrum_recovers_truth():
    """Free T_rot and shift on a noise-free spectrum of the independent generator: Q, T_rot and
    the ratio put in come back. Tolerances: the generator's band shapes (HITRAN fluorescence
    sticks) and R table (ESA dispersion files) differ slightly from comaspec's (< 1 % of a band)."""
    truth = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 5e25}
    fit = fit_coma(_indep(seed=None, T=35.0), GEO, AP, **HASER())
    assert fit.species["CO2"].Q == pytest.approx(truth["CO2"], rel=1e-3)
    assert fit.species["H2O"].Q == pytest.approx(truth["H2O"], rel=0.015)
    assert fit.species["CO"].Q == pytest.approx(truth["CO"], rel=0.03)
    for s, q in truth.items():  # the residual model difference is well inside the noise of 5e-19
        assert abs(fit.species[s].Q - q) < 0.5 * fit.species[s].Q_err
    assert fit.species["CO2"].T_rot == pytest.approx(35.0, abs=0.1)
    assert fit.fit_info["wavelength_shift_um"][0] == pytest.approx(0.0, abs=1e-4)
    assert fit.chi2_reduced < 0.05
    assert fit.ratio().value == pytest.approx(1.7e27 / 2.2e26, rel=0.015)


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_covariance_not_rescaled_by_default_and_rescaled_on_request():
    spec = _spec(error=5e-19, seed=5)
    spec_bad = synthetic_spectrum("PRISM", {"CO2": 1.7e27, "H2O": 2.2e26}, GEO, AP, T_rot=50.0,
                                  error=1e-18 * FLAM, continuum=CONT, seed=5)
    # under-estimated errors: pretend sigma is half the real noise
    spec_bad.uncertainty.array[:] *= 0.5
    a = fit_coma(spec, GEO, AP, T_rot=50, fit_shift=False)
    b = fit_coma(spec_bad, GEO, AP, T_rot=50, fit_shift=False)
    c = fit_coma(spec_bad, GEO, AP, T_rot=50, fit_shift=False, scale_covar=True)
    assert a.fit_info["covariance_scaled"] is False and c.fit_info["covariance_scaled"] is True
    assert b.chi2_reduced == pytest.approx(4.0, rel=0.3)
    # b's chi2 is improbable, so its errors are inflated by the residuals (at least sqrt(chi2_nu));
    # divided by that factor they are the data's, and --scale-covar multiplies those by sqrt(chi2_nu)
    inflation = b.fit_info["error_inflation"]["CO2"]
    assert inflation >= np.sqrt(b.chi2_reduced) * (1 - 1e-9)
    assert a.fit_info["error_inflation"] is None and c.fit_info["error_inflation"] is None
    ratio = c.species["CO2"].band_flux_err / (b.species["CO2"].band_flux_err / inflation)
    assert ratio == pytest.approx(np.sqrt(b.chi2_reduced), rel=1e-3)


def test_lmfit_errors_equal_linear_errors_at_fixed_trot():
    """Consistency check: lmfit's path and the direct linear solve of the same design agree
    (linear_solve itself against the closed form: test_linear_solve_straight_line_closed_form;
    the errors against the scatter of independent spectra: test_validation)."""
    from comaspec.fit import as_observed

    spec = _spec(seed=7)
    fit = fit_coma(spec, GEO, AP, T_rot=50, fit_shift=False)
    m = model.ForwardModel([as_observed(spec)], ["CO2", "H2O", "CO"], GEO, [AP])
    y, e = m.data()
    sol = linear_solve(m.design({"T_rot": 50.0}), y, e)
    for j, s in enumerate(m.fitted_species):
        assert fit.species[s].band_flux == pytest.approx(sol.coef[j], rel=1e-6)
        assert fit.species[s].band_flux_err == pytest.approx(np.sqrt(sol.covariance[j, j]), rel=1e-4)


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_joint_fit_g235h_g395h_shares_q():
    truth = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 5e25}
    s1 = _indep("G235H", truth, error=2e-19, seed=11)
    s2 = _indep("G395H", truth, error=2e-19, seed=12)
    joint = fit_coma([s1, s2], GEO, AP, T_rot=50, fit_shift=False, **HASER())
    alone = fit_coma(s2, GEO, AP, T_rot=50, fit_shift=False, **HASER())
    assert joint.species["H2O"].feature == "2.7um" and alone.species["H2O"].feature == "4.7um"
    # water from the 2.7 um complex (G235H) is much better measured than from the hot bands
    assert joint.species["H2O"].Q_err < 0.5 * alone.species["H2O"].Q_err
    for s, q in truth.items():
        assert abs(joint.species[s].Q - q) < 4 * joint.species[s].Q_err
        assert abs(alone.species[s].Q - q) < 4 * alone.species[s].Q_err
    assert len(joint.components) == 2 and joint.inputs["mode"] == "G235H+G395H"


def test_free_trot_and_shift_are_recovered():
    spec = _indep(error=2e-19, seed=2, T=30.0, shift_um=0.004)
    fit = fit_coma(spec, GEO, AP, **HASER())
    assert fit.fit_info["wavelength_shift_um"][0] == pytest.approx(0.004, abs=0.0015)
    assert fit.species["CO2"].T_rot == pytest.approx(30.0, abs=5 * fit.species["CO2"].extra["T_rot_err_K"] + 1)
    assert fit.species["CO2"].extra["T_rot_fitted"] is True
    assert abs(fit.species["CO2"].Q - 1.7e27) < 4 * fit.species["CO2"].Q_err


def test_mc_refits_agree_with_covariance():
    spec = _spec(seed=3)
    fit = fit_coma(spec, GEO, AP, T_rot=50, fit_shift=False, mc=60, seed=1)
    assert fit.q_samples.shape == (60, 3)
    co2 = fit.species["CO2"]
    assert co2.extra["Q_err_samples_per_s"] == pytest.approx(co2.Q_err, rel=0.35)
    r = fit.ratio()
    assert r.method.startswith("mc refits") and r.err_lo > 0 and r.err_hi > 0


def test_mcmc_runs_without_nonlinear_parameters():
    pytest.importorskip("emcee")
    spec = _spec(seed=4)
    fit = fit_coma(spec, GEO, AP, species=["CO2", "H2O"], T_rot=50, fit_shift=False, mcmc=True,
                   mcmc_steps=150, mcmc_burn=50, mcmc_walkers=24, seed=2)
    assert fit.sample_method.startswith("mcmc")
    std = np.std(fit.q_samples[:, 0])
    assert std == pytest.approx(fit.species["CO2"].Q_err, rel=0.5)


def test_mcmc_without_emcee_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "emcee", None)
    with pytest.raises(UsageError, match="comaspec\\[mcmc\\]"):
        fit_coma(_spec(), GEO, AP, mcmc=True)


def test_errors_short_uncovered_and_no_uncertainty():
    short = _spec(wavelength_um=np.linspace(4.2, 4.3, 6))
    with pytest.raises(FitError):
        fit_coma(short, GEO, AP)
    optical = _spec(q={"CO2": 1e27}, wavelength_um=np.linspace(0.7, 2.0, 200))
    with pytest.raises(FitError, match="too few valid pixels.*the data span 0.70-2.00 um"):
        fit_coma(optical, GEO, AP)
    nan_err = _spec()
    nan_err.uncertainty.array[:] = np.nan
    with pytest.raises(FitError, match="no valid uncertainty"):
        fit_coma(nan_err, GEO, AP)
    spec = _spec()
    spec.uncertainty = None
    with pytest.raises(InputError, match="uncertainties"):
        fit_coma(spec, GEO, AP)
    with pytest.raises(UsageError):
        fit_coma(_spec(), GEO, None)
    # without geometry: band fluxes only, no production rates and no ratio of Q
    flux_only = fit_coma(_spec(), None, None, T_rot=50)
    assert flux_only.species["CO2"].Q is None and flux_only.species["CO2"].band_flux > 0
    assert flux_only.ratio().value is None


def test_uncovered_species_reported_with_reason():
    spec = _spec(q={"CO2": 1.7e27}, wavelength_um=np.linspace(3.95, 4.55, 60))
    fit = fit_coma(spec, GEO, AP, species=["CO2", "H2O"], T_rot=50)
    assert fit.species["CO2"].detected and not fit.species["H2O"].covered
    r = fit.ratio()
    assert r.value is None and "H2O band not covered" in r.reason
    assert "2.7um outside the data (3.95-4.55 um)" in r.reason
    d = fit.to_dict()
    assert d["species"]["H2O"]["covered"] is False and d["ratio"]["reason"] == r.reason
    assert d["species"]["H2O"]["not_covered_because"].startswith("2.7um outside the data")


def _physical_continuum(wl):
    return physical_continuum(wl, rh_au=3.32, **PHYS_CONT)


def test_physical_continuum_option():
    spec = _indep(seed=9, continuum=_physical_continuum)
    fit = fit_coma(spec, GEO, AP, T_rot=50, fit_shift=False, continuum="physical", **HASER())
    assert fit.fit_info["continuum"] == "physical"
    assert fit.fit_info["continuum_slope"] == pytest.approx(0.5, abs=0.1)
    assert abs(fit.species["CO2"].Q - 1.7e27) < 4 * fit.species["CO2"].Q_err
    assert fit.chi2_reduced < 1.5


def test_production_rates_table_and_plot(tmp_path):
    fit = fit_coma(_spec(seed=6), GEO, AP, T_rot=50)
    t = fit.production_rates
    assert t["Q"].unit == u.one / u.s and list(t["species"]) == ["CO2", "H2O", "CO"]
    fig = fit.plot(tmp_path / "fit.png")
    assert (tmp_path / "fit.png").stat().st_size > 10000
    assert len(fig.axes) == 6
    assert all(np.isfinite(r).all() for r in fit.residuals)


def test_fit_figure_labels_each_feature_at_its_strongest_band():
    """G395H: H2O is measured through its 4.63/4.85 um hot bands; its label sits on the
    stronger one (nu3-nu2, 4.627 um), not between them, and both centres are marked."""
    from comaspec.physics import molecules

    fit = fit_coma(_spec("G395H", {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 5e25}, error=3e-19, seed=23),
                   GEO, AP, T_rot=50)
    ax = fit.plot().axes[1]  # the 4.5 um window, top row
    labels = {t.get_text(): t.get_position()[0] for t in ax.texts}
    hot = {b.band: b.center_um for b in molecules.bands_of("H2O", "4.7um")}
    assert labels["H2O"] == pytest.approx(hot["nu3-nu2"])
    assert labels["CO2"] == pytest.approx(molecules.get_band("CO2", "nu3").center_um)
    marked = {round(float(line.get_xdata()[0]), 6) for line in ax.lines if len(line.get_xdata()) == 2}
    assert {round(c, 6) for c in hot.values()} <= marked


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_per_species_and_fixed_per_species_trot():
    temps = {"CO2": 30.0, "H2O": 70.0, "CO": 50.0}
    spec = _indep(error=2e-19, seed=13, T=temps)
    fit = fit_coma(spec, GEO, AP, per_species_T_rot=True, fit_shift=False, **HASER())
    assert fit.species["CO2"].T_rot == pytest.approx(30.0, abs=4 * fit.species["CO2"].extra["T_rot_err_K"] + 0.5)
    assert fit.species["H2O"].T_rot == pytest.approx(70.0, abs=4 * fit.species["H2O"].extra["T_rot_err_K"] + 0.5)
    fixed = fit_coma(spec, GEO, AP, T_rot=temps, fit_shift=False, **HASER())
    assert fixed.species["H2O"].T_rot == 70.0 and fixed.species["H2O"].extra["T_rot_fitted"] is False
    for s, q in {"CO2": 1.7e27, "H2O": 2.2e26}.items():
        assert abs(fixed.species[s].Q - q) < 4 * fixed.species[s].Q_err
    with pytest.raises(UsageError):
        fit_coma(spec, GEO, AP, T_rot={"CO2": 30.0})
    # a held T_rot with per_species_T_rot would silently ignore one of the two
    for held in (50.0, temps):
        with pytest.raises(UsageError, match="fixed T_rot or per_species_T_rot"):
            fit_coma(spec, GEO, AP, T_rot=held, per_species_T_rot=True)


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_joint_prism_and_g395h(tmp_path):
    truth = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 5e25}
    prism = _indep("PRISM", truth, error=5e-19, seed=21)
    g395h = _indep("G395H", truth, error=3e-19, seed=22)
    fit = fit_coma([prism, g395h], GEO, AP, T_rot=50, **HASER())
    assert fit.inputs["mode"] == "PRISM+G395H"
    assert len(fit.fit_info["wavelength_shift_um"]) == 2
    for s in ("CO2", "H2O"):
        assert abs(fit.species[s].Q - truth[s]) < 4 * fit.species[s].Q_err
    fig = fit.plot(tmp_path / "joint.png")
    assert len(fig.axes) == 6


def test_q_agrees_with_production_rate_and_systematics():
    """Consistency check: the fit's Q, Q_err and Q_sys are production_rate's of its band flux
    (production_rate against closed forms and sbpy: test_production.py)."""
    from comaspec.physics.production import production_rate

    fit = fit_coma(_spec(seed=31), GEO, AP, T_rot=50, systematics={"g_factor": 0.1, "velocity": 0.2})
    for name in ("CO2", "H2O"):
        s = fit.species[name]
        pr = production_rate(s.band_flux * u.W / u.m**2, name, GEO, AP, flux_err=s.band_flux_err * u.W / u.m**2,
                             feature=s.feature, rel_err_g=0.1, rel_err_velocity=0.2)
        assert s.Q == pytest.approx(pr.Q.to_value(1 / u.s), rel=1e-9)
        assert s.Q_err == pytest.approx(pr.Q_err.to_value(1 / u.s), rel=1e-9)
        assert s.Q_sys == pytest.approx(pr.Q_sys.to_value(1 / u.s), rel=1e-9) and s.Q_sys > 0.1 * s.Q
    assert fit.to_dict()["species"]["CO2"]["Q_sys_per_s"] > 0
    assert fit_coma(_spec(seed=31), GEO, AP, T_rot=50).species["CO2"].Q_sys is None
    # a g-factor given by the user is the feature's total, as in production_rate
    g = 2.5e-3 / u.s
    fit_g = fit_coma(_spec(seed=31), GEO, AP, T_rot=50, g_factor={"CO2": g})
    pr = production_rate(fit_g.species["CO2"].band_flux * u.W / u.m**2, "CO2", GEO, AP, g_factor=g)
    assert fit_g.species["CO2"].Q == pytest.approx(pr.Q.to_value(1 / u.s), rel=1e-9)
    assert fit_g.species["CO2"].g_factor_1au == pytest.approx(2.5e-3)


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_improbable_chi2_is_flagged_in_the_notes():
    """A fit whose chi2 is improbable for its degrees of freedom says so; a good fit does not."""
    good = fit_coma(_spec(seed=11), GEO, AP, T_rot=50, fit_shift=False)
    assert not any("improbable" in n for n in good.fit_info["notes"])
    spec_bad = _spec(seed=11)
    spec_bad.uncertainty.array[:] *= 0.4  # errors under-stated by 2.5x: chi2_nu ~ 6
    bad = fit_coma(spec_bad, GEO, AP, T_rot=50, fit_shift=False)
    assert any("improbable" in n and "--scale-covar" in n for n in bad.fit_info["notes"])
    rescaled = fit_coma(spec_bad, GEO, AP, T_rot=50, fit_shift=False, scale_covar=True)
    assert not any("improbable" in n for n in rescaled.fit_info["notes"])
