"""A new molecule is rows in the tables, not code (docs/architecture.rst, "Where a change goes").

Two molecules the package does not know, XCO (a linear rotor, in the 4.5um window) and XCH4
(a labelled level system, in the 3.3um window that only its fit_window row switches on), are
added as rows in copies of linelists/bands.ecsv, lifetimes.ecsv, molecular_mass.ecsv and
einstein_a.ecsv and as their own line-list files, in tmp_path, which ``COMASPEC_LINELISTS``
names. Their rows and lines are those of CO and CH4 under a new name, so the command line,
run with no code changed, must fit them to the numbers the coded path gives CO and CH4, and
recover the production rates of a spectrum made by the independent generator
(tests/independent_coma.py: HITRAN lines, its own Haser integral and LSF).
"""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO_ROOT

GEO_ARGS = ["--rh", "3.32", "--delta", "2.61", "--aperture-radius", "0.5", "--velocity", "0.5"]
TRUTH = {"CO2": 1.7e27, "CO": 6e26, "CH4": 4e26}
# new name -> (old name, its new line-list file)
NEW = {"XCO": ("CO", "xco_lines.ecsv"), "XCH4": ("CH4", "xch4_lines.ecsv")}
ROW_TABLES = ("bands.ecsv", "lifetimes.ecsv", "molecular_mass.ecsv", "einstein_a.ecsv")


def _tables_with_new_molecules(folder):
    """A copy of linelists/ with NEW added as rows; returns the folder."""
    shutil.copytree(REPO_ROOT / "linelists", folder)
    bands_text = (folder / "bands.ecsv").read_text()
    for new, (old, line_list) in NEW.items():
        (old_list,) = {line.split()[-3] for line in bands_text.splitlines()
                       if not line.startswith("#") and line.split()[0] == old}
        shutil.copy(folder / old_list, folder / line_list)
        for name in ROW_TABLES:
            path = folder / name
            lines = path.read_text().splitlines()
            rows = [line for line in lines if not line.startswith("#") and line.split()[0] == old]
            added = [new + row[len(old):].replace(old_list, line_list) for row in rows]
            path.write_text("\n".join(lines + added) + "\n")
    return folder


def _ratio(x1d, species, env=None):
    run_env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), **(env or {}))
    done = subprocess.run([sys.executable, "-m", "comaspec", "ratio", str(x1d), *GEO_ARGS, "--species", species,
                           "--json", "-q"], capture_output=True, text=True, env=run_env, cwd=REPO_ROOT,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def spectrum(tmp_path_factory):
    from conftest import _shared
    from independent_coma import coma_spectrum, default_lifetimes, write_pipeline_x1d

    _shared("hitran-ch4-h2o-2833-3246cm", "CH4_12CH4_2833-3246cm.data")
    spec, _ = coma_spectrum("PRISM", TRUTH, rh_au=3.32, delta_au=2.61, radius_arcsec=0.5, v_km_s=0.5,
                            tau_1au_s=default_lifetimes(), T_rot=50.0, lo_um=2.4, hi_um=5.2,
                            continuum=lambda wl: 5e-17 * (wl / 3.5) ** -1.5, error=4e-19, seed=5)
    return write_pipeline_x1d(tmp_path_factory.mktemp("new_molecule") / "x1d.fits", spec)


def test_a_molecule_added_as_table_rows_is_fitted_without_code(spectrum, tmp_path):
    tables = _tables_with_new_molecules(tmp_path / "linelists")
    coded = _ratio(spectrum, "CO2,CO,CH4")
    added = _ratio(spectrum, "CO2,XCO,XCH4", env={"COMASPEC_LINELISTS": str(tables)})
    assert "3.3um" in [w[0] for w in added["fit"]["windows"]]      # switched on by XCH4's fit_window row
    for new, (old, _) in NEW.items():
        got, ref = added["species"][new], coded["species"][old]
        assert got["detected"] and got["g_factor_1au_per_s"] == ref["g_factor_1au_per_s"]
        assert got["Q_per_s"] == pytest.approx(ref["Q_per_s"], rel=1e-9)
        assert got["T_rot_K"] == pytest.approx(ref["T_rot_K"], rel=1e-9)
        # and the independent spectrum's production rate is recovered
        assert abs(got["Q_per_s"] - TRUTH[old]) < 4 * got["Q_err_per_s"] + 0.01 * TRUTH[old], (new, got["Q_per_s"])
    assert added["species"]["CO2"]["Q_per_s"] == pytest.approx(coded["species"]["CO2"]["Q_per_s"], rel=1e-9)


def test_a_bad_tables_directory_is_one_line_and_exit_2(tmp_path):
    run_env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), COMASPEC_LINELISTS=str(tmp_path / "absent"))
    done = subprocess.run([sys.executable, "-m", "comaspec", "ratio", "--example", "-q"], capture_output=True,
                          text=True, env=run_env, cwd=REPO_ROOT, timeout=600)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "COMASPEC_LINELISTS" in done.stderr and "Traceback" not in done.stderr


def test_an_unknown_level_system_names_the_table_and_the_known_ones(tmp_path):
    tables = _tables_with_new_molecules(tmp_path / "linelists")
    path = tables / "bands.ecsv"
    path.write_text(path.read_text().replace("xco_lines.ecsv 4.5um linear_rotor", "xco_lines.ecsv 4.5um symmetric_top"))
    code = ("from comaspec.physics import templates\n"
            "templates.stick_spectrum('XCO', '1-0', 50.0)\n")
    run_env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), COMASPEC_LINELISTS=str(tables))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=run_env, timeout=600)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "symmetric_top" in last and "bands.ecsv" in last and "linear_rotor" in last


def test_a_band_naming_an_unknown_fit_window_is_one_line_and_exit_2(tmp_path):
    tables = _tables_with_new_molecules(tmp_path / "linelists")
    path = tables / "bands.ecsv"
    path.write_text(path.read_text().replace("xco_lines.ecsv 4.5um linear_rotor", "xco_lines.ecsv 9um linear_rotor"))
    run_env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), COMASPEC_LINELISTS=str(tables))
    done = subprocess.run([sys.executable, "-m", "comaspec", "ratio", "--example", "-q"], capture_output=True,
                          text=True, env=run_env, cwd=REPO_ROOT, timeout=600)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1
    assert "'9um'" in done.stderr and "bands.ecsv" in done.stderr and "fit_windows.ecsv" in done.stderr
