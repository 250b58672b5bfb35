"""Shared test fixtures.

``shared_data`` locates real third-party files in ``../shared/data`` beside the
repository. Where they are absent the test is skipped with the reason, except when
``COMASPEC_REQUIRE_SHARED=1`` (set by ``.ci/run``), where a missing file fails.
"""

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def _shared(*parts):
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        message = f"shared test file {path} is missing"
        if os.environ.get("COMASPEC_REQUIRE_SHARED") == "1":
            pytest.fail(message + " (COMASPEC_REQUIRE_SHARED=1)")
        pytest.skip(message)
    return path


@pytest.fixture
def shared_data():
    """Return a function ``shared_data(folder, filename)`` → Path, skipping when absent."""
    return _shared


@pytest.fixture(scope="session")
def example_inputs():
    """(spectrum, geometry, aperture) of the bundled example, geometry and aperture from its header."""
    from comaspec import example_path, read_spectrum
    from comaspec.io.header import aperture_from_header, geometry_from_header

    spectrum = read_spectrum(example_path())
    header = spectrum.meta["primary_header"]
    return spectrum, geometry_from_header(header, "example"), aperture_from_header(header, "example")


@pytest.fixture(autouse=True)
def _headless_matplotlib(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _empty_model_set_up_cache():
    """Every test starts with empty model set-up caches (`comaspec.model.setup_cache`): none
    sees the line lists, tables or fits of another (tests that change a table in a session)."""
    import sys

    cache = sys.modules.get("comaspec.model.setup_cache")
    if cache is not None:
        cache.clear()
