"""Text tables: ECSV, CSV and whitespace columns; the real C/2017 K2 spectra and the
laboratory CO2 CSV from shared data."""

import astropy.units as u
import numpy as np
import pytest
from astropy import constants as const
from astropy.table import Table

import comaspec
from comaspec import InputError

K2 = "c2017k2-jwst-nirspec-ch4"
K2_BEAM = "c2017k2_nirspec_g395m_beam0.75arcsec_3.25-3.33um.txt"


def write(path, text):
    path.write_text(text)
    return path


def test_real_k2_beam_spectrum_header_kept(shared_data):
    path = shared_data(K2, K2_BEAM)
    spec = comaspec.read_spectrum(path)
    ref = np.loadtxt(path, comments="#")  # independent read: Wave (micron), Flux (Jy), Noise (Jy)
    assert ref.shape == (41, 3)
    np.testing.assert_allclose(spec.spectral_axis.to_value(u.um), ref[:, 0])
    np.testing.assert_allclose(spec.flux.to_value(u.Jy), ref[:, 1])
    np.testing.assert_allclose(spec.uncertainty.array, ref[:, 2])
    assert spec.flux.unit == u.Jy
    m = spec.meta
    assert m["product"] == "table" and m["error_column"] == "Noise"
    assert len(m["comments"]) == 14
    assert m["comments"][0] == "Target name PANSTARRS (C/2017 K2)"
    assert "Aperture radius (arcsec) 0.75" in m["comments"]
    assert m["target"] == "PANSTARRS (C/2017 K2)"
    assert m["mode"] == "NIRSPEC G395M/F290LP"
    # mid-point of "Obs. Start 2022-08-21 21:24:50.752" and "Obs. End 21:30:34.329"
    assert m["epoch"].isot == "2022-08-21T21:27:42.540"


def test_real_k2_annulus_spectra_all_read(shared_data):
    folder = shared_data(K2, "annulus")
    files = sorted(folder.glob("JWST-Extract-*.txt"))
    assert len(files) == 23
    for path in files:
        spec = comaspec.read_spectrum(path)
        assert len(spec.spectral_axis) == 41 and spec.flux.unit == u.Jy
        # the file name states the inner radius; the kept header must say the same
        r_in = float(path.name.split("-")[2])
        inner = [c for c in spec.meta["comments"] if c.startswith("Inner annulus radius (arcsec)")]
        assert len(inner) == 1 and float(inner[0].split()[-1]) == pytest.approx(r_in, abs=1e-4)
        np.testing.assert_allclose(spec.flux.value, np.loadtxt(path)[:, 1])


def test_real_lab_co2_csv_units_from_column_name(shared_data):
    path = shared_data("co2-lab-emission-4-5um-radis", "CO2_measured_spectrum_4-5um.csv")
    spec = comaspec.read_spectrum(path)
    raw = np.loadtxt(path, delimiter=",", comments="#", skiprows=3)
    assert raw.shape == (18400, 2)
    # step-and-glue segments overlap: the reader sorts them
    assert spec.meta["sorted"] and np.all(np.diff(spec.spectral_axis.value) > 0)
    assert spec.meta["unit_from"]["flux"] == "column name"
    assert spec.flux.unit == u.MJy / u.sr and spec.uncertainty is None
    order = np.argsort(raw[:, 0], kind="stable")
    # independent conversion: uW cm^-2 sr^-1 nm^-1 -> MJy/sr via F_nu = F_lambda lambda^2 / c
    lam = raw[order, 0] * u.nm
    expected = (raw[order, 1] * u.uW / u.cm**2 / u.sr / u.nm * lam**2 / const.c).to_value(u.MJy / u.sr)
    np.testing.assert_allclose(spec.flux.value, expected, rtol=1e-10)
    np.testing.assert_allclose(spec.spectral_axis.value, raw[order, 0] / 1000.0)


def test_hp22_production_rates_are_not_a_spectrum(shared_data):
    path = shared_data("comet-production-rates-hp22", "harrington_pinto2022_gas_production_rates.csv")
    with pytest.raises(InputError, match="not a spectrum table: no wavelength column"):
        comaspec.read_spectrum(path)


def test_csv_with_bracketed_units_and_comments(tmp_path):
    path = write(tmp_path / "s.csv", "# observer: me\n# site: JWST\nwave [nm],Flux (mJy),err (mJy)\n"
                 "3000,1.0,0.1\n3100,2.0,0.2\n3200,3.0,0.3\n")
    spec = comaspec.read_spectrum(path)
    np.testing.assert_allclose(spec.spectral_axis.value, [3.0, 3.1, 3.2])
    np.testing.assert_allclose(spec.flux.to_value(u.Jy), [1e-3, 2e-3, 3e-3])
    np.testing.assert_allclose(spec.uncertainty.array, [1e-4, 2e-4, 3e-4])
    assert spec.meta["comments"] == ["observer: me", "site: JWST"]
    assert spec.meta["table_format"] == "csv"


def test_whitespace_table_with_plain_header_and_unit_override(tmp_path):
    path = write(tmp_path / "s.txt", "LAMBDA FNU SIGMA\n3.0 1.0 0.1\n3.1 2.0 0.2\n")
    with pytest.raises(InputError, match="no unit for wavelength column 'LAMBDA'"):
        comaspec.read_spectrum(path)
    with pytest.raises(InputError, match="no unit for flux column 'FNU'"):
        comaspec.read_spectrum(path, unit={"wavelength": "um"})
    spec = comaspec.read_spectrum(path, unit={"wavelength": "um", "flux": "mJy"})
    np.testing.assert_allclose(spec.flux.to_value(u.mJy), [1.0, 2.0])
    assert spec.meta["unit_from"]["flux"] == "unit= argument"


def test_unit_argument_overrides_header(tmp_path):
    path = write(tmp_path / "s.csv", "wavelength_um,flux_Jy,error_Jy\n3.0,1.0,0.1\n3.1,2.0,0.2\n")
    assert comaspec.read_spectrum(path).flux.to_value(u.Jy).tolist() == [1.0, 2.0]
    spec = comaspec.read_spectrum(path, unit="mJy")
    np.testing.assert_allclose(spec.flux.to_value(u.Jy), [1e-3, 2e-3])
    np.testing.assert_allclose(spec.uncertainty.array, [1e-4, 2e-4])


def test_per_wavelength_flux_converted_to_jy(tmp_path):
    path = write(tmp_path / "flam.csv", "wave (um),flam (W m-2 um-1)\n4.0,1e-15\n4.5,2e-15\n")
    spec = comaspec.read_spectrum(path)
    lam = np.array([4.0, 4.5]) * u.um
    expected = (np.array([1e-15, 2e-15]) * u.W / u.m**2 / u.um * lam**2 / const.c).to_value(u.Jy)
    np.testing.assert_allclose(spec.flux.to_value(u.Jy), expected, rtol=1e-12)


def test_ecsv_with_units(tmp_path):
    t = Table({"wavelength": [4.0, 4.1, 4.2] * u.um, "flux": [1.0, 2.0, 3.0] * u.mJy,
               "uncertainty": [0.1, 0.1, 0.1] * u.mJy})
    t.meta["comments"] = ["synthetic ECSV"]
    t.write(tmp_path / "s.ecsv")
    spec = comaspec.read_spectrum(tmp_path / "s.ecsv")
    np.testing.assert_allclose(spec.flux.to_value(u.mJy), [1.0, 2.0, 3.0])
    assert spec.meta["comments"] == ["synthetic ECSV"] and spec.meta["table_format"] == "ecsv"


def test_ambiguous_flux_columns_need_flux_column(tmp_path):
    path = write(tmp_path / "s.csv", "wave_um,flux_Jy,fnu_Jy,err_Jy\n3,1,10,0.1\n4,2,20,0.1\n")
    with pytest.raises(InputError, match="several flux columns"):
        comaspec.read_spectrum(path)
    spec = comaspec.read_spectrum(path, flux_column="FNU_JY")
    assert spec.flux.to_value(u.Jy).tolist() == [10.0, 20.0]


@pytest.mark.parametrize("text,match", [
    ("wave (um),flux (Jy),err (Jy)\n", "no data rows"),
    ("# only a comment\n", "no data rows"),
    ("wave (um),flux (Jy),err (Jy)\n3.0,abc,0.1\n", "column 'flux' is not numeric \\(line 2\\)"),
    ("wave (um),flux (bananas),err (Jy)\n3.0,1,0.1\n", "unknown unit for column 'flux'"),
    ("wave (um),flux (K),err (K)\n3.0,1,0.1\n", "neither a flux density"),
    ("wave (um),flux (Jy),err (Jy)\n3.0,nan,0.1\n3.1,nan,0.1\n", "all flux values are non-finite"),
    ("wave (um),flux (Jy),err (Jy)\n3.0,1,0\n3.1,2,-1\n", "errors are zero, negative"),
    ("wave (um),flux (Jy),err (Jy)\n3.0,1,0.1\n3.0,2,0.1\n3.1,2,0.1\n", "duplicated wavelengths"),
    ("3.0 1.0 0.1\n3.1 2.0 0.1\n", "no header line naming the columns"),
    ("x (um),y (Jy)\n3.0,1\n", "no wavelength column"),
    ("wave (um),err (Jy)\n3.0,1\n", "no flux column"),
    ("wave (um),flux (Jy)\n3.0,1,2\n", "line 2 has 3 fields"),
])
def test_bad_tables(tmp_path, text, match):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(InputError, match=match) as exc:
        comaspec.read_spectrum(path)
    assert "\n" not in str(exc.value) and str(exc.value).startswith(str(path))


def test_non_monotonic_table_is_sorted(tmp_path):
    path = write(tmp_path / "s.txt", "# wave (um) flux (Jy) error (Jy)\n3.2 3 0.1\n3.0 1 0.1\n3.1 2 0.1\n")
    spec = comaspec.read_spectrum(path)
    assert spec.meta["sorted"]
    assert spec.spectral_axis.value.tolist() == [3.0, 3.1, 3.2]
    assert spec.flux.value.tolist() == [1.0, 2.0, 3.0]
