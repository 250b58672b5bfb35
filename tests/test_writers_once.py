"""Each ratio of a written result computed once (issue #22 item 6): the files equal the slow path's.

The slow path is the one before the memo: every ratio computed afresh by ``fit.ratio`` for
each block and file, and ``result.ecsv`` written from the `production_table` QTable.
"""

import json

import numpy as np
import pytest

from comaspec.results import ComaFit, SpeciesResult
from comaspec.results.abundances import with_water_production
from comaspec.results.writers import RatioMemo, meta_for, production_table, to_dict, write_all

PAIRS = [("CO2", "H2O"), ("CO", "H2O"), ("CO2", "CO"), ("H2O", "CO2"), ("CO2", "OCS")]


def _fit(q_h2o=2.2e26, err_h2o=1e25, q_co=-1e25, water=True):
    """CO2 detected; H2O detected or not; CO detected or not; OCS not covered."""
    species = {
        "CO2": SpeciesResult("CO2", True, "4.26um", 7.6e-17, 1e-18, 1.7e27, 1.7e27 / 76, T_rot=50),
        "H2O": SpeciesResult("H2O", water, "2.7um", q_h2o / 2.2e26 * 1e-17, err_h2o / 2.2e26 * 1e-17,
                             q_h2o, err_h2o, T_rot=50),
        "CO": SpeciesResult("CO", True, "4.67um", q_co / 1e25 * 1e-19, 2e-19, q_co, 2e25, T_rot=50),
        "OCS": SpeciesResult("OCS", False),
    }
    names = ["CO2", "H2O", "CO"]
    cov = np.diag([species[n].Q_err ** 2 for n in names])
    cov[0, 1] = cov[1, 0] = 0.3 * species["CO2"].Q_err * species["H2O"].Q_err  # correlated errors
    return ComaFit(species, names, [species[n].Q for n in names], cov, inputs={"paths": ["x.fits"], "mode": "PRISM"},
                   fit_info={"chi2": 100.0, "dof": 98, "n_points": 110, "covariance_scaled": False})


FITS = {"all detected": lambda: _fit(q_co=3e26), "CO undetected": _fit, "H2O undetected": lambda: _fit(q_h2o=1e25),
        "H2O not covered": lambda: _fit(water=False),
        "given Q(H2O)": lambda: with_water_production(_fit(water=False), (3e27, 2e26))}


def _slow_ecsv(fit, path):
    """result.ecsv as written before: the production_table QTable, ratios computed afresh, the
    header's YAML by PyYAML's own representer (yaml.dump)."""
    import yaml

    from comaspec import _ecsv

    table = production_table(fit)
    table.meta = meta_for(fit, "CO2", "H2O")
    from test_ecsv import pyyaml_dumper

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_ecsv, "_yaml_text", lambda header: yaml.dump(
            header, Dumper=pyyaml_dumper(), default_flow_style=None, sort_keys=False, width=120))
        _ecsv.write_ecsv(table, path)


@pytest.mark.parametrize("case", list(FITS))
def test_memo_equals_a_fresh_ratio_and_computes_each_once(case, monkeypatch):
    fit = FITS[case]()
    memo = RatioMemo(fit)
    for n, d in PAIRS:
        if n in fit.species and d in fit.species:
            first = memo(n, d)
            assert first == fit.ratio(n, d)  # same numbers, limits and reasons as a new computation
            assert memo(n, d) is first
    calls = []
    original = ComaFit.ratio
    monkeypatch.setattr(ComaFit, "ratio", lambda self, n="CO2", d="H2O": calls.append((n, d)) or original(self, n, d))
    to_dict(FITS[case]())
    assert calls and len(calls) == len(set(calls))  # ratio block, ratios block, abundances: one each


@pytest.mark.parametrize("case", list(FITS))
def test_written_files_equal_the_slow_path(case, tmp_path):
    fit = FITS[case]()
    write_all(fit, [tmp_path / "r.json", tmp_path / "r.ecsv"])
    slow = to_dict(fit, ratio_of=fit.ratio)  # fit.ratio itself: every block computes its own
    assert (tmp_path / "r.json").read_text() == json.dumps(slow, indent=2, allow_nan=False) + "\n"
    _slow_ecsv(fit, tmp_path / "slow.ecsv")
    assert (tmp_path / "r.ecsv").read_bytes() == (tmp_path / "slow.ecsv").read_bytes()
    fit.write(tmp_path / "alone.ecsv")  # no JSON text to take the metadata from
    assert (tmp_path / "alone.ecsv").read_bytes() == (tmp_path / "slow.ecsv").read_bytes()
    assert slow["ratios"]  # not vacuous: the ratios are written


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # the example's pump-opacity note
def test_batch_job_files_equal_the_slow_path(tmp_path, example_inputs):
    import comaspec
    from comaspec.batch.jobs import RATIO_PAIRS, Job, run_job
    from comaspec.pipeline import fit_loaded, load_inputs

    _, geometry, aperture = example_inputs
    job = Job("ex", (str(comaspec.example_path()),), geometry, aperture)
    assert run_job(job, tmp_path)["status"] == "ok"
    fit = fit_loaded(load_inputs(list(job.files)), geometry, aperture, list(job.species))
    written = tmp_path / "ex"
    slow = to_dict(fit, ratio_of=fit.ratio)
    assert (written / "result.json").read_text() == json.dumps(slow, indent=2, allow_nan=False) + "\n"
    _slow_ecsv(fit, tmp_path / "slow.ecsv")
    assert (written / "result.ecsv").read_bytes() == (tmp_path / "slow.ecsv").read_bytes()
    fresh = {f"{a}/{b}": fit.ratio(a, b).to_dict() for a, b in RATIO_PAIRS}
    assert json.loads((written / "ratios.json").read_text()) == json.loads(json.dumps(fresh))
    assert fresh["CO2/H2O"]["value"] > 0
