"""The fit figure draws each window over the span of the pixels fitted in it."""

import astropy.units as u
import pytest

from comaspec import CircularAperture, ComaspecWarning, Geometry, read_spectrum
from comaspec.fit import fit_coma
from comaspec.plotting.fit import plot_fit


def test_short_spectrum_fills_its_panel(shared_data):
    # the real K2 beam covers 3.255-3.328 um of the 3.15-3.55 um default window
    path = shared_data("c2017k2-jwst-nirspec-ch4", "c2017k2_nirspec_g395m_beam0.75arcsec_3.25-3.33um.txt")
    spectrum = read_spectrum(path)
    wave = spectrum.spectral_axis.to_value(u.um)
    with pytest.warns(ComaspecWarning, match="chi2_nu"):  # the real residuals are far above the noise
        fit = fit_coma(spectrum, Geometry(2.34 * u.au, 2.04 * u.au), CircularAperture(0.75 * u.arcsec),
                       species=["CH4"], velocity=0.31 * u.km / u.s)
    fig = plot_fit(fit)
    lo, hi = fig.axes[0].get_xlim()
    span = wave.max() - wave.min()
    assert wave.min() - 0.05 * span <= lo <= wave.min()
    assert wave.max() <= hi <= wave.max() + 0.05 * span
