"""scripts/check_docs.py (make check-docs) reports each kind of broken
reference and passes a tree whose references all resolve.

It needs no mfpo install: the checker is found from this file's path, and
runs on small trees written to a temporary folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHECKER = Path(__file__).resolve().parents[2] / "scripts" / "check_docs.py"
# The section sign and the ".md" of file names are escaped (\u00a7, \x2e) in
# this file, so that the checker, which scans it too, sees no reference in it.
S = "\u00a7"

ALGORITHM = """# The algorithm

## 1. First
### 1.1 A detail
## 2. Second: the (t, r) sampler
## Where the code deviates and why
"""

DESIGN = """# Design

## 1. Packages
## 2. Faces
"""


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def good_tree() -> dict[str, str]:
    return {
        "docs/algorithm\x2emd": ALGORITHM,
        "docs/design\x2emd": DESIGN,
        "README\x2emd": (
            "See [the algorithm](docs/algorithm\x2emd#2-second-the-t-r-sampler), "
            "[deviations](docs/algorithm\x2emd#where-the-code-deviates-and-why), "
            f"[design](docs/design\x2emd) {S}2, the folder [docs](docs/) and "
            "[a site](https://example.org/x\x2emd#nowhere).\n"
            "```\n[not a link](nowhere.txt)\n```\n"
        ),
        "gocore/x/doc.go": (
            f"// Package x implements {S}1 and {S}1.1 (docs/algorithm\x2emd {S}2),\n"
            f"// {S}1–{S}2, and the faces of docs/design\x2emd {S}2. See README\x2emd.\n"
        ),
    }


def run(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHECKER), str(root)], capture_output=True, text=True, timeout=60)


def git_init(root: Path) -> None:
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"]):
        subprocess.run(cmd, cwd=root, check=True, capture_output=True)


@pytest.mark.parametrize("git", [False, True], ids=["plain-tree", "git-tree"])
def test_good_tree_passes(tmp_path: Path, git: bool) -> None:
    write(tmp_path, good_tree())
    if git:
        git_init(tmp_path)
    r = run(tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert ": ok" in r.stdout


def test_each_broken_reference_is_reported(tmp_path: Path) -> None:
    files = good_tree()
    files["docs/guide\x2emd"] = (
        "# Guide\n\n"
        "A [missing file](gone\x2emd) and a [bad anchor](algorithm\x2emd#no-such-heading),\n"
        "a [link outside](../../outside\x2emd), [a bad self anchor](#nope).\n"
        f"A bad section {S}7, a bad subsection {S}1.2, a bad one in another doc: design\x2emd {S}5,\n"
        f"a doc that does not exist: ALGORITHM\x2emd {S}1, and a mention of docs/nothere\x2emd.\n"
    )
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Notebook\n", "[data](data/missing.csv)\n"]}]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    files["examples/nb.ipynb"] = json.dumps(notebook, indent=1)
    write(tmp_path, files)
    r = run(tmp_path)
    assert r.returncode == 1, r.stdout
    out = r.stdout
    expected = [
        "docs/guide\x2emd:3: link 'gone\x2emd': docs/gone\x2emd is not a file of the repository",
        "docs/guide\x2emd:3: link 'algorithm\x2emd#no-such-heading': "
        "docs/algorithm\x2emd has no heading with the anchor #no-such-heading",
        "docs/guide\x2emd:4: link '../../outside\x2emd' points outside the repository",
        "docs/guide\x2emd:4: link '#nope': docs/guide\x2emd has no heading with the anchor #nope",
        f"docs/guide\x2emd:5: {S}7: docs/algorithm\x2emd has no section 7",
        f"docs/guide\x2emd:5: {S}1.2: docs/algorithm\x2emd has no section 1.2",
        f"docs/guide\x2emd:5: {S}5: docs/design\x2emd has no section 5",
        f"docs/guide\x2emd:6: {S}1 refers to ALGORITHM\x2emd, which is not a file of the repository",
        "docs/guide\x2emd:6: mentions docs/nothere\x2emd, which is not a file of the repository",
        "link 'data/missing.csv': examples/data/missing.csv is not a file of the repository",
    ]
    for line in expected:
        assert line in out, f"missing {line!r} in:\n{out}"
    assert "examples/nb.ipynb (cell 0):" in out, out
    # The good references of the same tree are not reported.
    assert "README\x2emd" not in out and "doc.go" not in out, out


def test_section_reference_in_code_and_untracked_target(tmp_path: Path) -> None:
    files = good_tree()
    files["gocore/x/doc.go"] += f"// A stale reference: {S}9.\n"
    files["docs/extra\x2emd"] = "# Extra\n\n[scratch](../build/notes\x2emd) and [draft](draft\x2emd).\n"
    write(tmp_path, files)
    git_init(tmp_path)
    # draft.md exists on disk but is not tracked: a clone would not have it.
    (tmp_path / "docs" / "draft\x2emd").write_text("# Draft\n", encoding="utf-8")
    r = run(tmp_path)
    assert r.returncode == 1, r.stdout
    assert f"gocore/x/doc.go:3: {S}9: docs/algorithm\x2emd has no section 9" in r.stdout, r.stdout
    for link, target in (("draft", "docs/draft"), ("../build/notes", "build/notes")):
        want = f"docs/extra\x2emd:3: link '{link}\x2emd': {target}\x2emd is not a file of the repository"
        assert want in r.stdout, r.stdout

