#!/usr/bin/env python3
"""Fail on a reference in the repository that does not resolve.

Usage: check_docs.py [ROOT]   (ROOT defaults to the repository this script
is in). Exit status 0 when every reference resolves, 1 otherwise, with one
line "path:line: message" per broken reference. Python 3.11, stdlib only.

Files: every file git tracks under ROOT (every file but .git/ when ROOT is
not a git work tree) that decodes as UTF-8 without a NUL byte.

What it checks:

1. Markdown links, in *.md files and in the markdown cells of *.ipynb
   notebooks (outside fenced code blocks and inline code): [text](target),
   ![alt](target) and reference definitions "[label]: target". A target
   with a URL scheme (http:, mailto:, …) is not checked. Otherwise its path,
   relative to the linking file (the repository root when it starts with
   "/"), must be a tracked file or a directory holding one, inside ROOT.
   A "#anchor" on a markdown target (or alone, for the linking file) must
   equal the GitHub slug of one of that file's headings: the heading text
   without markup, lower-cased, every character but letters, digits,
   "_", "-" and spaces dropped, spaces turned into "-", and "-1", "-2", …
   appended to repeated slugs. Anchors on other files are not checked.

2. Section references "§n" and "§n.m", in every file. One resolves when
   the document it points to has a heading numbered n (or n.m), such as
   "## 3. Soft policy evaluation" or "### 1.1 The (t, r) sampler". The
   document is docs/algorithm.md, unless a markdown file name stands right
   before the sign — "docs/design.md §2", "`docs/design.md`, §2", or a link
   such as "[design.md](../docs/design.md) §2" — in which case it is that
   file, looked up relative to the referring file, then to the root; a
   named file that does not exist is itself an error. "§1–§2" is two
   references.

3. Bare mentions of markdown files: a path such as docs/nn.md or
   bench/RESULTS.md, in any file, must be a tracked file, relative to the
   root or to the mentioning file (paths under build/, where the build
   writes its reports, are not checked). A name without a directory must
   be the name of some tracked file when it appears in a markdown file or
   is written in capitals like README.md (the convention for documents);
   other bare names in code, such as a report's file name, are not
   checked. Paths inside URLs are not mentions.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

DEFAULT_SECTIONS_DOC = "docs/algorithm.md"

FENCE = re.compile(r"^\s{0,3}(```|~~~)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?(?:\s|$)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
SECTION = re.compile(r"§(\d+)(?:\.(\d+))?")
# A markdown file named right before a section sign: the name, then at most
# closing markup (`, ], ), *) and a comma or spaces.
NAMED_DOC = re.compile(r"([\w./-]*\w\.md)[`\])*]*,?\s*$")
UPPER = re.compile(r"^[A-Z][A-Z0-9_-]*\.md$")
MENTION = re.compile(r"(?<![\w./\-])((?:[\w.-]+/)*[\w.-]*\w\.md)(?![\w/-])")


@dataclass
class Doc:
    """Headings of one markdown file: GitHub slugs and section numbers."""

    slugs: set[str] = field(default_factory=set)
    sections: set[str] = field(default_factory=set)


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading with this (markdown) text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links → their text
    text = re.sub(r"<[^>]+>", "", text)  # HTML tags
    text = text.replace("`", "").replace("*", "")
    out = []
    for ch in text.lower():
        cat = unicodedata.category(ch)
        if ch in " -_" or cat[0] in "LNM":
            out.append("-" if ch == " " else ch)
    return "".join(out)


def markdown_lines(text: str) -> list[tuple[int, str, bool]]:
    """(line number, line, inside a fenced code block) for each line."""
    out, fence = [], None
    for n, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)
                out.append((n, line, True))
                continue
            if m.group(1) == fence:
                fence = None
                out.append((n, line, True))
                continue
        out.append((n, line, fence is not None))
    return out


def parse_doc(text: str) -> Doc:
    doc, seen = Doc(), {}
    for _, line, in_code in markdown_lines(text):
        m = None if in_code else HEADING.match(line)
        if not m:
            continue
        title = m.group(2)
        slug = github_slug(title)
        k = seen.get(slug, 0)
        seen[slug] = k + 1
        doc.slugs.add(slug if k == 0 else f"{slug}-{k}")
        num = NUMBERED.match(title)
        if num:
            doc.sections.add(num.group(1))
    return doc


class Checker:
    def __init__(self, root: Path):
        self.root = root.resolve()
        self.files = self._list_files()
        self.tracked = set(self.files)
        self.dirs = {str(PurePosixPath(p).parent) for p in self.files} | {"."}
        for p in list(self.dirs):
            while p not in (".", ""):
                p = str(PurePosixPath(p).parent)
                self.dirs.add(p)
        self.basenames = {PurePosixPath(p).name for p in self.files}
        self.docs: dict[str, Doc | None] = {}
        self.errors: list[str] = []
        self.references = 0

    def _list_files(self) -> list[str]:
        try:
            out = subprocess.run(
                ["git", "-C", str(self.root), "ls-files", "-z"],
                capture_output=True, check=True,
            ).stdout.decode()
            files = [f for f in out.split("\0") if f]
        except (OSError, subprocess.CalledProcessError):
            files = []
            for d, dirnames, names in os.walk(self.root):
                dirnames[:] = [x for x in dirnames if x != ".git"]
                for name in names:
                    files.append(Path(d, name).relative_to(self.root).as_posix())
        return sorted(f for f in files if (self.root / f).is_file())

    def read_text(self, rel: str) -> str | None:
        data = (self.root / rel).read_bytes()
        if b"\0" in data[:8192]:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def doc(self, rel: str) -> Doc | None:
        if rel not in self.docs:
            text = self.read_text(rel) if rel in self.tracked else None
            self.docs[rel] = None if text is None else parse_doc(text)
        return self.docs[rel]

    def error(self, rel: str, line: int, msg: str) -> None:
        self.errors.append(f"{rel}:{line}: {msg}")

    def resolve(self, base: str, path: str) -> str | None:
        """path relative to the file base (root-relative when it starts
        with "/"), normalised; None when it leaves the root."""
        start = PurePosixPath() if path.startswith("/") else PurePosixPath(base).parent
        parts: list[str] = []
        for part in (start / path.lstrip("/")).parts:
            if part == "..":
                if not parts:
                    return None
                parts.pop()
            elif part != ".":
                parts.append(part)
        return "/".join(parts) or "."

    # 1. links

    def check_link(self, rel: str, line: int, target: str) -> None:
        target = target.strip("<>")
        if not target or SCHEME.match(target):
            return
        self.references += 1
        path, _, anchor = target.partition("#")
        if path:
            dest = self.resolve(rel, path)
            if dest is None:
                self.error(rel, line, f"link {target!r} points outside the repository")
                return
            if dest not in self.tracked and dest not in self.dirs:
                self.error(rel, line, f"link {target!r}: {dest} is not a file of the repository")
                return
        else:
            dest = rel
        if anchor and dest.endswith(".md"):
            doc = self.doc(dest)
            if doc is None or anchor not in doc.slugs:
                self.error(rel, line, f"link {target!r}: {dest} has no heading with the anchor #{anchor}")

    def check_links(self, rel: str, text: str, line_of=None) -> None:
        for n, line, in_code in markdown_lines(text):
            if in_code:
                continue
            where = line_of(n) if line_of else n
            m = REF_DEF.match(line)
            if m:
                self.check_link(rel, where, m.group(1))
                continue
            stripped = INLINE_CODE.sub(lambda c: " " * len(c.group(0)), line)
            for m in LINK.finditer(stripped):
                self.check_link(rel, where, m.group(1))

    def check_notebook(self, rel: str, text: str) -> None:
        try:
            cells = json.loads(text).get("cells", [])
        except (json.JSONDecodeError, AttributeError):
            self.error(rel, 1, "not a readable notebook (JSON)")
            return
        lines = text.splitlines()
        for i, cell in enumerate(cells):
            if cell.get("cell_type") != "markdown":
                continue
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else str(src)
            first = src.splitlines()[0] if src.strip() else ""
            # The notebook line where the cell's first source line sits, for the report.
            at = next((k + 1 for k, line in enumerate(lines) if first and json.dumps(first)[1:-1] in line), 1)
            self.check_links(f"{rel} (cell {i})", src, lambda n, at=at: at + n - 1)

    # 2. section references

    def check_sections(self, rel: str, text: str) -> None:
        for n, line in enumerate(text.splitlines(), 1):
            for m in SECTION.finditer(line):
                self.references += 1
                num = m.group(1) + (f".{m.group(2)}" if m.group(2) else "")
                named = NAMED_DOC.search(line[: m.start()])
                if named:
                    name = named.group(1)
                    cands = [self.resolve(rel, name), self.resolve("", name)]
                    target = next((c for c in cands if c in self.tracked), None)
                    if target is None:
                        self.error(rel, n, f"§{num} refers to {name}, which is not a file of the repository")
                        continue
                else:
                    target = DEFAULT_SECTIONS_DOC
                doc = self.doc(target)
                if doc is None:
                    self.error(rel, n, f"§{num}: {target} is missing or not text")
                elif num not in doc.sections:
                    self.error(rel, n, f"§{num}: {target} has no section {num}")

    # 3. mentions of markdown files

    def check_mentions(self, rel: str, text: str) -> None:
        markdown = rel.endswith((".md", ".ipynb"))
        for n, line in enumerate(text.splitlines(), 1):
            for m in MENTION.finditer(line):
                name = m.group(1)
                self.references += 1
                if name.startswith("build/"):
                    continue
                if "/" in name:
                    cands = [self.resolve("", name), self.resolve(rel, name)]
                    if not any(c in self.tracked for c in cands):
                        self.error(rel, n, f"mentions {name}, which is not a file of the repository")
                elif (markdown or UPPER.match(name)) and name not in self.basenames:
                    self.error(rel, n, f"mentions {name}, but no file of the repository has that name")

    def run(self) -> int:
        for rel in self.files:
            text = self.read_text(rel)
            if text is None:
                continue
            if rel.endswith(".md"):
                self.check_links(rel, text)
            elif rel.endswith(".ipynb"):
                self.check_notebook(rel, text)
            self.check_sections(rel, text)
            self.check_mentions(rel, text)
        return len(self.errors)


def main(argv: list[str]) -> int:
    if len(argv) > 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    root = Path(argv[1]) if len(argv) == 2 else Path(__file__).resolve().parent.parent
    c = Checker(root)
    bad = c.run()
    for e in c.errors:
        print(e)
    if bad:
        print(f"check-docs: {bad} broken reference(s) in {len(c.files)} files")
        return 1
    print(f"check-docs: {c.references} references in {len(c.files)} files: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
