"""The Swings effect in the product (issue #19 item 4): rdot in the geometry, the sunlight of
the fitted templates and of the computed g-factors, and ``--rdot``/``--solar`` recorded.

The g(rdot) check is independent of comaspec's solar table and line list: the raw Meftah et
al. 2023 file and HITRAN's CO R(0) line (position and A from the .par record) give, by hand,
the pump rate of cold CO, whose only absorbing line is R(0).
"""

import math

import astropy.constants as const
import astropy.units as u
import numpy as np
import pytest

from comaspec import Geometry
from comaspec.errors import InputError
from comaspec.physics import fluorescence
from comaspec.physics.templates import Emission, emission_model, stick_spectrum

_C_KM_S = 299792.458


def _hitran_co_r0(par):
    """(wavenumber cm^-1, A s^-1) of 12C16O 1-0 R(0): E'' = 0 on the R side of the band."""
    for line in par.read_text().splitlines():
        if line[:3] != " 51" or line[67:82].strip() != "1" or line[82:97].strip() != "0":
            continue
        nu, a, e_low = float(line[3:15]), float(line[25:35]), float(line[45:55])
        if e_low == 0.0 and nu > 2143.3:
            return nu, a
    raise AssertionError("no CO R(0) line in the .par file")


def _meftah_photons_by_hand(path, nu_cm):
    """Photons s^-1 cm^-2 (cm^-1)^-1 at 1 au at ``nu_cm`` from the raw file (nm, W m^-2 nm^-1)."""
    wave_nm, flux = np.loadtxt(path, unpack=True)
    lam_nm = 1e7 / nu_cm
    f_lambda = np.interp(lam_nm, wave_nm, flux)                     # W m^-2 nm^-1
    f_nu = f_lambda * lam_nm**2 / 1e7                                 # W m^-2 (cm^-1)^-1
    photon_j = (const.h * const.c).to_value(u.J * u.cm) * nu_cm
    return f_nu / photon_j / 1e4                                      # per cm^2


def test_cold_co_g_follows_the_shifted_solar_spectrum_by_hand(shared_data):
    """T -> 0: all CO in J''=0, pumped by R(0) only: g = 3 A / (8 pi c nu^2) Phi(nu (1 + v/c))."""
    nu, a_r0 = _hitran_co_r0(shared_data("hitran-co2-co-radis", "hitran_co_3iso_2000_2300cm.par"))
    sun = shared_data("solar-spectrum-meftah2023", "meftah2023_solar_4000-5000nm.txt")
    c_cm = const.c.to_value(u.cm / u.s)
    velocities = (-40.0, -10.0, 0.0, 10.0, 25.0, 50.0)
    by_hand = np.array([3.0 * a_r0 / (8 * math.pi * c_cm * nu**2)
                        * _meftah_photons_by_hand(sun, nu * (1 + v / _C_KM_S)) for v in velocities])
    model = np.array([fluorescence.line_table("CO", 0.3, 3.0, ("meftah2023", v))["g"].to_value(1 / u.s).sum()
                      for v in velocities])
    # the velocity dependence is large here (R(0) crosses the solar CO line) ...
    assert by_hand.max() / by_hand.min() > 1.1
    # ... and comaspec follows it: the ratios to rest within the table's 0.3 % sampling,
    # the absolute values within 3 % (HITRAN2016 .par A against comaspec's HITRAN2020 A: -2.0 %)
    rest = velocities.index(0.0)
    assert np.allclose(model / model[rest], by_hand / by_hand[rest], rtol=0.008)
    assert np.allclose(model, by_hand, rtol=0.03)


def test_geometry_carries_rdot_and_refuses_bad_values():
    g = Geometry(1.5 * u.au, 1.0 * u.au, rdot=-12.5 * u.km / u.s)
    assert g.rdot_km_s == -12.5 and g.to_dict()["rdot_km_s"] == -12.5
    assert Geometry(1.5 * u.au, 1.0 * u.au).to_dict()["rdot_km_s"] is None
    assert Geometry.from_any({"rh_au": 1.5, "delta_au": 1.0, "rdot_km_s": 30}).rdot_km_s == 30.0
    for bad in (12.0, 400 * u.km / u.s, 3 * u.au, np.nan * u.km / u.s):
        with pytest.raises(InputError, match="rdot"):
            Geometry(1.5 * u.au, 1.0 * u.au, rdot=bad)


def test_geometry_takes_rdot_from_an_sbpy_ephem():
    data = pytest.importorskip("sbpy.data")
    eph = data.Ephem.from_dict({"rh": [1.36] * u.au, "delta": [2.1] * u.au, "rdot": [-2.5] * u.km / u.s})
    assert Geometry.from_any(eph).rdot_km_s == pytest.approx(-2.5)
    eph = data.Ephem.from_dict({"rh": [1.36] * u.au, "delta": [2.1] * u.au})
    assert Geometry.from_any(eph).rdot is None


def test_templates_are_pumped_by_the_chosen_sunlight():
    """The fitted CO shape at rest in the solar lines differs from E490's, and is the energy
    share of the line g-factors computed with the same sunlight."""
    e490 = stick_spectrum("CO", "1-0", 50.0)
    meftah = emission_model("fluorescence", "meftah2023", 0.0 * u.km / u.s)
    nu, w = stick_spectrum("CO", "1-0", 50.0, emission=meftah)
    assert np.max(np.abs(w / e490[1] - 1)[w > 1e-3 * w.max()]) > 0.05
    table = fluorescence.line_g_factors("CO", 50.0, solar="meftah2023", rdot=0.0)
    energy = table["g"].to_value(1 / u.s) * table["wavenumber"].to_value(1 / u.cm)
    share = dict(zip(np.round(table["wavenumber"].to_value(1 / u.cm), 6), energy / energy.sum()))
    assert np.allclose(w, [share[round(x, 6)] for x in nu], rtol=1e-9)


def test_emission_model_checks_and_records():
    assert emission_model("fluorescence", "e490", 40.0).rdot_km_s == 0.0   # a continuum: nothing to shift
    e = emission_model("fluorescence", "meftah2023", -30 * u.km / u.s)
    assert e == Emission("fluorescence", "meftah2023", -30.0) and str(e) == "fluorescence"
    assert e.describe() == {"emission": "fluorescence", "solar_spectrum": "meftah2023", "solar_rdot_km_s": -30.0}
    assert emission_model("thermal").describe()["solar_spectrum"] is None
    for kwargs, name in (({"solar": "sun"}, "solar"), ({"solar": "meftah2023", "rdot": 301.0}, "rdot"),
                         ({"emission": "lte"}, "emission")):
        with pytest.raises(InputError, match=name):
            emission_model(**kwargs)


def test_map_pumps_with_the_chosen_sunlight_and_says_so(tmp_path, capsys):
    """``comaspec map --rdot --solar``: the cards in the FITS header, the aperture fit's record."""
    import independent_coma as ic
    from astropy.io import fits
    from test_io_builders import write_s3d

    from comaspec.cli import main

    cube = tmp_path / "coma_s3d.fits"
    wave, sb, err = ic.coma_cube("PRISM", {"CO2": 1.7e27, "H2O": 3e26}, rh_au=3.32, delta_au=2.61, pixel_arcsec=0.1,
                                 shape=(9, 9), v_km_s=ic.default_velocity(3.32), tau_1au_s=ic.default_lifetimes(),
                                 T_rot=50.0, lo_um=2.4, hi_um=5.2, continuum=lambda wl: 1e-17 * np.ones_like(wl),
                                 error_per_spaxel=6e-20, seed=4)
    write_s3d(cube, sb, err, wave=wave, wavetab=True, pixel_scale_arcsec=0.1)
    out = tmp_path / "m.fits"
    status = main(["map", str(cube), "--rh", "3.32", "--delta", "2.61", "--rdot", "-35", "--solar", "meftah2023",
                   "--species", "CO2,H2O", "--bin", "3", "--output", str(out), "--quiet"])
    assert status == 0, capsys.readouterr().err
    header = fits.getheader(out)
    assert header["RDOT"] == -35.0 and header["SOLAR"] == "meftah2023"


def test_batch_manifest_rows_carry_rdot_and_the_solar_spectrum(tmp_path):
    from comaspec.batch.manifest import read_manifest

    for name in ("a_x1d.fits", "b_x1d.fits"):
        (tmp_path / name).write_bytes(b"")   # read_manifest checks that the files exist, not their content
    rows = ["label,files,rh,delta,rdot,solar,aperture",
            "moving,a_x1d.fits,3.32,2.61,-35,meftah2023,0.5",
            "plain,b_x1d.fits,3.32,2.61,,,0.5",
            "fast,a_x1d.fits,3.32,2.61,400,,0.5",
            "nosun,b_x1d.fits,3.32,2.61,10,sun,0.5"]
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    jobs, invalid = read_manifest(tmp_path / "m.csv")
    by_label = {j.label: j for j in jobs}
    assert by_label["moving"].geometry.rdot_km_s == -35.0 and by_label["moving"].solar == "meftah2023"
    assert by_label["plain"].geometry.rdot is None and by_label["plain"].solar == "e490"
    reasons = {b.label: str(b) for b in invalid}
    assert "rdot" in reasons["fast"] and "solar" in reasons["nosun"]
    assert all("\n" not in r for r in reasons.values())


def test_forward_model_columns_use_the_model_sunlight():
    """The model's CO column is the band profile pumped by its Emission, and differs from the
    E490 column where the solar CO lines bite."""
    from comaspec.apertures import CircularAperture
    from comaspec.model import ForwardModel, ObservedSpectrum
    from comaspec.physics.assumptions import Assumptions
    from comaspec.physics.instrument import make_lsf
    from comaspec.physics.templates import band_profile
    from comaspec.synthetic import wavelength_grid

    wl = wavelength_grid("G395H", 4.5, 4.9)
    obs = ObservedSpectrum(wl, np.ones_like(wl), np.full(wl.size, 0.01), np.ones(wl.size, bool), make_lsf("G395H"),
                           mode="G395H")
    geometry = Geometry(3.32 * u.au, 2.61 * u.au, rdot=0.0 * u.km / u.s)
    sun = emission_model("fluorescence", "meftah2023", geometry.rdot)
    columns = {}
    for name, emission in (("e490", "fluorescence"), ("meftah", sun)):
        m = ForwardModel([obs], ["CO"], geometry, [CircularAperture(0.5 * u.arcsec)],
                         assumptions=Assumptions(emission=emission))
        columns[name] = m.species_column("CO", 0, wl, 50.0, 0.0)
    expected = band_profile("CO", "1-0", wl, 50.0, "G395H", emission=sun)
    weight = ForwardModel([obs], ["CO"], geometry, [CircularAperture(0.5 * u.arcsec)]).species["CO"].terms[0]
    assert [b for b, _ in weight] == ["1-0"]
    assert np.allclose(columns["meftah"], weight[0][1] * expected, rtol=1e-6, atol=1e-9)
    peak = columns["e490"].max()
    assert np.max(np.abs(columns["meftah"] - columns["e490"])) > 0.03 * peak


def test_header_geometry_reads_back_rdot():
    """Synthetic files write Geometry.to_dict() as COMASPEC cards; rdot comes back."""
    from astropy.io import fits

    from comaspec.io.header import geometry_from_header

    header = fits.Header()
    for key, value in Geometry(3.32 * u.au, 2.61 * u.au, rdot=-41.5 * u.km / u.s).to_dict().items():
        if value is not None:
            header[f"HIERARCH COMASPEC {key.upper()}"] = value
    assert geometry_from_header(header, "synthetic").rdot_km_s == -41.5
    header["HIERARCH COMASPEC RDOT_KM_S"] = "fast"
    with pytest.raises(InputError, match="RDOT_KM_S"):
        geometry_from_header(header, "synthetic")
