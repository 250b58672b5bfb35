"""Molecular data tables (linelists/*.ecsv) and the look-ups in comaspec.physics.molecules."""

from collections import Counter
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.table import Table

from comaspec import InputError
from comaspec.physics import molecules
from comaspec._paths import linelists_dir

REPO_DOCS = Path(__file__).resolve().parents[1] / "docs"

VERIFIED_LEVELS = {"paper", "code", "data", "secondary", "unverified", "computed"}

# The shared vocabulary of the brief: species -> band labels, and band -> feature.
CONTRACT_BANDS = {
    ("CO2", "nu3"): "4.26um",
    ("13CO2", "nu3"): "4.38um",
    ("CO", "1-0"): "4.67um",
    ("OCS", "nu3"): "4.85um",
    ("H2O", "nu3"): "2.7um",
    ("H2O", "nu1"): "2.7um",
    ("H2O", "nu1+nu3-nu1"): "2.7um",
    ("H2O", "nu2+nu3-nu2"): "2.7um",
    ("H2O", "nu3-nu2"): "4.7um",
    ("H2O", "nu1-nu2"): "4.7um",
    ("CH4", "nu3"): "3.3um",
    ("C2H6", "nu7"): "3.4um",
    ("C2H6", "nu5"): "3.4um",
}


def _table(name):
    return Table.read(linelists_dir() / name, format="ascii.ecsv")


@pytest.fixture(scope="module")
def bands():
    return _table("bands.ecsv")


@pytest.fixture(scope="module")
def lifetimes():
    return _table("lifetimes.ecsv")


@pytest.fixture(scope="module")
def laws():
    return _table("velocity_laws.ecsv")


@pytest.fixture(scope="module")
def references():
    return _table("references.ecsv")


# ---------------------------------------------------------------- table schema


def test_bands_schema_and_units(bands):
    for col in ("species", "band", "feature", "center_cm", "center_um", "g_1au", "source",
                "default", "verified", "reference", "note", "center_source", "center_verified"):
        assert col in bands.colnames, col
    assert bands["center_cm"].unit == u.cm**-1
    assert bands["center_um"].unit == u.um
    assert bands["g_1au"].unit == 1 / u.s
    assert set(bands["verified"]) <= VERIFIED_LEVELS
    assert set(bands["center_verified"]) <= VERIFIED_LEVELS


def test_bands_cover_the_contract_vocabulary(bands):
    seen = {(r["species"], r["band"]): r["feature"] for r in bands}
    assert seen == CONTRACT_BANDS
    assert set(bands["species"]) == set(molecules.SPECIES)


def test_exactly_one_default_per_band_and_no_duplicate_rows(bands):
    defaults = Counter((r["species"], r["band"]) for r in bands if r["default"])
    assert set(defaults) == set(CONTRACT_BANDS)
    assert all(n == 1 for n in defaults.values())
    keys = Counter((r["species"], r["band"], r["source"]) for r in bands)
    assert max(keys.values()) == 1


def test_every_row_cites_a_known_source(bands, lifetimes, laws, references):
    keys = set(references["key"])
    for table in (bands, lifetimes, laws):
        for r in table:
            assert r["reference"].strip(), dict(r)
            assert r["source"] in keys or (r["source"] == "none" and not np.isfinite(r["g_1au"])), r["source"]
    for key in bands["center_source"]:
        assert key in keys
    for r in references:
        # an ADS bibcode (19 characters) or, failing that, a DOI/URL where the value was read
        bibcode, url = (str(r[c]) if r[c] is not np.ma.masked else "" for c in ("bibcode", "doi_or_url"))
        assert len(bibcode) == 19 or url.strip(), r["key"]
        if bibcode:
            assert int(bibcode[:4]) == r["year"], r["key"]


def test_rows_of_one_band_share_feature_and_centre(bands):
    for key in CONTRACT_BANDS:
        rows = bands[(bands["species"] == key[0]) & (bands["band"] == key[1])]
        assert len(set(rows["feature"])) == 1
        assert np.ptp(rows["center_cm"]) == 0


def test_centres_in_cm_and_um_agree(bands):
    np.testing.assert_allclose(bands["center_um"], 1e4 / bands["center_cm"], rtol=5e-7)


def test_g_factors_positive_or_explicitly_missing(bands):
    g = np.asarray(bands["g_1au"], dtype=float)
    missing = ~np.isfinite(g)
    assert np.all(g[~missing] > 0)
    assert np.all(g[~missing] < 1e-2)  # IR vibrational g-factors at 1 au are < 1e-2 s^-1
    for r in bands[missing]:
        assert "no published" in r["note"].lower()


def test_lifetimes_schema(lifetimes):
    assert lifetimes["tau_1au"].unit == u.s
    assert set(lifetimes["activity"]) <= {"quiet", "active", "mean"}
    assert set(lifetimes["verified"]) <= VERIFIED_LEVELS
    defaults = Counter(r["species"] for r in lifetimes if r["default"])
    assert set(defaults) == set(lifetimes["species"]) and max(defaults.values()) == 1
    keys = Counter((r["species"], r["source"], r["activity"]) for r in lifetimes)
    assert max(keys.values()) == 1
    assert np.all(lifetimes["tau_1au"] > 0)


def test_velocity_law_schema(laws):
    assert laws["v0"].unit == u.km / u.s
    assert len(set(laws["name"])) == len(laws)
    assert sum(bool(d) for d in laws["default"]) == 1
    (default,) = laws["name"][laws["default"]]
    assert molecules.DEFAULT_VELOCITY_LAW == default
    # with no law named, the default row's law is used
    rh = 2.5 * u.au
    assert molecules.expansion_velocity(rh) == molecules.expansion_velocity(rh, law=default)


# ------------------------------------------------- independent checks of the numbers


SBPY_KEYS = {"HM15", "CE83", "CS93", "C94", "H92"}


def test_lifetimes_equal_sbpy_photo_timescale(lifetimes):
    """sbpy ships the same published rates with ADS bibcodes: an independent transcription."""
    from sbpy.activity.gas.data import photo_timescale

    checked = 0
    for r in lifetimes:
        species = "CO2" if r["species"] == "13CO2" else r["species"]
        if r["source"] not in SBPY_KEYS or r["source"] not in photo_timescale.get(species, {}):
            continue
        value, bib = photo_timescale[species][r["source"]]
        values = np.atleast_1d(value.to_value(u.s))
        if len(values) == 2:
            expected = values[{"quiet": 0, "active": 1}[r["activity"]]]
        else:
            assert r["activity"] == "mean"
            expected = values[0]
        assert r["tau_1au"] == pytest.approx(expected, rel=1e-9), dict(r)
        assert next(iter(bib.values())) in r["reference"]
        checked += 1
    assert checked >= 7


def _hitran(shared_data, filename):
    """(wavenumber, strength, lower-state energy) arrays of a shared HITRAN subset."""
    path = shared_data("hitran-linelists-spectr", filename)
    return np.loadtxt(path, delimiter=",", comments="#", skiprows=3, usecols=(0, 1, 2), unpack=True)


@pytest.mark.parametrize(
    "species, band, filename, j_step",
    [
        ("CO", "1-0", "hitran_co_26_1950-2350cm.csv", 1),
        ("CO2", "nu3", "hitran_co2_626_2200-2420cm.csv", 2),  # 12C16O2 ground state: even J only
        ("13CO2", "nu3", "hitran_co2_636_2200-2320cm.csv", 2),
    ],
)
def test_linear_molecule_band_origin_from_hitran_lines(shared_data, species, band, filename, j_step):
    """Band origin = ν(m = 0) of a polynomial through the P and R lines of the fundamental.

    Lines of the fundamental start from the ground vibrational state (E'' < 500 cm⁻¹, which
    excludes hot bands); J'' is the rank of E'' among the distinct lower levels.
    """
    nu, strength, e_lower = _hitran(shared_data, filename)
    keep = (e_lower < 500) & (strength > 1e-3 * strength.max())
    nu, e_lower = nu[keep], np.round(e_lower[keep], 3)
    j = j_step * np.searchsorted(np.unique(e_lower), e_lower)
    r0 = nu[np.argmin(e_lower)]  # R(0), the only line from J'' = 0
    m = np.where(nu >= r0, j + 1, -j)
    coeffs = np.polyfit(m, nu, 4)
    assert np.max(np.abs(nu - np.polyval(coeffs, m))) < 1e-3  # the assignment is right
    assert molecules.get_band(species, band).center_cm == pytest.approx(coeffs[-1], abs=2e-3)


def test_h2o_band_origins_are_hitran_vibrational_term_differences(shared_data):
    """Each band origin is a difference of (v) J=0 level energies found in the HITRAN lines.

    A (v) 0_00 level appears as an upper-state energy ν + E'' of lines, or as a lower-state
    energy E'' of hot-band lines; (000) 0_00 is E = 0.
    """
    nu, _, e_lower = _hitran(shared_data, "hitran_h2o_161_3300-4000cm.csv")
    upper = nu + e_lower

    def is_level(energy, tol=2e-3):
        return np.any(np.abs(upper - energy) < tol) or np.any(np.abs(e_lower - energy) < tol)

    c = {b.band: b.center_cm for b in (*molecules.bands_of("H2O", "2.7um"), *molecules.bands_of("H2O", "4.7um"))}
    e100, e001 = c["nu1"], c["nu3"]
    assert is_level(e100) and is_level(e001)
    assert is_level(e100 + c["nu1+nu3-nu1"])  # (101)
    e010 = e001 - c["nu3-nu2"]
    assert is_level(e010)  # (010), the lower level of both 4.7 µm hot bands
    assert e100 - c["nu1-nu2"] == pytest.approx(e010, abs=2e-4)
    assert is_level(e010 + c["nu2+nu3-nu2"])  # (011)
    # and a wrong origin is not found: the check can fail
    assert not is_level(e001 + 0.5)


def test_akari_h2o_27um_total_is_the_sum_of_its_bands():
    """Ootsubo et al. 2012 list the four 2.7 µm bands; their sum is the feature total."""
    total = sum(molecules.g_factor("H2O", b.band, source="O12") for b in molecules.bands_of("H2O", "2.7um"))
    assert total.unit == 1 / u.s
    assert total.to_value(1 / u.s) == pytest.approx(2.82e-4 + 2.47e-5 + 2.81e-5 + 2.19e-5, rel=1e-12)


def _blackbody_sun_g(nu, strength, e_lower, e_max):
    """g (s⁻¹) of the fundamental from HITRAN 296 K line strengths and a blackbody Sun at 1 au.

    g = Σ S_i Φ(ν_i): S (cm molecule⁻¹) of the lines from the ground vibrational state (E'' <
    e_max), times the solar photon flux per unit wavenumber at 1 au of a blackbody of the Sun's
    effective temperature (from L☉, R☉ and σ; IAU nominal values in astropy.constants) diluted by
    π (R☉/au)². Lines from rotational levels above e_max are missing; the sum is divided by the
    fraction of a linear rotor's 296 K population below e_max, 1 − exp(−hc e_max / kT).
    """
    import astropy.constants as const

    t_sun = ((const.L_sun / (4 * np.pi * const.R_sun**2 * const.sigma_sb)) ** 0.25).to_value(u.K)
    dilution = np.pi * (const.R_sun / const.au).to_value(u.one) ** 2
    c2 = (const.h * const.c / const.k_B).to_value(u.cm * u.K)
    c_cm = const.c.to_value(u.cm / u.s)
    keep = e_lower < e_max
    photons = 2 * c_cm * nu[keep] ** 2 / np.expm1(c2 * nu[keep] / t_sun) * dilution  # s⁻¹ cm⁻² (cm⁻¹)⁻¹
    completeness = 1 - np.exp(-c2 * e_max / 296.0)  # 296 K: HITRAN reference temperature
    return np.sum(strength[keep] * photons) / completeness


@pytest.mark.parametrize(
    "species, bands_summed, filename, e_max",
    [
        ("CO2", ("nu3",), "hitran_co2_626_2200-2420cm.csv", 660.0),  # below the (01101) level, 667 cm⁻¹
        ("CO", ("1-0",), "hitran_co_26_1950-2350cm.csv", 1000.0),
        # the 3300-4000 cm⁻¹ H2O lines from (000) are nu3 + nu1 (2nu2 lies mostly below 3300)
        ("H2O", ("nu3", "nu1"), "hitran_h2o_161_3300-4000cm.csv", 1500.0),
    ],
)
def test_resonance_g_factors_agree_with_blackbody_sun_estimate(shared_data, species, bands_summed, filename, e_max):
    """Independent order-of-magnitude check of every tabulated g of a resonance band.

    A blackbody Sun and 296 K band strengths reproduce the published g to ~10 % (for CO2 the
    estimate runs ~8 % low: at 296 K only ~92 % of the molecules are in the ground vibrational
    state, which the line strengths include). A transcription error (factor 10, wrong band)
    fails by far more.
    """
    nu, strength, e_lower = _hitran(shared_data, filename)
    estimate = _blackbody_sun_g(nu, strength, e_lower, e_max)
    for source in molecules.g_factor_sources(species, bands_summed[0]):
        g = sum(molecules.g_factor(species, b, source=source).to_value(1 / u.s) for b in bands_summed)
        assert 0.85 < g / estimate < 1.2, (species, source, g, estimate)


def _sci(x):
    """The docs' number format: 2.90e-3."""
    mantissa, exponent = f"{x:.2e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def test_docs_tables_match_the_files(bands, lifetimes, laws):
    """docs/molecular_data.rst shows every row with the shipped numbers (no stale copy)."""
    text = (REPO_DOCS / "molecular_data.rst").read_text(encoding="utf-8")
    lines = text.splitlines()

    def has_line(*cells):
        quoted = [f'"{c}"' for c in cells]
        return any(all(q in line for q in quoted) for line in lines)

    for r in bands:
        g = _sci(r["g_1au"]) if np.isfinite(r["g_1au"]) else "—"
        assert has_line(r["species"], r["band"], f'{r["center_cm"]:.4f}', g, r["source"], r["verified"]), dict(r)
    for r in lifetimes:
        assert has_line(r["species"], r["source"], r["activity"], _sci(r["tau_1au"]), r["verified"]), dict(r)
    for r in laws:
        assert has_line(r["name"], f'{r["v0"]:.2f}', f'{r["exponent"]:+.2f}', r["source"]), dict(r)
    n_rows = sum(line.startswith('   "') for line in lines)
    assert n_rows == len(bands) + len(lifetimes) + len(laws)  # and nothing more


# ----------------------------------------------------------------- the API


def test_species_features_and_bands():
    assert molecules.SPECIES == ("CO2", "13CO2", "H2O", "CO", "OCS", "CH4", "C2H6")
    assert molecules.default_feature("H2O") == "2.7um"
    assert [b.band for b in molecules.bands_of("H2O")] == ["nu3", "nu1", "nu1+nu3-nu1", "nu2+nu3-nu2"]
    assert {b.band for b in molecules.bands_of("H2O", "4.7um")} == {"nu3-nu2", "nu1-nu2"}
    assert molecules.features_of("H2O") == ("2.7um", "4.7um")
    for species in molecules.SPECIES:
        feature = molecules.default_feature(species)
        assert all(b.feature == feature and b.species == species for b in molecules.bands_of(species))


def test_band_record_matches_default_row(bands):
    for r in bands[bands["default"]]:
        b = molecules.get_band(r["species"], r["band"])
        assert b.g_source == r["source"] and b.reference == r["reference"]
        assert b.center_um == pytest.approx(1e4 / b.center_cm, rel=2e-6)
        if np.isfinite(r["g_1au"]):
            assert molecules.g_factor(r["species"], r["band"]) == b.g_1au / u.s


def test_g_factor_sources_and_units():
    sources = molecules.g_factor_sources("CO2", "nu3")
    assert len(sources) >= 2  # the literature differs: both values kept
    values = {s: molecules.g_factor("CO2", "nu3", source=s) for s in sources}
    for v in values.values():
        assert v.unit == 1 / u.s
    assert len({v.value for v in values.values()}) == len(values)


def test_lifetime_selection_and_units():
    quiet = molecules.lifetime("H2O", source="HM15", activity="quiet")
    active = molecules.lifetime("H2O", source="HM15", activity="active")
    assert quiet.unit == u.s and active < quiet  # an active Sun destroys molecules faster
    default_source, default_activity = molecules.lifetime_sources("H2O")[0]
    assert molecules.lifetime("H2O") == molecules.lifetime("H2O", default_source, default_activity)
    # a source with a single value needs no activity
    assert molecules.lifetime("H2O", source="CS93") == molecules.lifetime("H2O", "CS93", "mean")


@pytest.mark.parametrize("name", sorted(molecules.VELOCITY_LAWS))
def test_velocity_law_equals_v0_at_1au_and_scales_as_power(name):
    law = molecules.VELOCITY_LAWS[name]
    v1 = molecules.expansion_velocity(1 * u.au, law=name)
    assert v1.unit == u.km / u.s
    assert v1.to_value(u.km / u.s) == pytest.approx(law.v0, rel=1e-12)
    rh = np.array([0.5, 2.0, 3.32]) * u.au
    ratio = molecules.expansion_velocity(rh, law=name) / v1
    np.testing.assert_allclose(ratio.to_value(u.one), rh.to_value(u.au) ** law.exponent, rtol=1e-12)
    # the same in km: units of rh must be honoured
    v_km = molecules.expansion_velocity((2.0 * u.au).to(u.km), law=name)
    assert v_km.to_value(u.km / u.s) == pytest.approx(law.v0 * 2.0**law.exponent, rel=1e-12)


def test_fixed_velocity_ignores_rh():
    v = molecules.expansion_velocity([1.0, 3.0] * u.au, law=500 * u.m / u.s)
    np.testing.assert_allclose(v.to_value(u.km / u.s), [0.5, 0.5])
    assert molecules.expansion_velocity(3 * u.au).unit == u.km / u.s


@pytest.mark.parametrize(
    "call, named",
    [
        (lambda: molecules.get_band("NH3", "nu3"), "NH3"),
        (lambda: molecules.get_band("H2O", "nu2"), "nu2"),
        (lambda: molecules.bands_of("H2O", "3um"), "3um"),
        (lambda: molecules.g_factor("CO2", "nu3", source="XYZ99"), "XYZ99"),
        (lambda: molecules.lifetime("H2O", source="XYZ99"), "XYZ99"),
        (lambda: molecules.lifetime("H2O", source="HM15", activity="stormy"), "stormy"),
        (lambda: molecules.lifetime("Fe"), "Fe"),
        (lambda: molecules.expansion_velocity(1 * u.au, law="fast"), "fast"),
        (lambda: molecules.expansion_velocity(1 * u.au, law=3 * u.s), "velocity"),
        (lambda: molecules.expansion_velocity(1.0, law="cs93"), "rh"),
        (lambda: molecules.expansion_velocity(-1 * u.au), "rh"),
        (lambda: molecules.reference("nobody"), "nobody"),
    ],
)
def test_unknown_names_raise_input_error_naming_them(call, named):
    with pytest.raises(InputError, match=named):
        call()


def test_missing_g_factor_raises_and_tells_what_to_do(bands):
    missing = bands[~np.isfinite(np.asarray(bands["g_1au"], dtype=float)) & np.asarray(bands["default"], dtype=bool)]
    assert len(missing)  # OCS
    for r in missing:
        with pytest.raises(InputError, match="g_factor="):
            molecules.g_factor(r["species"], r["band"])


def test_error_lists_known_names():
    with pytest.raises(InputError) as info:
        molecules.get_band("H2O", "nu2")
    for label in ("nu3", "nu1", "nu3-nu2"):
        assert label in str(info.value)
