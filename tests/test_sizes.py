"""The size limits of the developers' guide (#21 item 5), measured on the source with `ast`.

- a function: at most 60 code lines (its own docstring, blank lines and comment lines not
  counted; a nested function counts inside its parent and on its own);
- a class: at most 250 lines, from ``class`` to its last line;
- a module: at most 600 lines.

`ALLOWED` lists what is still over a limit while another branch fixes it; an entry that is no
longer over its limit fails too, so that the list only shrinks.
"""

import ast
import textwrap
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "comaspec"

FUNCTION_LINES = 60
CLASS_LINES = 250
MODULE_LINES = 600

# item -> the branch of #21 / #19 that brings it within its limit. Empty this list as they merge.
ALLOWED = {
}


def code_lines(node, lines):
    """Code lines of a function: not its docstring, not blank, not a comment."""
    docstring = set()
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        docstring = set(range(first.lineno, first.end_lineno + 1))
    return sum(1 for number in range(node.lineno, node.end_lineno + 1)
               if number not in docstring and lines[number - 1].strip()
               and not lines[number - 1].strip().startswith("#"))


def oversized(source, name):
    """{item: size} of what in ``source`` (a module called ``name``) is over its limit."""
    lines = source.splitlines()
    found = {}
    if len(lines) > MODULE_LINES:
        found[f"module {name}"] = len(lines)

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            qualname = f"{prefix}{getattr(child, 'name', '')}"
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = code_lines(child, lines)
                if size > FUNCTION_LINES:
                    found[f"function {name}:{qualname}"] = size
                visit(child, qualname + ".")
            elif isinstance(child, ast.ClassDef):
                size = child.end_lineno - child.lineno + 1
                if size > CLASS_LINES:
                    found[f"class {name}:{qualname}"] = size
                visit(child, qualname + ".")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def _package_oversized():
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE.parent).as_posix()
        found.update(oversized(path.read_text(encoding="utf-8"), name))
    return found


def test_nothing_over_the_size_limits():
    found = _package_oversized()
    over = {item: size for item, size in found.items() if item not in ALLOWED}
    assert over == {}, "over the size limits (split by meaning): " + ", ".join(
        f"{item} ({size} lines)" for item, size in over.items())


def test_allow_list_only_holds_what_is_still_over():
    found = _package_oversized()
    stale = sorted(set(ALLOWED) - set(found))
    assert stale == [], f"within the limits now: remove from ALLOWED in {__file__}: {stale}"


def _function(n_code, docstring_lines=0, comments=0, blanks=0):
    doc = ['    """' + "x" * 10] + ["    text"] * docstring_lines + ['    """'] if docstring_lines else []
    body = [f"    a{i} = {i}" for i in range(n_code - 2)] + ["    # why"] * comments + [""] * blanks
    return "\n".join(["def f():"] + doc + body + ["    return a0"]) + "\n"


def test_function_limit_counts_code_lines_only():
    assert oversized(_function(60, docstring_lines=30, comments=10, blanks=5), "m.py") == {}
    assert oversized(_function(61), "m.py") == {"function m.py:f": 61}
    # only the docstring is free: a string further down is code
    late_string = _function(60).replace("    return a0", '    """not a docstring"""\n    return a0')
    assert oversized(late_string, "m.py") == {"function m.py:f": 61}


def test_class_method_and_nested_names():
    long_method = textwrap.indent(_function(61), "    ")
    found = oversized("class A:\n" + long_method, "m.py")
    assert found == {"function m.py:A.f": 61}
    methods = "".join(textwrap.indent(_function(50).replace("def f", f"def f{i}"), "    ") for i in range(5))
    source = "class B:\n" + methods
    assert oversized(source, "m.py") == {"class m.py:B": source.count("\n")}
    nested = "def outer():\n" + textwrap.indent(_function(61), "    ") + "    return f\n"
    assert oversized(nested, "m.py") == {"function m.py:outer.f": 61, "function m.py:outer": 63}


def test_module_limit():
    assert oversized("x = 1\n" * 600, "m.py") == {}
    assert oversized("x = 1\n" * 601, "m.py") == {"module m.py": 601}
