"""The documentation stands alone: every link it makes leads somewhere, every module,
function and test the rules page names exists, and nothing cites the specification
files that lived outside the repository (docs/rules.md and docs/contract.md restate them).
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.paths import ROOT

DOCS = ROOT / "docs"
# The pages whose code references (`path.py`, `path.py::name`, `tests/x.py::test_y`) are
# checked one by one: the rules and the contract say what applies each rule.
REFERENCE_PAGES = (DOCS / "rules.md", DOCS / "contract.md")

# Files that must not cite the outside specification: pages, and code comments and
# docstrings, which cite docs/rules.md (Rn.m) and docs/contract.md (Cn.m) instead.
NO_OUTSIDE_SPEC_IN = ("*.md", "*.py")
# The specification files kept outside the repository, and the paths they were read at.
# Case matters: docs/architecture.md is the project's own page. ("share[d]" keeps this
# line from matching itself once the check covers .py files.)
_OUTSIDE_SPEC = re.compile(
    r"\b(?:DOMAIN|CONTRACTS|ARCHITECTURE)(?:\.md\b|\s*§)|\.\./share[d]/|/work/share[d]"
)
_NOT_OURS = {
    ".venv",
    ".git",
    "build",
    "dist",
    "var",
    "out",
    "node_modules",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
}

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"", re.I)
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)
_REFERENCE = re.compile(r"`((?:[\w.-]+/)*[\w.-]+\.py)(?:::([\w.]+))?`")


def repository_files(pattern: str) -> list[Path]:
    """The repository's own files matching ``pattern``, outside virtualenvs and caches."""
    return sorted(
        p
        for p in ROOT.rglob(pattern)
        if p.is_file() and not _NOT_OURS.intersection(p.relative_to(ROOT).parts)
    )


def markdown_files() -> list[Path]:
    return repository_files("*.md")


def prose(text: str) -> str:
    """The text without fenced code blocks (their brackets are code, not links)."""
    return _FENCE.sub("", text)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"<[^>]+>", "", heading).replace("`", "").lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor a link into ``path`` may name: explicit ids and heading slugs."""
    text = prose(path.read_text(encoding="utf-8"))
    found = set(_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for heading in _HEADING.findall(text):
        slug = github_slug(heading)
        count = seen.get(slug, 0)
        found.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return found


def broken_links(path: Path) -> list[str]:
    """The relative links of a Markdown file whose file or anchor does not exist."""
    text = _CODE_SPAN.sub("", prose(path.read_text(encoding="utf-8")))
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, fragment = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target} (no such file)")
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            broken.append(f"{target} (no such anchor)")
    return broken


def defines(source: str, name: str) -> bool:
    """Whether a Python source defines ``name``: a function, a class or an assignment."""
    escaped = re.escape(name)
    return bool(
        re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{escaped}\b", source, re.M)
        or re.search(rf"^{escaped}\s*(?::[^=\n]*)?=", source, re.M)
    )


def missing_references(path: Path) -> list[str]:
    """The ``file.py`` and ``file.py::name`` references of a page that do not exist; a
    dotted name (``Class.method``) needs each part defined in the file."""
    missing = []
    for file_name, name in _REFERENCE.findall(prose(path.read_text(encoding="utf-8"))):
        module = ROOT / file_name
        if not module.is_file():
            missing.append(f"{file_name} (no such file)")
            continue
        source = module.read_text(encoding="utf-8")
        absent = [part for part in name.split(".") if part and not defines(source, part)]
        if absent:
            missing.append(f"{file_name}::{name} ({', '.join(absent)} not defined)")
    return missing


def test_every_relative_link_of_the_documentation_leads_to_a_file_and_anchor_that_exist() -> None:
    broken = {str(p.relative_to(ROOT)): b for p in markdown_files() if (b := broken_links(p))}
    assert broken == {}


def test_every_module_function_and_test_the_rules_and_contract_name_exists() -> None:
    for page in REFERENCE_PAGES:
        assert page.is_file(), page
    missing = {str(p.relative_to(ROOT)): m for p in REFERENCE_PAGES if (m := missing_references(p))}
    assert missing == {}


def test_the_rules_page_names_the_code_and_a_test_for_every_rule_or_says_it_is_not_there_yet() -> (
    None
):
    # A rule is a heading with an R number below a section (R2.1, R7.3.4, R10.a) that
    # has no rules under it; it names a test, or says plainly that it is not built yet.
    text = prose((DOCS / "rules.md").read_text(encoding="utf-8"))
    parts = re.split(r"^#{2,6} <a id=\"(r[0-9][^\"]*)\"></a>", text, flags=re.M)
    ids = parts[1::2]
    assert len(ids) == len(set(ids)), "a rule number is used twice"
    bodies = dict(zip(ids, parts[2::2], strict=True))
    leaves = [i for i in ids if "." in i and not any(j.startswith(i + ".") for j in ids)]
    assert len(leaves) > 60
    silent = [
        i
        for i in leaves
        if "**Shown by**" not in bodies[i]
        and "Not yet implemented" not in bodies[i]
        and "Being put in place" not in bodies[i]
    ]
    assert silent == []
    tests_named = {i for i in leaves if re.search(r"`tests/[\w/]+\.py::test_\w+`", bodies[i])}
    assert {i for i in leaves if "**Shown by**" in bodies[i]} <= tests_named


def test_no_file_cites_the_specification_that_lived_outside_the_repository() -> None:
    citing = {}
    for pattern in NO_OUTSIDE_SPEC_IN:
        for path in repository_files(pattern):
            lines = [
                f"{n}: {line.strip()}"
                for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
                if _OUTSIDE_SPEC.search(line)
            ]
            if lines:
                citing[str(path.relative_to(ROOT))] = lines
    assert citing == {}


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    # Guards the checks above against passing for want of matches.
    page = tmp_path / "page.md"
    page.write_text(
        '## <a id="r1.1"></a>R1.1 A rule\n\nSee [there](#r1.1), [here](#r11-a-rule), '
        "[gone](missing.md), [nowhere](#r9).\n\n```\n[code](not-a-link.md)\n```\n"
    )
    assert broken_links(page) == ["missing.md (no such file)", "#r9 (no such anchor)"]
    assert (
        github_slug("R7.3 Performance pay and `the` statement")
        == "r73-performance-pay-and-the-statement"
    )
    assert defines("class Ledger:\n    def _plan_published(self):\n", "_plan_published")
    assert defines("WINDOW_DAYS = 182\n", "WINDOW_DAYS") and defines(
        "X: dict[str, int] = {}\n", "X"
    )
    assert not defines("y = WINDOW_DAYS\n", "WINDOW_DAYS")
    assert _OUTSIDE_SPEC.search("see " + "DOMAIN" + ".md §7") and _OUTSIDE_SPEC.search(
        "(" + "DOMAIN" + " §7.3)"
    )
    assert not _OUTSIDE_SPEC.search("docs/architecture.md") and not _OUTSIDE_SPEC.search(
        "a DOMAIN name"
    )
