"""make test-sdist: the sdist builds a working wheel on its own.

1. Take the sdist `make sdist` built from the checkout (argument 1).
2. Check its contents: no Go tests or testdata, and every file of this
   module that `go list` says the extension's packages may compile, on any
   platform or build tags (the ignored files too), is there.
3. Unpack it and build a wheel from the unpacked tree with pip, with no
   build isolation and no network (GOPROXY=off, --no-index).
4. Install the wheel into a fresh virtual environment (system site-packages
   visible, for numpy and gymnasium; pip checks the wheel's requirements
   against them) and run tests/sdist/use_wheel.py with it.

Run by mk/pkg.mk with the build's interpreter; the scratch directory
(argument 2) is emptied first and removed when every step passed. Its path
is fixed so that Go's build cache serves the next run. Exit status 0 and a
"test-sdist: PASS" line, or 1 and "test-sdist: FAIL" with the failing
step's output.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GO_MODULE = "github.com/mfpo/mfpo"
# The go list fields naming a package's source files, whatever the build
# constraints (Ignored*: the files this platform and these tags leave out).
GO_FILE_FIELDS = (
    "GoFiles", "CgoFiles", "IgnoredGoFiles", "IgnoredOtherFiles", "CFiles", "CXXFiles", "MFiles",
    "HFiles", "FFiles", "SFiles", "SwigFiles", "SwigCXXFiles", "SysoFiles", "EmbedFiles",
)


class Failure(Exception):
    pass


def run(step: str, cmd: list[str], **kw) -> str:
    """Run cmd; its combined output, or Failure naming the step."""
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if res.returncode != 0:
        raise Failure(f"{step}: exit status {res.returncode}: {shlex.join(map(str, cmd))}\n{res.stdout}")
    return res.stdout


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without PYTHONPATH (nothing may come from the
    checkout's python/), offline, plus extra."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(GOPROXY="off", PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def find_sdist(folder: Path) -> Path:
    found = list(folder.glob("mfpo-*.tar.gz"))
    if len(found) != 1:
        raise Failure(f"sdist: expected one mfpo-*.tar.gz in {folder}, found {[p.name for p in found]}")
    return found[0]


def go_sources(go: str) -> list[str]:
    """The module's files, relative to its root, that the packages the
    extension imports (bindings/ and its dependencies) may compile (tests
    excluded)."""
    tmpl = "{{if and .Module (eq .Module.Path \"" + GO_MODULE + "\")}}{{$d := .Dir}}" + "".join(
        "{{range ." + f + "}}{{$d}}/{{.}}\n{{end}}" for f in GO_FILE_FIELDS
    ) + "{{end}}"
    tags = os.environ.get("MFPO_GOTAGS", "")
    cmd = [go, "list", "-deps", "-f", tmpl] + ([f"-tags={tags}"] if tags else []) + ["./bindings"]
    out = run("go list", cmd, cwd=ROOT, env=clean_env(GOWORK="off"))
    # IgnoredGoFiles lists test files with build constraints too; no build needs a test.
    names = [line for line in out.splitlines() if line and not line.endswith("_test.go")]
    return sorted({str(Path(line).relative_to(ROOT)) for line in names})


def check_contents(sdist: Path, go: str) -> list[str]:
    """The sdist's files (relative to its top folder) after the checks."""
    with tarfile.open(sdist) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    top = sdist.name.removesuffix(".tar.gz") + "/"
    files = sorted(n.removeprefix(top) for n in names)
    problems = [f"outside {top}: {n}" for n in names if not n.startswith(top)]
    problems += [f"a Go test: {f}" for f in files if f.endswith("_test.go")]
    problems += [f"test data: {f}" for f in files if "testdata" in Path(f).parts]
    have = set(files)
    problems += [f"missing (go list names it): {f}" for f in go_sources(go) if f not in have]
    for need in ("go.mod", "go.sum", "tools/gopy/go.mod", "tools/gopy/go.sum", "setup.py", "pyproject.toml",
                 "python/mfpo/py.typed", "python/mfpo/_fb/__init__.py"):
        if need not in have:
            problems.append(f"missing: {need}")
    if problems:
        raise Failure("sdist contents:\n  " + "\n  ".join(problems))
    return files


def build_wheel(sdist: Path, scratch: Path) -> Path:
    with tarfile.open(sdist) as tar:
        tar.extractall(scratch / "src", filter="data")
    src = scratch / "src" / sdist.name.removesuffix(".tar.gz")
    gopy = os.environ.get("MFPO_GOPY") or str(ROOT / "build" / "bin" / "gopy")
    run("wheel", [sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-cache-dir",
                  "-w", str(scratch / "wheel"), str(src)],
        cwd=scratch, env=clean_env(MFPO_GOPY=gopy))
    wheels = list((scratch / "wheel").glob("mfpo-*.whl"))
    if len(wheels) != 1:
        raise Failure(f"wheel: expected one mfpo wheel, got {[w.name for w in wheels]}")
    return wheels[0]


def install(wheel: Path, venv: Path) -> Path:
    run("venv", [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    # --force-reinstall --no-deps: the wheel goes into the venv even when an
    # mfpo is installed where --system-site-packages sees it (make
    # test-python installs one); pip check then verifies that the wheel's
    # requirements are met by what the venv sees.
    run("install", [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-cache-dir", "--no-deps",
                    "--force-reinstall", str(wheel)], env=clean_env())
    check = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "check"], capture_output=True,
                           text=True, env=clean_env(), check=False)
    broken = [line for line in check.stdout.splitlines() if line.lower().startswith("mfpo ")]
    if broken:
        raise SystemExit("test-sdist: the wheel's requirements are not met:\n" + "\n".join(broken))
    return python


def main() -> int:
    sdist_dir, scratch = Path(sys.argv[1]).absolute(), Path(sys.argv[2]).absolute()
    go = os.environ.get("GO", "go")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    t0 = time.monotonic()
    times: list[str] = []
    last = [t0]

    def lap(what: str) -> None:
        now = time.monotonic()
        times.append(f"{what} {now - last[0]:.1f}s")
        last[0] = now

    try:
        sdist = find_sdist(sdist_dir)
        files = check_contents(sdist, go)
        lap("contents")
        wheel = build_wheel(sdist, scratch)
        lap("wheel")
        python = install(wheel, scratch / "venv")
        lap("install")
        work = scratch / "work"
        work.mkdir()
        version = sdist.name.removesuffix(".tar.gz").split("-", 1)[1]
        out = run("use", [str(python), str(ROOT / "tests" / "sdist" / "use_wheel.py"), version],
                  cwd=work, env=clean_env(MFPO_GOTAGS=os.environ.get("MFPO_GOTAGS", "")))
        lap("use")
    except Failure as e:
        print(e)
        print(f"test-sdist: FAIL (scratch files kept in {scratch})")
        return 1
    sys.stdout.write(out)
    print(f"test-sdist: PASS: {sdist.name} ({len(files)} files) -> {wheel.name}, installed and used"
          f" in a fresh venv; {time.monotonic() - t0:.1f}s ({', '.join(times)})")
    shutil.rmtree(scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
