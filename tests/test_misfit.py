"""No detections from a model that does not fit (comaspec.fit.misfit).

Real spectra that are not comae (a galaxy, a planetary nebula) give improbable fits; their
emission lines must not become "CO detected at 100 sigma". Errors are inflated by the
residuals and a warning says the spectrum is not described by a coma model. A good fit is
left exactly as it was.
"""

import json
import subprocess
import sys
import warnings

import astropy.units as u
import numpy as np
import pytest

from comaspec import CircularAperture, ComaspecWarning, Geometry, fit_coma, synthetic_spectrum

GEO = Geometry(3.0 * u.au, 2.0 * u.au)
AP = CircularAperture(0.5 * u.arcsec)
NOT_COMAE = [
    ("jwst-nirspec-mos-g395m-x1d-smacs0723", "jw02736-o007_s06355_nirspec_f290lp-g395m_x1d.fits"),
    ("jwst-nirspec-g395-planetary-nebula-msaexp", "calib_g395m-f290lp_iras-05248-7007_s200a1.v1.spec.fits.gz"),
    ("jwst-nirspec-g395-planetary-nebula-msaexp", "calib_g395h-f290lp_iras-05248-7007_s200a1.v1.spec.fits.gz"),
]


@pytest.mark.parametrize("folder,name", NOT_COMAE)
def test_real_spectra_that_are_not_comae_report_no_measurement(shared_data, folder, name):
    path = shared_data(folder, name)
    out = subprocess.run([sys.executable, "-m", "comaspec", "ratio", str(path), "--rh", "3", "--delta", "2",
                          "--aperture-radius", "0.5", "--json"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)  # stdout is JSON only
    for sp, s in d["species"].items():
        assert not s["detected"] and s["Q_per_s"] is None, (sp, s["snr"])
    r = d["ratio"]
    assert r["value"] is None or r["limit"] is not None
    assert r["limit"] != "lower" or r["value"] is None  # no "CO2/H2O > x" from an undetected CO2
    assert d["fit"]["error_inflation"] is not None
    # one warning line on stderr, nothing else
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and "not described by a coma model" in lines[0] and "Traceback" not in out.stderr


def _coma(seed, line=0.0):
    spec = synthetic_spectrum("G395H", {"CO2": 3e26, "CO": 0.0}, GEO, AP, T_rot=50.0,
                              error=2e-6 * u.Jy, seed=seed)
    if line:
        # a non-coma emission feature (0.01 um wide) inside the CO band, as in a galaxy spectrum
        wl = spec.spectral_axis.to_value(u.um)
        bump = line * np.exp(-0.5 * ((wl - 4.62) / 0.01) ** 2)
        spec = spec.__class__(spectral_axis=spec.spectral_axis, flux=spec.flux + bump * u.Jy,
                              uncertainty=spec.uncertainty, meta=spec.meta, mask=spec.mask)
    return spec


def test_a_good_fit_is_not_touched():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ComaspecWarning)
        fit = fit_coma(_coma(3), GEO, AP, species=("CO2", "CO"), T_rot=50.0)
    assert fit.fit_info["error_inflation"] is None
    assert fit.species["CO2"].detected


def test_a_line_on_the_band_is_not_a_detection():
    """Injected: with no CO in the coma, an emission feature at 4.62 um makes the raw errors claim CO
    (measured ~20 sigma); with the inflated errors it is no detection."""
    with pytest.warns(ComaspecWarning, match="not described by a coma model"):
        fit = fit_coma(_coma(3, line=1e-4), GEO, AP, species=("CO2", "CO"), T_rot=50.0)
    inflation = fit.fit_info["error_inflation"]
    co = fit.species["CO"]
    raw_snr = co.band_flux / (co.band_flux_err / inflation["CO"])
    assert raw_snr > 3  # what the uninflated errors would have claimed
    assert not co.detected and co.Q_reported is None and co.Q_upper_limit is not None
    assert inflation["CO"] >= np.sqrt(fit.chi2_reduced) * (1 - 1e-9)
    assert any("not described by a coma model" in n for n in fit.fit_info["notes"])


def test_bundled_example_is_unchanged(example_inputs):
    """The example fits well: no inflation, no warning (its CO2/H2O stays as before)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ComaspecWarning)
        fit = fit_coma(*example_inputs)
    assert fit.fit_info["error_inflation"] is None
