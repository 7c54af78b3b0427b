"""The size and import rules of docs/architecture.rst hold for every module of ``ctanb``.

- a module has at most 400 lines, a function at most 70;
- imports stand at module top. An import inside a function is allowed only for a slow
  dependency, loaded when first used, and says so in a comment on its line or just above its
  block: a third-party package (gammapy, bokeh, dask ...) or one of ctanb's analysis modules
  listed in ``SLOW`` (checked below to be slow: each one loads gammapy, or the web service's
  stack). A cycle between ctanb modules is removed, not dodged with a late import;
- the compatibility aliases in ``ALIASES`` (module ``__getattr__`` forwarding an old name to
  the package above) are the only other late ctanb imports.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ctanb"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "static" not in p.parts)
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 70
ALIASES = {
    ("ctanb/jobs/monitor.py", "__getattr__"),
    ("ctanb/prov/__init__.py", "__getattr__"),
}
#: ctanb modules that load a heavy package (module -> package): a light module (the specs,
#: the job client, the widgets, the command line, a dask worker's entry point) may import them
#: late, so that it loads in well under a second and pays only when the work needs them.
SLOW = {
    "ctanb.analysis.countmap": "gammapy",
    "ctanb.analysis.events": "gammapy",
    "ctanb.analysis.lightcurve": "gammapy",
    "ctanb.analysis.replay": "gammapy",
    "ctanb.analysis.significance": "gammapy",
    "ctanb.analysis.spectrum": "gammapy",
    "ctanb.services.app": "fastapi",
    "ctanb.services.uws.work": "gammapy",
}


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _imported(node: ast.Import | ast.ImportFrom) -> str:
    if isinstance(node, ast.ImportFrom):
        return "." * node.level + (node.module or "")
    return node.names[0].name


def _module(name: str, node: ast.Import | ast.ImportFrom) -> str:
    """``from ctanb.services.uws import work`` imports the module ``ctanb.services.uws.work``."""
    if isinstance(node, ast.ImportFrom) and f"{name}.{node.names[0].name}" in SLOW:
        return f"{name}.{node.names[0].name}"
    return name


def _explained(lines: list[str], lineno: int) -> bool:
    """A comment on the import's line, on another import of its block, or just above it."""
    index = lineno - 1
    while index > 0 and lines[index - 1].lstrip().startswith(("from ", "import ")):
        index -= 1
    return any("#" in line for line in lines[max(index - 1, 0) : lineno])


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_is_small(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_name(path)} has {lines} lines: split it by concept"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_are_short(path):
    long = [
        f"{f.name} ({f.end_lineno - f.lineno + 1} lines, line {f.lineno})"
        for f in _functions(ast.parse(path.read_text()))
        if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{_name(path)}: {', '.join(long)}"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_imports_are_visible(path):
    source = path.read_text()
    lines = source.splitlines()
    hidden, unexplained = [], []
    for function in _functions(ast.parse(source)):
        if (_name(path), function.name) in ALIASES:
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            name = _imported(node)
            where = f"line {node.lineno}: {name}"
            if name.startswith(("ctanb", ".")) and _module(name, node) not in SLOW:
                hidden.append(where)
            elif not _explained(lines, node.lineno):
                unexplained.append(where)
    assert not hidden, f"{_name(path)} imports ctanb inside a function: {hidden}"
    assert not unexplained, f"{_name(path)}: say why these imports are late: {unexplained}"


@pytest.mark.parametrize(("module", "package"), SLOW.items())
def test_slow_modules_are_slow(module, package):
    """Each module imported late does load its heavy package (else import it at the top)."""
    code = f"import sys, {module}; print({package!r} in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "True", result.stderr


def test_the_command_line_loads_without_the_heavy_packages():
    code = (
        "import sys; from ctanb.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('gammapy', 'bokeh', 'fastapi') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
