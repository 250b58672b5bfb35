"""Injection–recovery: spectra with known inputs, noise draws, pulls, limits.

The model is linear in the band fluxes and continuum coefficients at fixed T_rot, so the
many-draw tests use the linear solve (`comaspec.fit.linear_solve`) on the forward model of
the injected spectrum; the full lmfit path (free T_rot and shift) is checked with fewer draws.
Where the truth is the injected Q (ratio coverage, limits, the lmfit path, the ice band) the
spectra come from `independent_coma`, not from comaspec's forward model. The pull-width test
is a calibration of the estimator under the right model: its data come from the forward model
itself (comaspec.synthetic) on purpose. Everything here runs in CI (no slow markers).
"""

import astropy.units as u
import numpy as np
import pytest

from comaspec.apertures import CircularAperture
from comaspec.fit import as_observed, fit_coma, linear_solve
from comaspec.geometry import Geometry
from comaspec.model import ForwardModel, Window
from comaspec.physics.assumptions import Assumptions
from comaspec.results import is_detected, ratio_from_values, upper_limit
from comaspec.synthetic import synthetic_spectrum
from independent_coma import coma_spectrum, physical_continuum

GEO = Geometry(3.32 * u.au, 2.61 * u.au)
AP = CircularAperture(0.5 * u.arcsec)
FLAM = u.W / u.m**2 / u.um
N_DRAWS = 2000


def _continuum(wl):
    """A smooth dust continuum, W m-2 um-1."""
    return 4e-17 * (wl / 3.5) ** -1.2


def _quadratic_continuum(wl):
    """A continuum the window polynomials represent exactly (pull tests at SNR up to 200)."""
    return 4e-17 * (1.0 - 0.12 * (wl - 3.5) + 0.02 * (wl - 3.5) ** 2)


def _injected(modes, q, T, continuum=_quadratic_continuum):
    """Noiseless injected spectra (as the fitter sees them) and their forward model."""
    spectra = [as_observed(synthetic_spectrum(m, q, GEO, AP, T_rot=T, error=1.0 * FLAM, noise=False,
                                              continuum=continuum)) for m in modes]
    fm = ForwardModel(spectra, list(q), GEO, [AP] * len(spectra))
    return spectra, fm


V_KM_S = 0.5
TAU_1AU_S = {"CO2": 5e5, "H2O": 8e4, "CO": 1.4e6}
HASER = {"velocity": V_KM_S * u.km / u.s, "lifetime": {s: t * u.s for s, t in TAU_1AU_S.items()}}
RANGE_UM = {"PRISM": (2.4, 5.2), "G235H": (2.4, 3.15), "G395H": (2.9, 5.2)}


def _independent(mode, q, T, continuum=_quadratic_continuum, error=1.0, seed=None, shift_um=0.0):
    """A spectrum of `independent_coma` at the test geometry (noise-free when seed is None)."""
    lo, hi = RANGE_UM[mode]
    return coma_spectrum(mode, q, rh_au=3.32, delta_au=2.61, radius_arcsec=0.5, v_km_s=V_KM_S,
                         tau_1au_s=TAU_1AU_S, T_rot=T, lo_um=lo, hi_um=hi, continuum=continuum, error=error,
                         seed=seed, shift_um=shift_um)[0]


def _injected_independent(modes, q, T):
    """Noise-free spectra of the independent generator and comaspec's forward model of them."""
    spectra = [as_observed(_independent(m, q, T)) for m in modes]
    stated = Assumptions(velocity=HASER["velocity"], lifetime={s: HASER["lifetime"][s] for s in q})
    fm = ForwardModel(spectra, list(q), GEO, [AP] * len(spectra), assumptions=stated)
    return spectra, fm


def _linear_draws(fm, T, snr_weakest, seed):
    """Noise scaled so the weakest injected band has the requested SNR; N_DRAWS linear solves."""
    y0, unit_sigma = fm.data()  # noiseless data; unit sigma = 1 W m-2 um-1
    a = fm.design({"T_rot": T})
    unit = linear_solve(a, y0, unit_sigma)
    n_sp = len(fm.fitted_species)
    flux_true = unit.coef[:n_sp]
    err_unit = np.sqrt(np.diag(unit.covariance)[:n_sp])
    scale = np.min(flux_true / err_unit) / snr_weakest
    sigma = unit_sigma * scale
    rng = np.random.default_rng(seed)
    y = y0[:, None] + rng.normal(0.0, 1.0, (y0.size, N_DRAWS)) * sigma[:, None]
    sol = linear_solve(a, y, sigma)
    err = np.sqrt(np.diag(sol.covariance)[:n_sp])
    return flux_true, sol.coef[:n_sp], err, sol


GRID = [
    (("PRISM",), 20.0, 0.05, 3.0),
    (("PRISM",), 50.0, 1.0, 30.0),
    (("PRISM",), 80.0, 20.0, 200.0),
    (("PRISM",), 20.0, 7.6, 10.0),
    (("G235H", "G395H"), 20.0, 20.0, 3.0),
    (("G235H", "G395H"), 50.0, 0.05, 30.0),
    (("G235H", "G395H"), 80.0, 1.0, 200.0),
]


@pytest.mark.parametrize("modes,T,ratio,snr", GRID)
def test_pulls_unbiased_and_unit_width(modes, T, ratio, snr):
    """Calibration under the right model (data = the forward model, on purpose): pulls are
    N(0, 1) and E[chi2] = dof. Recovery of injected truth is tested below on independent spectra."""
    q = {"CO2": 1e27 * ratio ** 0.5, "H2O": 1e27 / ratio ** 0.5, "CO": 1e26}
    _, fm = _injected(modes, q, T)
    flux_true, flux_fit, err, sol = _linear_draws(fm, T, snr, seed=GRID.index((modes, T, ratio, snr)))
    assert fm.species["H2O"].feature == "2.7um"
    for j, name in enumerate(fm.fitted_species):
        pulls = (flux_fit[j] - flux_true[j]) / err[j]
        assert abs(pulls.mean()) < 0.1, (name, pulls.mean())
        assert 0.9 < pulls.std() < 1.1, (name, pulls.std())
    # chi2 of the right model follows its distribution: mean = dof
    assert sol.chi2.mean() == pytest.approx(sol.dof, rel=0.05)


def test_ratio_interval_coverage():
    """The 68 % interval of CO2/H2O contains the true ratio in ~68 % of the draws."""
    q = {"CO2": 1.7e27, "H2O": 2.2e26}
    _, fm = _injected_independent(("PRISM",), q, 50.0)
    flux_true, flux_fit, err, sol = _linear_draws(fm, 50.0, 8.0, seed=42)
    phi = np.array([fm.species[s].phi for s in fm.fitted_species])
    qcov = sol.covariance[:2, :2] / np.outer(phi, phi)
    truth = q["CO2"] / q["H2O"]
    inside = []
    for k in range(400):
        qv = flux_fit[:2, k] / phi
        r = ratio_from_values("CO2", "H2O", qv, qcov, detected=(True, True), n_draws=4000, seed=k)
        inside.append(r.value - r.err_lo <= truth <= r.value + r.err_hi)
    frac = np.mean(inside)
    assert 0.61 < frac < 0.75, frac


def test_detection_and_limits_at_low_snr():
    """False detections, detection efficiency, and coverage of upper limits."""
    _, fm = _injected_independent(("PRISM",), {"CO2": 1.7e27, "H2O": 2.2e26}, 40.0)
    flux_true, flux_fit, err, _ = _linear_draws(fm, 40.0, 3.0, seed=5)
    j = fm.fitted_species.index("H2O")
    sigma_h2o = err[j]
    # SNR 3 injected: about half the draws pass the 3 sigma threshold
    det = np.array([is_detected(f, sigma_h2o) for f in flux_fit[j]])
    assert 0.42 < det.mean() < 0.58
    # the 3 sigma limit max(F, 0) + 3 sigma covers the truth (99.87 % expected)
    limits = np.array([upper_limit(f, sigma_h2o) for f in flux_fit[j][~det]])
    assert np.mean(limits >= flux_true[j]) > 0.99
    # nothing injected: false detections at the 3 sigma level are rare (0.13 % expected)
    _, fm0 = _injected_independent(("PRISM",), {"CO2": 1.7e27, "H2O": 0.0}, 40.0)
    y0, s0 = fm0.data()
    a = fm0.design({"T_rot": 40.0})
    sigma = s0 * sigma_h2o / np.sqrt(linear_solve(a, y0, s0).covariance[1, 1])
    rng = np.random.default_rng(6)
    sol = linear_solve(a, y0[:, None] + rng.normal(0, 1, (y0.size, N_DRAWS)) * sigma[:, None], sigma)
    e = np.sqrt(sol.covariance[1, 1])
    false = np.mean(sol.coef[1] / e >= 3.0)
    assert false < 0.01
    # H2O barely there (SNR 1.5): where it is not detected, the lower limit on CO2/H2O lies
    # below the true ratio (the limit on H2O covers the truth, CO2 is measured to < 1 %)
    _, fm1 = _injected_independent(("PRISM",), {"CO2": 1.7e27, "H2O": 2.2e26}, 40.0)
    flux_true, flux_fit, err, sol1 = _linear_draws(fm1, 40.0, 1.5, seed=7)
    phi = np.array([fm1.species[s].phi for s in fm1.fitted_species])
    qcov = sol1.covariance[:2, :2] / np.outer(phi, phi)
    true_ratio = 1.7e27 / 2.2e26  # the injected Q ratio
    limits = []
    for k in range(600):
        qv = flux_fit[:2, k] / phi
        det_h2o = is_detected(qv[1], np.sqrt(qcov[1, 1]))
        r = ratio_from_values("CO2", "H2O", qv, qcov, detected=(True, det_h2o), n_draws=2000, seed=k)
        if r.limit == "lower":
            limits.append(r.value)
    assert len(limits) > 500
    assert np.mean(np.array(limits) <= true_ratio) > 0.99


def test_lmfit_path_pulls_with_free_trot_and_shift():
    """Fewer draws through the full nonlinear fit: errors still describe the scatter."""
    q = {"CO2": 1.7e27, "H2O": 2.2e26}
    pulls = {"CO2": [], "H2O": []}
    for seed in range(30):
        spec = _independent("PRISM", q, 45.0, continuum=_continuum, error=4e-19, seed=1000 + seed, shift_um=0.002)
        fit = fit_coma(spec, GEO, AP, species=["CO2", "H2O"], velocity=HASER["velocity"],
                       lifetime={s: HASER["lifetime"][s] for s in q})
        for s in pulls:
            pulls[s].append((fit.species[s].Q - q[s]) / fit.species[s].Q_err)
    for s, p in pulls.items():
        p = np.array(p)
        assert abs(p.mean()) < 0.6, (s, p.mean())
        assert 0.6 < p.std() < 1.45, (s, p.std())


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_continuum_with_water_ice_absorption():
    """A 3 µm ice band next to the H2O emission: the default windows keep the fit unbiased."""
    # illustrative ice band (Gaussian in optical depth), its blue wing reaching into 2.8-2.9 um
    def ice(wl):
        return physical_continuum(wl, scattered=4e-17, thermal=1e-19, slope=0.8, rh_au=3.32,
                                  ice=(0.5, 3.05, 0.3))

    q = {"CO2": 1.7e27, "H2O": 2.2e26}
    kw = dict(species=["CO2", "H2O"], velocity=HASER["velocity"], lifetime={s: HASER["lifetime"][s] for s in q})
    noiseless = _independent("PRISM", q, 50.0, continuum=ice, error=3e-19)
    fit = fit_coma(noiseless, GEO, AP, T_rot=50.0, **kw)
    assert abs(fit.species["H2O"].Q - q["H2O"]) < 0.5 * fit.species["H2O"].Q_err
    # a window reaching into the ice band biases water: the defaults are there for a reason
    wide = [Window("2.7um", 2.45, 3.3, 2), Window("4.5um", 4.05, 5.1, 3)]
    bad = fit_coma(noiseless, GEO, AP, T_rot=50.0, windows=wide, **kw)
    assert abs(bad.species["H2O"].Q - q["H2O"]) > 1.0 * bad.species["H2O"].Q_err
    noisy = _independent("PRISM", q, 50.0, continuum=ice, error=3e-19, seed=8)
    fit = fit_coma(noisy, GEO, AP, **kw)
    assert abs(fit.species["H2O"].Q - q["H2O"]) < 3.5 * fit.species["H2O"].Q_err
    assert fit.chi2_reduced < 1.5


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_real_laboratory_co2_band(shared_data):
    """Band-shape smoke test on a real, noisy, hot-gas CO2 emission spectrum (RADIS lab data).

    The gas is hot and its band core is absorbed, so only convergence and a band flux close
    to the direct integral are asserted.
    """
    from comaspec.physics.instrument import make_lsf
    from comaspec.model import ObservedSpectrum

    path = shared_data("co2-lab-emission-4-5um-radis", "CO2_measured_spectrum_4-5um.csv")
    d = np.loadtxt(path, delimiter=",", comments="#", skiprows=3)
    wl, f = d[:, 0] / 1000.0, d[:, 1]
    order = np.argsort(wl, kind="stable")
    wl, f = wl[order], f[order]
    keep = np.concatenate([[True], np.diff(wl) > 0])
    wl, f = wl[keep], f[keep]
    n = wl.size // 10 * 10  # bin by 10 points
    wl, f = wl[:n].reshape(-1, 10).mean(1), f[:n].reshape(-1, 10).mean(1)
    noise = np.std(np.diff(f[wl > 4.72])) / np.sqrt(2)  # point-to-point scatter in a line-free part
    obs = ObservedSpectrum(wl, f, np.full(wl.size, noise), np.ones(wl.size, bool), make_lsf(40.0), label="lab")
    fit = fit_coma(obs, None, None, species=["CO2"], windows=[Window("co2", 4.09, 5.0, 1)],
                   T_rot_bounds=(10.0, 3000.0), max_shift_um=0.3)
    assert fit.params is not None and fit.fit_info["nfev"] > 0
    assert fit.species["CO2"].Q is None  # no geometry: band flux only
    base = np.median(f[(wl < 4.15) | (wl > 4.8)])
    sel = (wl > 4.09) & (wl < 5.0)
    direct = np.sum((f - base)[sel] * np.gradient(wl)[sel])
    assert fit.species["CO2"].band_flux == pytest.approx(direct, rel=0.10)
