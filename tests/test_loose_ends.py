"""Loose ends of issue 13: offset == radius, unit-suffixed columns, systematic terms shown,
MCMC text kept off stdout, warnings and progress on stderr only, --quiet / --verbose."""

import json
import math
import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy import constants as const
from scipy import integrate, special

import comaspec as c
from comaspec import ComaspecWarning
from comaspec.physics import haser, molecules
from comaspec.cli import main

GEO = c.Geometry(3.32 * u.au, 2.61 * u.au)
AP = c.CircularAperture(0.5 * u.arcsec)


# --------------------------------------------------------------------------- offset == radius
def _on_edge_number_per_q(a, v, tau):
    """N/Q (s) in a circle of radius ``a`` (km) whose edge passes through the nucleus.

    Independent of haser.py: the textbook column density σ/Q = Ki1(ρ/L)/(2π v ρ), Ki1(x) =
    π/2 − ∫_0^x K0 (scipy iti0k0), integrated in polar coordinates about the nucleus, which
    lies on the circle: ρ <= 2 a cos(θ), |θ| <= π/2."""
    length = v * tau

    def ring(rho, theta):  # σ ρ / Q
        return (math.pi / 2 - special.iti0k0(rho / length)[1]) / (2 * math.pi * v)

    ref, _ = integrate.dblquad(ring, -math.pi / 2, math.pi / 2, 0.0, lambda t: 2 * a * math.cos(t),
                               epsabs=0, epsrel=1e-9)
    return ref


def test_aperture_edge_through_the_nucleus_is_finite_and_right():
    a, v, tau = 900.0, 0.5, 2e3  # km, km/s, s: scale length 1000 km, comparable to the aperture
    n = float(haser.number_circle(a, 1.0, v, tau, (a, 0.0)))
    assert math.isfinite(n) and n == pytest.approx(_on_edge_number_per_q(a, v, tau), rel=1e-6)
    # and continuous across the edge
    inside = float(haser.number_circle(a, 1.0, v, tau, (a * (1 - 1e-7), 0.0)))
    assert n == pytest.approx(inside, rel=1e-5)


def test_production_with_offset_equal_to_radius(capsys):
    """Q = F / [(N/Q) (g/rh²) h c ν̃ / (4π Δ²)], written out here with the tabulated inputs
    (g, lifetime, velocity law, band centre) and the polar integral above."""
    status = main(["production", "--species", "CO2", "--flux", "1e-17", "--rh", "3", "--delta", "2",
                   "--aperture-radius", "0.5", "--offset", "0.5,0", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert status == 0
    rh, delta = 3.0 * u.au, 2.0 * u.au
    a_km = (delta * (0.5 * u.arcsec).to_value(u.rad)).to_value(u.km)
    v = molecules.expansion_velocity(rh).to_value(u.km / u.s)
    tau = molecules.lifetime("CO2").to_value(u.s) * 3.0**2
    n_per_q = _on_edge_number_per_q(a_km, v, tau)
    g = molecules.g_factor("CO2", "nu3").to_value(1 / u.s) / 3.0**2
    photon = (const.h * const.c * molecules.get_band("CO2", "nu3").center_cm / u.cm).to_value(u.J)
    flux_per_q = n_per_q * g * photon / (4 * math.pi * delta.to_value(u.m) ** 2)
    assert d["Q_per_s"] == pytest.approx(1e-17 / flux_per_q, rel=1e-4)


# --------------------------------------------------------------------------- column names with units
def test_unit_suffixed_column_names_are_read(tmp_path):
    wave = np.linspace(2.5, 5.0, 50)
    rows = "\n".join(f"{w:.4f} {1.5:.3f} {0.1:.3f}" for w in wave)
    jy = tmp_path / "jy.txt"
    jy.write_text("wavelength_um flux_jy error_jy\n" + rows + "\n")
    mjy = tmp_path / "mjy.csv"
    mjy.write_text("wavelength_um,flux_mjy,error_mjy\n" + rows.replace(" ", ",") + "\n")
    s_jy, s_mjy = c.read_spectrum(jy), c.read_spectrum(mjy)
    assert s_jy.flux.unit == u.Jy and np.allclose(s_jy.flux.value, 1.5)
    assert np.allclose(s_jy.uncertainty.array, 0.1)
    # lower-case "mjy" is millijansky (MJy, megajansky, is never written in lower case)
    assert np.allclose(s_mjy.flux.to_value(u.Jy), 1.5e-3)
    assert np.allclose(s_jy.spectral_axis.to_value(u.um), wave, atol=1e-4)


# --------------------------------------------------------------------------- systematics shown
def test_rel_err_is_shown_and_propagated_to_the_ratio():
    spec = c.read_spectrum(c.example_path())
    from comaspec.synthetic import aperture_from_header, geometry_from_header

    header = spec.meta["primary_header"]
    geo, ap = geometry_from_header(header, "example"), aperture_from_header(header, "example")
    fit = c.fit_coma(spec, geo, ap, systematics={"g_factor": 0.1})
    d = fit.to_dict()
    # g enters Q as 1/g for each species, independently: the ratio's term is sqrt(2) x 10 %
    assert d["ratio"]["err_sys_relative"] == pytest.approx(0.1 * math.sqrt(2), rel=1e-9)
    assert d["ratio"]["err_sys"] == pytest.approx(d["ratio"]["value"] * 0.1 * math.sqrt(2), rel=1e-9)
    text = fit.summary()
    co2_row = next(line for line in text.splitlines() if line.startswith("CO2 "))
    assert "sys" in co2_row
    ratio_line = next(line for line in text.splitlines() if line.startswith("CO2/H2O"))
    assert "systematic" in ratio_line and "14 %" in ratio_line
    # the statistical interval itself is unchanged by the stated systematics
    plain = c.fit_coma(spec, geo, ap).to_dict()["ratio"]
    assert plain["err_sys"] is None
    assert (plain["err_lo"], plain["err_hi"]) == (d["ratio"]["err_lo"], d["ratio"]["err_hi"])


def test_shared_velocity_error_cancels_in_the_ratio():
    """Both species see the same velocity: with near-equal elasticities the ratio term is far
    smaller than each species' own velocity term."""
    spec = c.read_spectrum(c.example_path())
    from comaspec.synthetic import aperture_from_header, geometry_from_header

    header = spec.meta["primary_header"]
    fit = c.fit_coma(spec, geometry_from_header(header, "x"), aperture_from_header(header, "x"),
                     systematics={"velocity": 0.2})
    co2 = fit.species["CO2"]
    assert co2.Q_sys / co2.Q > 0.1
    assert fit.to_dict()["ratio"]["err_sys_relative"] < 0.2 * co2.Q_sys / co2.Q


# --------------------------------------------------------------------------- stdout stays clean
def test_mcmc_text_goes_to_the_notes_not_stdout(capsys):
    pytest.importorskip("emcee")
    spec = c.read_spectrum(c.example_path())
    from comaspec.synthetic import aperture_from_header, geometry_from_header

    header = spec.meta["primary_header"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = c.fit_coma(spec, geometry_from_header(header, "x"), aperture_from_header(header, "x"),
                         species=("CO2", "H2O"), T_rot=50, mcmc=True, mcmc_steps=40, mcmc_burn=5, seed=1)
    out, _ = capsys.readouterr()
    assert out == ""
    # a chain this short is never converged: one note (one line) and one warning say so
    assert any(n.startswith("MCMC did not converge") and "\n" not in n for n in fit.fit_info["notes"])
    assert any(issubclass(w.category, ComaspecWarning) and "MCMC did not converge" in str(w.message)
               for w in caught)
    assert fit.fit_info["mcmc"]["converged"] is False


def test_mc_progress_is_silent_when_piped(capsys, tmp_path):
    assert main(["ratio", "--example", "--species", "CO2,H2O", "--trot", "50", "--mc", "3", "--seed", "2",
                 "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["fit"]["n_samples"] == 3
    # no bar: stderr is not a terminal here (the example's one warning, its CO2 pump-line opacity, stays)
    assert "Monte Carlo" not in err and all(line.startswith("comaspec ratio: warning:") for line in err.splitlines())


def test_progress_bar_when_enabled():
    from comaspec import _progress

    _progress.set_enabled(True)
    try:
        bar = _progress.progress(range(3), desc="x")
        from tqdm.std import tqdm

        assert isinstance(bar, tqdm) and list(bar) == [0, 1, 2]
    finally:
        _progress.set_enabled(None)
    _progress.set_enabled(False)
    try:
        assert isinstance(_progress.progress(range(3)), range) and not _progress.wanted()
    finally:
        _progress.set_enabled(None)


# --------------------------------------------------------------------------- warnings, --quiet, --verbose
@pytest.fixture
def angstrom_table(tmp_path):
    path = tmp_path / "angstrom.txt"
    wave = np.linspace(6500, 52486, 40)
    path.write_text("wavelength flux error\n" + "\n".join(f"{w:.1f} 1.0e-3 1.0e-4" for w in wave) + "\n")
    return path


def test_info_warns_about_wavelengths_outside_jwst(capsys, angstrom_table):
    assert main(["info", str(angstrom_table), "--wavelength-unit", "um", "--unit", "Jy", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["wavelength_max_um"] == pytest.approx(52486)  # stdout: JSON only
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("comaspec info: warning:") and "0.5-30 um" in lines[0]
    assert main(["info", str(angstrom_table), "--wavelength-unit", "um", "--unit", "Jy", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_info_warns_about_implausible_flux_levels(capsys, tmp_path):
    path = tmp_path / "erg.csv"
    wave = np.linspace(2.5, 5.0, 40)
    path.write_text("wavelength_um,flux_erg_s_cm2_A,error_erg_s_cm2_A\n"
                    + "\n".join(f"{w:.3f},1.0e-3,1.0e-4" for w in wave) + "\n")
    assert main(["info", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "flux unit is probably wrong" in err


def test_every_subcommand_has_quiet_and_verbose():
    from comaspec.cli import SUBCOMMANDS, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in SUBCOMMANDS:
        options = sub.choices[name]._option_string_actions
        assert {"--quiet", "-q", "--verbose", "-v"} <= set(options), name


def test_quiet_and_verbose_together_are_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["catalog", "--quiet", "--verbose"])
    assert exc.value.code == 2 and capsys.readouterr().err.count("\n") == 1


def test_verbose_shows_library_warnings_one_line_each(capsys, tmp_path):
    """Default: a library's own warnings are hidden; --verbose prints them, one line each."""
    from comaspec.cli._console import verbosity

    class Args:
        command, quiet, verbose = "info", False, False

    with verbosity(Args()):
        warnings.warn("a library\nwarning", RuntimeWarning, stacklevel=1)
    assert capsys.readouterr().err == ""
    Args.verbose = True
    with verbosity(Args()):
        warnings.warn("a library\nwarning", RuntimeWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert err == "comaspec info: warning (RuntimeWarning): a library warning\n"


def test_documented_ranges_are_the_ranges_in_force():
    """docs/cli.rst lists each range; it must be the one comaspec._ranges enforces."""
    from pathlib import Path

    from comaspec._ranges import RANGES

    text = (Path(__file__).resolve().parents[1] / "docs" / "cli.rst").read_text(encoding="utf-8")
    rows = {}
    for block in text.split("   * - ")[2:]:
        cells = [c.strip() for c in block.split("\n     - ")]
        rows[cells[0]] = cells[1]
    flags = {"rh": "``--rh`` (ratio, production, compare)", "delta": "``--delta``", "phase": "``--phase``",
             "velocity": "``--velocity``", "lifetime": "``--lifetime`` (at 1 au)",
             "g_factor": "``--g-factor`` (at 1 au)", "trot": "``--trot``",
             "ratio_err": "``--ratio-err`` (compare)", "rh_filter": "``--rh-min``, ``--rh-max`` (catalog)",
             "q_h2o": "``--q-h2o`` (ratio; Q, and its error ≥ 0)"}
    for key, flag in flags.items():
        lo, hi = (float(v.replace("−", "-")) for v in rows[flag].split(" – "))
        assert (lo, hi) == RANGES[key][:2], key


def test_mc_progress_bar_on_a_terminal():
    """With stderr on a terminal (a pseudo-terminal here) --mc shows a tqdm bar with the time
    left; the JSON on stdout is untouched, and --quiet removes the bar."""
    import sys

    from terminal import run_on_terminal

    argv = [sys.executable, "-m", "comaspec", "ratio", "--example", "--species", "CO2,H2O", "--trot", "50",
            "--mc", "4", "--seed", "1", "--json"]

    def run(extra):
        return run_on_terminal(argv + extra)

    proc, err = run([])
    assert proc.returncode == 0 and json.loads(proc.stdout)["fit"]["n_samples"] == 4
    assert "Monte Carlo refits" in err and "<" in err  # tqdm's "elapsed<remaining"
    proc, err = run(["--quiet"])
    assert proc.returncode == 0 and "Monte Carlo refits" not in err
