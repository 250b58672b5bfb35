"""A ratio's Gaussian draws (issue #22 item 6): `gaussian_draws` is numpy's
``Generator.multivariate_normal(method="eigh")`` bit for bit, with its warning and errors.

`gaussian_draws` keeps the standard normals of a seed for the process and repeats only
numpy's transformation of them; these tests hold it to numpy's own call on covariances of
every kind (random, singular, near-singular, zero, huge and tiny scales, perfectly
correlated, not positive semi-definite, NaN) and on bad shapes.
"""

import warnings

import numpy as np
import pytest

from comaspec.results.values import gaussian_draws, ratio_from_values


def _numpy(mean, cov, n, seed):
    return np.random.default_rng(seed).multivariate_normal(mean, cov, size=n, method="eigh")


def _outcome(draw, *args):
    """(array, None) or (None, (exception type, message)) of ``draw(*args)``, warnings as errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return draw(*args), None
        except Exception as exc:  # noqa: BLE001 - the very exception is what is compared
            return None, (type(exc), str(exc))


def _covariances(rng, n):
    """n covariances of assorted kinds (2x2, some 3x3), each with a mean."""
    for i in range(n):
        scale = 10.0 ** rng.uniform(-30, 30)
        a = rng.normal(size=(2, 2)) * scale
        v = rng.normal(size=2) * scale
        kind = i % 8
        if kind == 0:
            cov = a @ a.T  # positive definite
        elif kind == 1:
            cov = np.outer(v, v)  # singular: rank 1
        elif kind == 2:
            cov = np.outer(v, v) * (1 + 1e-15) + np.diag([1e-14, 0]) * scale**2  # near-singular
        elif kind == 3:
            cov = np.diag(rng.uniform(0, 1, 2)) * scale**2  # uncorrelated, maybe a zero variance
        elif kind == 4:
            sd = 10.0 ** rng.uniform(-10, 30, 2)
            c = rng.choice([1.0, -1.0, 0.999999999, rng.uniform(-1, 1)])
            cov = np.array([[sd[0] ** 2, c * sd[0] * sd[1]], [c * sd[0] * sd[1], sd[1] ** 2]])
        elif kind == 5:
            cov = np.zeros((2, 2))
        elif kind == 6:
            b = rng.normal(size=(3, 3))
            cov = b @ b.T if rng.uniform() < 0.5 else np.outer(b[0], b[0])  # 3 values (not a ratio's 2)
        else:
            cov = a @ a.T - np.eye(2) * rng.uniform(0, 2) * scale**2  # often not PSD
        yield rng.normal(size=len(cov)) * 10.0 ** rng.uniform(-5, 30), cov


def test_draws_are_numpys_bit_for_bit_over_many_covariances():
    rng = np.random.default_rng(20261207)
    checked = {"draws": 0, "not psd": 0}
    for mean, cov in _covariances(rng, 1600):
        seed = int(rng.choice([12345, 1, int(rng.integers(2**31))]))  # cached seeds and new ones
        n = int(rng.choice([20000, 2000, 7]))
        mine, theirs = _outcome(gaussian_draws, mean, cov, n, seed), _outcome(_numpy, mean, cov, n, seed)
        if theirs[0] is None:
            assert mine[1] == theirs[1]  # numpy's RuntimeWarning (not PSD), as an error here
            checked["not psd"] += 1
        else:
            assert mine[1] is None and mine[0].shape == theirs[0].shape
            assert np.array_equal(mine[0], theirs[0], equal_nan=True)
            checked["draws"] += 1
    assert checked["draws"] > 1000 and checked["not psd"] > 50  # both branches exercised


def test_repeated_draws_do_not_change_the_kept_normals():
    cov = np.array([[4.0, 1.0], [1.0, 9.0]])
    first = gaussian_draws([1.0, 2.0], cov, 20000, 12345)
    first[:] = 0.0  # the caller owns what it gets
    again = gaussian_draws([1.0, 2.0], cov, 20000, 12345)
    assert np.array_equal(again, _numpy([1.0, 2.0], cov, 20000, 12345))


def test_a_seed_that_is_not_a_number_is_numpys():
    cov = np.array([[4.0, 1.0], [1.0, 9.0]])
    unseeded = [gaussian_draws([1.0, 2.0], cov, 50, None) for _ in range(2)]
    assert not np.array_equal(*unseeded)  # new draws each time, as numpy's
    seq = np.random.SeedSequence(99)
    assert np.array_equal(gaussian_draws([1.0, 2.0], cov, 50, seq), _numpy([1.0, 2.0], cov, 50, seq))
    assert np.array_equal(gaussian_draws([1.0, 2.0], cov, 50, np.int64(7)), _numpy([1.0, 2.0], cov, 50, 7))


def test_not_positive_semidefinite_warns_as_numpy_does():
    cov = np.array([[1.0, 2.0], [2.0, 1.0]])  # eigenvalues 3 and -1
    with pytest.warns(RuntimeWarning, match="covariance is not symmetric positive-semidefinite") as mine:
        got = gaussian_draws([0.0, 0.0], cov, 100, 3)
    with pytest.warns(RuntimeWarning) as theirs:
        expected = _numpy([0.0, 0.0], cov, 100, 3)
    assert [str(w.message) for w in mine] == [str(w.message) for w in theirs]
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("mean, cov", [([0.0, 1.0, 2.0], np.eye(2)), ([0.0, 1.0], np.eye(3)),
                                       ([[0.0, 1.0]], np.eye(2)), ([0.0, 1.0], np.ones((2, 3))),
                                       ([0.0, 1.0], np.eye(2) * (1 + 1j)), ([0.0, 1.0], [[np.nan, 0], [0, 1]])],
                         ids=["long mean", "big cov", "2-d mean", "cov not square", "complex", "nan"])
def test_bad_input_fails_as_numpy_does(mean, cov):
    mine, theirs = _outcome(gaussian_draws, mean, cov, 10, 5), _outcome(_numpy, mean, cov, 10, 5)
    if theirs[0] is None:
        assert mine[1] == theirs[1]
    else:  # NaN: numpy draws NaNs without a word, and so does this
        assert mine[1] is None and np.array_equal(mine[0], theirs[0], equal_nan=True)


def _slow_interval(value, samples):
    """The 68 % interval as ratio_from_values computed it before: a filtered copy, np.percentile."""
    r = samples[:, 0] / samples[:, 1]
    lo, hi = np.percentile(r[np.isfinite(r)], [15.865525393145708, 84.13447460685429])
    return max(value - lo, 0.0), max(hi - value, 0.0)


def test_a_ratio_is_the_one_from_numpys_draws():
    values, cov = (1.7e27, 2.2e27), np.array([[2.5e50, 0.3 * 5e25 * 4e25], [0.3 * 5e25 * 4e25, 1.6e51]])
    ratio = ratio_from_values("CO2", "H2O", values, cov, detected=(True, True))
    draws = _numpy(list(values), cov, 20000, 12345)
    assert (ratio.err_lo, ratio.err_hi) == _slow_interval(values[0] / values[1], draws)
    assert ratio == ratio_from_values("CO2", "H2O", values, cov, detected=(True, True), samples=draws)
    assert ratio.err_lo > 0 and ratio.err_hi > 0


def test_an_interval_from_samples_with_infinite_ratios():
    samples = np.random.default_rng(4).normal([2.0, 1.0], [0.5, 0.5], size=(5001, 2))
    samples[::7, 1] = 0.0  # n/0 and 0/0: left out of the interval
    samples[::14, 0] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = _slow_interval(2.0, samples)
    ratio = ratio_from_values("CO2", "H2O", (2.0, 1.0), np.diag([0.25, 0.25]), detected=(True, True),
                              samples=samples, method="mc refits")
    assert (ratio.err_lo, ratio.err_hi) == expected and ratio.method == "mc refits"
