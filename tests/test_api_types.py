"""Wrong types and units at the public API raise comaspec's own errors, naming the argument.

Every call here used to raise a raw AttributeError, IndexError, TypeError, ValueError or
UnitConversionError from deep inside; each must now be a `comaspec.ComaspecError` (an
InputError or UsageError) whose one-line message starts with or names the argument.
"""

import astropy.units as u
import numpy as np
import pytest

import comaspec as c
from comaspec import ComaspecError

GEO = c.Geometry(3.32 * u.au, 2.61 * u.au)
AP = c.CircularAperture(0.5 * u.arcsec)
FLUX = 1e-17 * u.W / u.m**2


@pytest.fixture(scope="module")
def spec():
    return c.read_spectrum(c.example_path())


FIT_CASES = [
    ("aperture", dict(aperture=0.5)),
    ("aperture", dict(aperture="x")),
    ("aperture[1]", dict(aperture=[AP, 0.5])),
    ("mc", dict(mc=-3)),
    ("mc", dict(mc="x")),
    ("mc", dict(mc=2.5)),
    ("mc", dict(mc=10**7)),
    ("windows[0]", dict(windows=[(2.4, 2.9)])),
    ("windows", dict(windows="2.4-2.9")),
    ("T_rot", dict(T_rot=40 * u.m)),
    ("T_rot", dict(T_rot="x")),
    ("T_rot", dict(T_rot=1e9)),
    ("T_rot['CO2']", dict(T_rot={"CO2": 40 * u.m})),
    ("T_rot_bounds", dict(T_rot_bounds=(300, 10))),
    ("g_factor", dict(g_factor="x")),
    ("g_factor", dict(g_factor=1 * u.m)),
    ("g_factor['CO2']", dict(g_factor={"CO2": -1 / u.s})),
    ("lifetime", dict(lifetime=5.0)),
    ("velocity", dict(velocity=1 * u.m)),
    ("species", dict(species=3)),
    ("species", dict(species=[])),
    ("detect_sigma", dict(detect_sigma=-1)),
    ("limit_sigma", dict(limit_sigma=float("nan"))),
    ("limit_sigma", dict(limit_sigma="3")),
    ("seed", dict(seed=-1)),
    ("systematics", dict(systematics=[1])),
    ("systematics['g_factor']", dict(systematics={"g_factor": "x"})),
    ("max_shift_um", dict(max_shift_um="x")),
    ("mcmc_burn", dict(mcmc=True, mcmc_steps=10, mcmc_burn=20)),
]


@pytest.mark.parametrize("name,kwargs", FIT_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FIT_CASES)])
def test_fit_coma_names_the_wrong_argument(spec, name, kwargs):
    args = dict(aperture=AP)
    args.update(kwargs)
    aperture = args.pop("aperture")
    with pytest.raises(ComaspecError) as exc:
        c.fit_coma(spec, GEO, aperture, **args)
    assert str(exc.value).startswith(name), str(exc.value)
    assert "\n" not in str(exc.value)


PRODUCTION_CASES = [
    ("flux", lambda: c.production_rate(1e-17, "CO2", GEO, AP)),
    ("flux", lambda: c.production_rate(1e-17 * u.Jy, "CO2", GEO, AP)),
    ("threshold", lambda: c.production_rate(FLUX, "CO2", GEO, AP, threshold="x")),
    ("threshold", lambda: c.production_rate(FLUX, "CO2", GEO, AP, threshold=0)),
    ("rel_err_g", lambda: c.production_rate(FLUX, "CO2", GEO, AP, rel_err_g="x")),
    ("rel_err_velocity", lambda: c.production_rate(FLUX, "CO2", GEO, AP, rel_err_velocity=-0.1)),
    ("g_factor", lambda: c.production_rate(FLUX, "CO2", GEO, AP, g_factor="x")),
    ("aperture", lambda: c.production_rate(FLUX, "CO2", GEO, 0.5)),
    ("geometry", lambda: c.production_rate(FLUX, "CO2", 3.0, AP)),
    ("Q", lambda: c.band_flux(1e26, "CO2", GEO, AP)),
    ("rh", lambda: c.Geometry("x", 1 * u.au)),
    ("rh", lambda: c.Geometry(1e308 * u.au, 1 * u.au)),  # was an OverflowError
    ("rh", lambda: c.Geometry(1e-300 * u.au, 1 * u.au)),  # was a ZeroDivisionError
    ("delta", lambda: c.Geometry(1 * u.au, 1e300 * u.au)),
    ("lifetime", lambda: c.production_rate(FLUX, "CO2", GEO, AP, lifetime=1e-300 * u.s)),
    ("velocity", lambda: c.production_rate(FLUX, "CO2", GEO, AP, velocity=1e-300 * u.km / u.s)),
    ("g_factor", lambda: c.production_rate(FLUX, "CO2", GEO, AP, g_factor=1e-300 / u.s)),
    ("aperture offset", lambda: c.CircularAperture(1 * u.arcsec, offset="x")),
    ("aperture", lambda: c.SpaxelMask(np.ones((3, 3)), 0.1 * u.arcsec, nucleus=3)),
    ("wavelength", lambda: c.resolving_power("PRISM", "x")),
    ("rh", lambda: c.catalog.compare(7.6, "x")),
    ("dyn_class", lambda: c.catalog.load(dyn_class=5)),
    ("rh_range", lambda: c.catalog.load(rh_range="x")),
    ("rh_range", lambda: c.catalog.load(rh_range=(1, "x"))),
    ("production_rates", lambda: c.synthetic_spectrum("PRISM", "x", GEO, AP, T_rot=40, error=1e-5 * u.Jy)),
    ("production_rates['CO2']", lambda: c.synthetic_spectrum("PRISM", {"CO2": "x"}, GEO, AP, T_rot=40,
                                                            error=1e-5 * u.Jy)),
    ("error", lambda: c.synthetic_spectrum("PRISM", {"CO2": 1e26}, GEO, AP, T_rot=40, error="x")),
    ("geometry", lambda: c.synthetic_spectrum("PRISM", {"CO2": 1e26}, 3, AP, T_rot=40, error=1e-5 * u.Jy)),
    ("seed", lambda: c.synthetic_spectrum("PRISM", {"CO2": 1e26}, GEO, AP, T_rot=40, error=1e-5 * u.Jy, seed=-1)),
]


@pytest.mark.parametrize("name,call", PRODUCTION_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(PRODUCTION_CASES)])
def test_other_entry_points_name_the_wrong_argument(name, call):
    with pytest.raises(ComaspecError) as exc:
        call()
    assert str(exc.value).startswith(name), str(exc.value)


def test_errors_are_value_errors_too():
    """InputError subclasses ValueError, so existing ``except ValueError`` code still works."""
    with pytest.raises(ValueError):
        c.production_rate(FLUX, "CO2", GEO, AP, threshold="x")


def test_extract_spectrum_names_a_bad_fraction(tmp_path):
    from test_io_builders import write_s3d

    cube = c.read_cube(write_s3d(tmp_path / "s3d.fits", np.ones((20, 9, 9))))
    with pytest.raises(ComaspecError, match="^max_masked_fraction"):
        c.extract_spectrum(cube, c.CircularAperture(0.3 * u.arcsec), max_masked_fraction="x")
