"""Build hook for mfpo's Python package: runs gopy on bindings/.

pyproject.toml holds the metadata; this file adds what it cannot say:

* the package version, read from gocore/buildinfo/buildinfo.go (one source
  of truth: Go, the C header and Python report the same string);
* one extension, ``mfpo._gopy._mfpo``, built by running gopy on the Go
  package ``bindings/`` instead of compiling C sources. Declaring it as an
  Extension makes the wheel a platform wheel (cp3XX-cp3XX-linux_x86_64).

gopy writes a small Python package next to the extension (``bindings.py``,
the wrapper for the Go package, and ``go.py``, its runtime support); all of
it lands in ``mfpo/_gopy/``. Only ``mfpo/_core.py`` imports it.

Environment knobs (all optional):
  MFPO_GOTAGS  Go build tags; default "openblas" when
               ``pkg-config --exists openblas`` succeeds, else none.
  MFPO_GOPY    path to a gopy binary; default build/bin/gopy, built from the
               pinned tools module tools/gopy when missing (with goimports).
  GO           the go command; default "go".
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
GO_MODULE = "github.com/mfpo/mfpo"
GO_PACKAGE = GO_MODULE + "/bindings"
# gopy -name: the extension module is "_" + GOPY_NAME, i.e. _mfpo<EXT_SUFFIX>.
GOPY_NAME = "mfpo"
EXT_NAME = "mfpo._gopy._" + GOPY_NAME
# The pinned gopy: its runtime package gopyh must match the generator.
GOPY_TOOLS_MOD = ROOT / "tools" / "gopy" / "go.mod"
# The Python files gopy generates beside the extension, all shipped.
GOPY_PY_FILES = ("bindings.py", "go.py")

GOPY_INIT = '''"""gopy's output for the Go package bindings/; generated at build time.

Do not import this package directly: mfpo._core is the only module that
touches it (see docs/design.md §4).
"""
'''


def go_version_string() -> str:
    """The version constant of gocore/buildinfo, e.g. "0.1.0"."""
    src = (ROOT / "gocore" / "buildinfo" / "buildinfo.go").read_text()
    m = re.search(r'^const Version = "([^"]+)"', src, re.M)
    if not m:
        raise RuntimeError("setup.py: no `const Version = \"...\"` in gocore/buildinfo/buildinfo.go")
    return m.group(1)


def go_mod_field(path: Path, key: str) -> str:
    """The word after `key` on its line in a go.mod: the go version for
    "go", a module's version for its path."""
    m = re.search(r"^\s*" + re.escape(key) + r"\s+(\S+)", path.read_text(), re.M)
    if not m:
        raise RuntimeError(f"setup.py: no {key!r} line in {path}")
    return m.group(1)


def go_tags() -> str:
    tags = os.environ.get("MFPO_GOTAGS")
    if tags is not None:
        return tags.strip()
    try:
        ok = subprocess.run(["pkg-config", "--exists", "openblas"], check=False).returncode == 0
    except FileNotFoundError:
        ok = False
    return "openblas" if ok else ""


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    print("mfpo-build:", " ".join(cmd), f"(in {cwd})", flush=True)
    res = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    sys.stdout.write(res.stdout)  # shown by `pip install -v .`, and on failure
    if res.returncode != 0:
        raise RuntimeError(f"mfpo-build: command failed ({res.returncode}): {' '.join(cmd)}")


class GopyExtension(Extension):
    """An extension built by gopy from a Go package rather than from C sources."""

    def __init__(self, name: str, go_package: str) -> None:
        super().__init__(name, sources=[])
        self.go_package = go_package


class mfpo_build_py(build_py):
    """build_py that first drops mfpo/ from the build dir, so files deleted
    from python/mfpo/ do not linger in the wheel."""

    def run(self) -> None:
        if not self.editable_mode:
            shutil.rmtree(Path(self.build_lib) / "mfpo", ignore_errors=True)
        super().run()


class gopy_build_ext(build_ext):
    """build_ext that runs gopy for GopyExtension entries."""

    def _go_env(self, go: str, bindir: Path) -> dict[str, str]:
        env = dict(os.environ)
        path = [str(bindir)]
        if os.sep in go:
            path.append(str(Path(go).resolve().parent))
        env["PATH"] = os.pathsep.join(path + [env.get("PATH", "")])
        # Debian's Python puts -fwrapv into the link flags gopy passes to cgo.
        allow = env.get("CGO_LDFLAGS_ALLOW", "")
        env["CGO_LDFLAGS_ALLOW"] = f"(?:{allow})|-fwrapv" if allow else "-fwrapv"
        env["GOWORK"] = "off"
        return env

    def _tools(self, go: str) -> Path:
        """The directory holding gopy and goimports, building them if needed."""
        gopy = os.environ.get("MFPO_GOPY")
        if gopy:
            bindir = Path(gopy).absolute().parent
            if not (bindir / "goimports").exists() and not shutil.which("goimports"):
                raise RuntimeError(f"mfpo-build: goimports not found next to MFPO_GOPY={gopy} or on PATH")
            return bindir
        bindir = ROOT / "build" / "bin"
        env = dict(os.environ, GOWORK="off")
        for name, pkg in (("gopy", "github.com/go-python/gopy"), ("goimports", "golang.org/x/tools/cmd/goimports")):
            if not (bindir / name).exists():
                run([go, "build", "-o", str(bindir / name), pkg], ROOT / "tools" / "gopy", env)
        return bindir

    def build_extension(self, ext: Extension) -> None:
        if not isinstance(ext, GopyExtension):
            super().build_extension(ext)
            return
        go = os.environ.get("GO", "go")
        bindir = self._tools(go)
        gopy = os.environ.get("MFPO_GOPY") or str(bindir / "gopy")
        env = self._go_env(go, bindir)
        target = Path(self.get_ext_fullpath(ext.name))
        pkgdir = target.parent
        tags = go_tags()
        with tempfile.TemporaryDirectory(prefix="mfpo-gopy-") as tmp:
            out = Path(tmp)
            # The generated main package needs a module of its own that sees
            # this checkout and gopy's runtime package gopyh; gopy builds it
            # with -mod=mod, so go.sum gaps are filled from the module cache.
            (out / "go.mod").write_text(
                f"module mfpo_gopy_extension\n\ngo {go_mod_field(ROOT / 'go.mod', 'go')}\n\n"
                f"require (\n\tgithub.com/go-python/gopy {go_mod_field(GOPY_TOOLS_MOD, 'github.com/go-python/gopy')}\n"
                f"\t{GO_MODULE} v0.0.0\n)\n\n"
                f"replace {GO_MODULE} => {ROOT}\n"
            )
            sums = set()
            for f in (ROOT / "go.sum", ROOT / "tools" / "gopy" / "go.sum"):
                if f.exists():
                    sums.update(f.read_text().splitlines())
            (out / "go.sum").write_text("".join(s + "\n" for s in sorted(sums) if s))
            cmd = [
                gopy, "build",
                f"-output={out}",
                f"-vm={sys.executable}",
                "-dynamic-link=true",
                f"-name={GOPY_NAME}",
                "-no-make=true",
            ]
            if tags:
                cmd.append(f"-build-tags={tags}")
            cmd.append(ext.go_package)
            run(cmd, ROOT, env)
            built = out / target.name
            if not built.exists():
                got = sorted(p.name for p in out.iterdir())
                raise RuntimeError(f"mfpo-build: gopy did not produce {built.name}; got {got}")
            pkgdir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(built, target)
            for name in GOPY_PY_FILES:
                shutil.copyfile(out / name, pkgdir / name)
            (pkgdir / "__init__.py").write_text(GOPY_INIT)

    def _gopy_py_outputs(self, ext_path: str) -> list[str]:
        d = Path(ext_path).parent
        return [str(d / n) for n in ("__init__.py",) + GOPY_PY_FILES]

    def get_outputs(self) -> list[str]:
        outs = list(super().get_outputs())
        for ext in self.extensions:
            if isinstance(ext, GopyExtension):
                outs += self._gopy_py_outputs(self.get_ext_fullpath(ext.name))
        return outs

    def copy_extensions_to_source(self) -> None:
        # In-place (editable) builds: copy gopy's Python files along with the
        # extension into python/mfpo/_gopy/.
        super().copy_extensions_to_source()
        build_py_cmd = self.get_finalized_command("build_py")
        for ext in self.extensions:
            if not isinstance(ext, GopyExtension):
                continue
            fullname = self.get_ext_fullname(ext.name)
            regular = Path(self.build_lib) / self.get_ext_filename(fullname)
            package = ".".join(fullname.split(".")[:-1])
            srcdir = Path(build_py_cmd.get_package_dir(package))
            srcdir.mkdir(parents=True, exist_ok=True)
            for f in self._gopy_py_outputs(str(regular)):
                shutil.copyfile(f, srcdir / Path(f).name)


setup(
    version=go_version_string(),
    ext_modules=[GopyExtension(EXT_NAME, GO_PACKAGE)],
    cmdclass={"build_ext": gopy_build_ext, "build_py": mfpo_build_py},
    # Keep setuptools' scratch space inside the project's build/ directory.
    options={"build": {"build_base": "build/python"}},
)
