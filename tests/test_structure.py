"""The shape of the code base: no import cycles, built-in plugins use only the declared plugin API, the README
is a front door that links every doc page."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import gaterm.plugin
from conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "gaterm"


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every gaterm module `path` imports, at module level or inside functions (type-only imports excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = _module_name(path)
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                out.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                out.add(child.module)
                out.update(f"{child.module}.{a.name}" for a in child.names)
            visit(child)

    visit(tree)
    resolved = set()
    for name in out:  # `from gaterm.x import y`: y may be a module or a name in x
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name and name != me:
            resolved.add(name)
    return resolved


def test_no_import_cycles_among_gaterm_modules():
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    known = set(files)
    graph = {m: _imports(p, known) for m, p in files.items()}
    # a package's __init__ is imported by every submodule import; count only real edges between modules
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            strongconnect(v)
    assert not cycles, f"import cycles: {cycles}"


def test_the_cycle_check_finds_a_cycle(tmp_path, monkeypatch):
    # the checker itself: two modules importing each other inside functions form a cycle
    (tmp_path / "gaterm").mkdir()
    (tmp_path / "gaterm" / "__init__.py").write_text("")
    (tmp_path / "gaterm" / "a.py").write_text("def f():\n    from gaterm.b import g\n")
    (tmp_path / "gaterm" / "b.py").write_text("from gaterm import a\n")
    monkeypatch.setattr(__import__(__name__), "REPO_ROOT", tmp_path)
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path / "gaterm")
    try:
        test_no_import_cycles_among_gaterm_modules()
    except AssertionError as exc:
        assert "gaterm.a" in str(exc) and "gaterm.b" in str(exc)
    else:
        raise AssertionError("a cycle went unnoticed")


def test_builtin_plugins_import_only_the_declared_plugin_api():
    for path in (REPO_ROOT / "plugins" / "gaterm_builtin").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name == "gaterm" or name.startswith("gaterm."):
                    assert name == "gaterm.plugin", f"{path.name} imports {name}; plugins import only gaterm.plugin"


def test_the_plugin_api_exports_what_it_declares():
    for name in gaterm.plugin.__all__:
        assert getattr(gaterm.plugin, name) is not None


def test_the_readme_is_a_front_door_that_links_every_doc_page():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 160  # the front door: details belong in docs/
    pages = sorted(p.name for p in (REPO_ROOT / "docs").glob("*.md"))
    assert pages
    for page in pages:
        assert f"docs/{page}" in readme, f"README does not link docs/{page}"
    for target in re.findall(r"\]\(([^)#]+)", readme):
        if "://" not in target:
            assert (REPO_ROOT / target).exists(), f"README links a missing file: {target}"
    assert "pip install torch==2.13.0" in readme and "python -m pytest -q" in readme
