"""The layout shows the architecture: code outside ``tests/`` never imports it, and the
architecture page names only modules that exist."""

from __future__ import annotations

import ast
import re

from tests.paths import ROOT

CODE_PACKAGES = ("domain", "projections", "consumers", "scripts")


def _imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_no_module_outside_tests_imports_tests():
    offenders = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for package in CODE_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        for name in _imported_modules(path)
        if name == "tests" or name.startswith("tests.")
    )
    assert offenders == []


def test_domain_imports_nothing_outside_domain():
    offenders = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / "domain").rglob("*.py")
        for name in _imported_modules(path)
        if name.split(".")[0] in ("projections", "consumers", "scripts", "tests")
    )
    assert offenders == []


# A path the page names: `projections/pay/rules.py`, or a dotted module such as
# `projections.pay.rules` (backticked, starting with one of the code packages).
_PATH = re.compile(r"`((?:domain|projections|consumers|scripts|tests)/[\w/]+\.py)")
_DOTTED = re.compile(r"`((?:domain|projections|consumers|scripts)(?:\.\w+)+)`")


def test_the_architecture_page_names_only_modules_that_exist():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(_PATH.findall(text))
    for dotted in _DOTTED.findall(text):
        parts = dotted.split(".")
        # `projections.pay.statements.statements` names a function: keep the module part.
        while parts and not (
            ROOT.joinpath(*parts).with_suffix(".py").exists() or ROOT.joinpath(*parts).is_dir()
        ):
            parts.pop()
        named.add("/".join(parts) if parts else dotted)
    missing = sorted(
        name
        for name in named
        if not (ROOT / name).exists() and not (ROOT / name).with_suffix(".py").exists()
    )
    assert named, "the page names no module"
    assert missing == []
