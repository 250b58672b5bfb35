"""Sphinx configuration for comaspec."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from comaspec import __version__  # noqa: E402

project = "comaspec"
author = "comaspec developers"
release = version = __version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.intersphinx",
    "numpydoc",
]
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
autodoc_typehints = "none"
intersphinx_mapping = {}
html_theme = "alabaster"
exclude_patterns = ["_build"]
nitpicky = False
suppress_warnings = ["ref.citation"]

# The catalog page's table and numbers are generated from comaspec/data/comets.ecsv.
import runpy  # noqa: E402

runpy.run_path(str(Path(__file__).with_name("make_catalog_page.py")), run_name="make_catalog_page")["main"]([])
# The table of published and computed band g-factors (emission.rst) comes from the code.
runpy.run_path(str(Path(__file__).with_name("make_g_factor_table.py")), run_name="make_g_factor_table")["main"]([])
