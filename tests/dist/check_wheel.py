"""make test-wheel: each wheel of `make wheel` installs and works where no
build tool can be seen.

For every wheel in the folder (argument 1), one per CPython of
scripts/dist/dist.py:

1. The wheel itself: a manylinux platform tag that `auditwheel show` agrees
   with; OpenBLAS in mfpo.libs/; a non-empty license file in .dist-info for
   every License-File of METADATA, one per vendored Debian package; the
   metadata's version, Requires-Python, this CPython's classifier and the
   extras; nothing of CUDA (no file, no NEEDED entry).
2. A fresh virtual environment (no system site-packages) from that CPython,
   and the wheel installed into it by pip offline, its dependencies resolved
   from its own metadata against build/wheelhouse/cpXY.
3. tests/sdist/use_wheel.py --vendored copied to a scratch folder outside the
   checkout and run there in a private mount namespace (unshare, as root)
   where the checkout, Go's root and module cache are empty tmpfs mounts and
   the system's OpenBLAS, libgfortran and libquadmath files are /dev/null, with
   `env -i` and PATH=venv/bin:/usr/bin:/bin, under `python -I`.

Prints one line per wheel and "N passed, M failed"; exit status 1 when any
failed. Scratch folders are removed, or kept and named on failure.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
import tempfile
import time
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "dist"))
import dist  # noqa: E402  (scripts/dist/dist.py: the CPythons, the wheelhouses)

sys.path.insert(0, str(ROOT / "tests" / "sdist"))
from check_sdist import Failure, run  # noqa: E402  (the sdist test's step runner)

USE_WHEEL = ROOT / "tests" / "sdist" / "use_wheel.py"
# What a CPU wheel must not carry or load.
CUDA = re.compile(r"cuda|cublas|cudnn|cufft|curand|cusparse|nvrtc|nvidia", re.I)
# The system libraries the wheel vendors, hidden from the test process.
HIDDEN = re.compile(r"^lib(openblas|gfortran|quadmath)\S*\.so")




def check_wheel(wheel: Path, tag: str, scratch: Path) -> str:
    """Step 1; a summary of the wheel."""
    name_tags = wheel.name.removesuffix(".whl").split("-")[2:]
    if name_tags[:2] != [tag, tag] or not re.fullmatch(r"manylinux_\d+_\d+_x86_64", name_tags[2]):
        raise Failure(f"{wheel.name}: expected tags {tag}-{tag}-manylinux_X_Y_x86_64")
    shown = run("auditwheel show", [str(Path(sys.executable).parent / "auditwheel"), "show", str(wheel)])
    if f'"{name_tags[2]}"' not in " ".join(shown.split()):
        raise Failure(f"auditwheel show disagrees with the tag {name_tags[2]}:\n{shown}")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(z.read(f"{info}/METADATA").decode(), headersonly=True)
        problems = [f"a CUDA file: {n}" for n in names if CUDA.search(n)]
        libs = [n for n in names if n.startswith("mfpo.libs/")]
        if not any("openblas" in n for n in libs):
            problems.append(f"no OpenBLAS in mfpo.libs/: {libs}")
        licenses = meta.get_all("License-File") or []
        for lic in licenses:
            path = f"{info}/licenses/{lic}"
            if path not in names or not z.read(path).strip():
                problems.append(f"License-File {lic}: {path} missing or empty")
        if len(licenses) < 3:  # OpenBLAS, libgfortran, libquadmath
            problems.append(f"licenses of the vendored libraries: {licenses}")
        z.extractall(scratch / "unpacked", members=[n for n in names if ".so" in n])
    want = {"Version": dist.version(), "Requires-Python": dist.pyproject()["project"]["requires-python"]}
    problems += [f"METADATA {k}: {meta.get(k)!r}, expected {v!r}" for k, v in want.items() if meta.get(k) != v]
    pyver = f"Programming Language :: Python :: {tag[2]}.{tag[3:]}"
    if pyver not in (meta.get_all("Classifier") or []):
        problems.append(f"METADATA lacks the classifier {pyver!r}")
    extras = set(meta.get_all("Provides-Extra") or [])
    if not {"extra", "mujoco", "dm-control"} <= extras:
        problems.append(f"METADATA extras: {sorted(extras)}")
    for so in (scratch / "unpacked").rglob("*.so*"):
        needed = run("readelf", ["readelf", "-d", str(so)])
        problems += [f"{so.name} needs CUDA: {line.strip()}" for line in needed.splitlines()
                     if "NEEDED" in line and CUDA.search(line)]
    if problems:
        raise Failure(f"{wheel.name}:\n  " + "\n  ".join(problems))
    size = wheel.stat().st_size / 2**20
    return f"{size:.1f} MiB, vendored {', '.join(Path(n).name for n in libs)}"


def hidden_files() -> list[str]:
    """The real files of the system libraries the wheel vendors (ldconfig)."""
    out = run("ldconfig", ["ldconfig", "-p"])
    files = {str(Path(m.group(2)).resolve()) for m in re.finditer(r"^\s*(\S+) .*=> (\S+)$", out, re.M)
             if HIDDEN.match(m.group(1))}
    if not any("openblas" in f for f in files):
        raise Failure(f"no system OpenBLAS to hide (ldconfig -p):\n{out}")
    return sorted(files)


def hidden_dirs() -> list[Path]:
    """The checkout and Go's folders, less those inside another of them."""
    go = os.environ.get("GO", "go")
    found = sorted({Path(d) for d in run("go env", [go, "env", "GOROOT", "GOPATH", "GOMODCACHE", "GOCACHE"]).split()
                    if d and Path(d).is_dir()} | {ROOT})
    return [d for d in found if not any(d != o and d.is_relative_to(o) for o in found)]


def use(python: Path, scratch: Path) -> str:
    """Step 3: use_wheel.py in the hidden environment; its output."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        raise Failure("hiding the build tools needs root and unshare (util-linux): make test runs as root")
    work = scratch / "work"
    (work / "home").mkdir(parents=True)
    shutil.copy(USE_WHEEL, work / "use_wheel.py")
    mounts = [f"mount -t tmpfs mfpo-hidden {shlex.quote(d)}" for d in map(str, hidden_dirs())]
    mounts += [f"mount --bind /dev/null {shlex.quote(f)}" for f in hidden_files()]
    hide = " && ".join(mounts) + ' && exec "$@"'
    venv_bin = python.parent
    cmd = ["unshare", "--mount", "--propagation", "private", "sh", "-c", hide, "sh",
           "env", "-i", f"PATH={venv_bin}:/usr/bin:/bin", f"HOME={work / 'home'}", "LANG=C.UTF-8",
           str(python), "-I", "use_wheel.py", dist.version(), "--vendored"]
    return run("use (hidden)", cmd, cwd=work)


def main() -> int:
    folder = Path(sys.argv[1]).absolute()
    wheels = {w.name.split("-")[2]: w for w in folder.glob("mfpo-*.whl")}
    tags = list(dist.pythons())
    if sorted(wheels) != sorted(tags):
        print(f"test-wheel: FAIL: wheels in {folder} for {sorted(wheels)}, CPythons here: {tags} (make wheel)")
        return 1
    passed = failed = 0
    for tag in tags:
        t0 = time.monotonic()
        scratch = Path(tempfile.mkdtemp(prefix=f"mfpo-test-wheel-{tag}-"))
        try:
            summary = check_wheel(wheels[tag], tag, scratch)
            venv = scratch / "venv"
            # From the installation under the build venv (which lies in the checkout).
            where = "import sys; print('%s/bin/python%d.%d' % ((sys.base_prefix,) + sys.version_info[:2]))"
            base = run("base", [str(dist.PYBUILD / tag / "bin" / "python"), "-c", where]).strip()
            run("venv", [base, "-m", "venv", "--without-pip", str(venv)])
            cfg = (venv / "pyvenv.cfg").read_text()
            if "include-system-site-packages = false" not in cfg:
                raise Failure(f"the fresh venv sees the system's site-packages:\n{cfg}")
            python = venv / "bin" / "python"
            run("install", [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-cache-dir",
                            "--no-index", "--find-links", str(dist.WHEELHOUSE / tag), str(wheels[tag])],
                env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
            out = use(python, scratch)
        except Failure as e:
            failed += 1
            print(f"FAIL {wheels[tag].name}: {e}\n     (scratch files kept in {scratch})")
            continue
        passed += 1
        shutil.rmtree(scratch)
        print(f"ok   {wheels[tag].name} ({summary}; {time.monotonic() - t0:.1f}s)\n     {out.strip()}")
    print(f"test-wheel: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
