"""The walking skeleton of mfpo's Python face: the installed package imports
from anywhere, reports the Go core's build, and brings exactly one Go runtime
into the process (its gopy extension; never libmfpo.so), before and after
training.

Run against the installed package (`make test-python`), not python/ in the
checkout.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import mfpo

REPO = Path(__file__).resolve().parents[2]
GO_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def go_source_version() -> str:
    """`const Version` of gocore/buildinfo, read from the checkout's source."""
    src = (REPO / "gocore" / "buildinfo" / "buildinfo.go").read_text()
    m = re.search(r'^const Version = "([^"]+)"', src, re.M)
    assert m, "no `const Version = \"...\"` in gocore/buildinfo/buildinfo.go"
    return m.group(1)


def built_with_openblas() -> bool:
    """The rule setup.py's build hook follows: the tags in MFPO_GOTAGS when
    set (`make` sets it from GOTAGS), else openblas when pkg-config has it."""
    tags = os.environ.get("MFPO_GOTAGS")
    if tags is not None:
        return "openblas" in tags.replace(",", " ").split()
    if shutil.which("pkg-config") is None:
        return False
    return subprocess.run(["pkg-config", "--exists", "openblas"], check=False).returncode == 0


def mapped_files() -> set[str]:
    """Paths of the files mapped into this process, from /proc/self/maps."""
    paths = set()
    with open("/proc/self/maps") as f:
        for line in f:
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and fields[5].startswith("/"):
                paths.add(fields[5].strip().removesuffix(" (deleted)"))
    return paths


def elf_sections(path: str) -> dict[str, tuple[int, int]]:
    """Section name -> (file offset, size) of a 64-bit little-endian ELF
    file; empty when the file is not one."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return {}
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    headers = []
    for i in range(shnum):
        name, _type, _flags, _addr, off, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
        headers.append((name, off, size))
    stroff = headers[shstrndx][1]
    out = {}
    for name, off, size in headers:
        end = data.index(b"\0", stroff + name)
        out[data[stroff + name:end].decode()] = (off, size)
    return out


def elf_needed(path: str) -> list[str]:
    """The DT_NEEDED entries (shared libraries it links) of an ELF file."""
    secs = elf_sections(path)
    with open(path, "rb") as f:
        data = f.read()
    dyn_off, dyn_size = secs[".dynamic"]
    str_off, _ = secs[".dynstr"]
    needed = []
    for i in range(0, dyn_size, 16):
        tag, val = struct.unpack_from("<qQ", data, dyn_off + i)
        if tag == 0:  # DT_NULL
            break
        if tag == 1:  # DT_NEEDED
            end = data.index(b"\0", str_off + val)
            needed.append(data[str_off + val:end].decode())
    return needed


def extension_path() -> Path:
    """The gopy extension file inside the installed package."""
    gopy_dir = Path(mfpo.__file__).resolve().parent / "_gopy"
    ext = gopy_dir / ("_mfpo" + sysconfig.get_config_var("EXT_SUFFIX"))
    assert ext.is_file(), f"no extension at {ext}; found {sorted(p.name for p in gopy_dir.iterdir())}"
    return ext


def test_build_info_keys_and_types() -> None:
    info = mfpo.build_info()
    assert isinstance(info, dict)
    assert set(info) == {"version", "go_version", "blas", "blas_core", "blas_config", "cpu_kernels", "os", "arch", "devices"}
    assert info["cpu_kernels"] in ("avx512", "avx2", "go"), info
    assert all(isinstance(v, str) and v for v in info.values()), info
    assert info["go_version"].startswith("go"), info
    assert info["os"] == sys.platform, info  # "linux", "darwin": same words in Go
    assert info["arch"] == GO_ARCH.get(platform.machine().lower(), platform.machine()), info


def test_version_agrees_everywhere() -> None:
    assert isinstance(mfpo.__version__, str)
    assert mfpo.build_info()["version"] == mfpo.__version__ == go_source_version()
    # The distribution's metadata carries the same version.
    from importlib.metadata import version

    assert version("mfpo") == mfpo.__version__


def test_blas_backend_matches_build_tag() -> None:
    want = "openblas" if built_with_openblas() else "gonum"
    assert mfpo.build_info()["blas"] == want
    # gonum has one kernel set; OpenBLAS names the one it chose for this CPU.
    assert (mfpo.build_info()["blas_core"] == "gonum") == (want == "gonum")


def assert_one_go_runtime() -> None:
    ext = extension_path()
    maps = mapped_files()
    assert not [p for p in maps if os.path.basename(p).startswith("libmfpo.so")], "libmfpo.so is mapped"
    mfpo_exts = sorted(p for p in maps if re.fullmatch(r"_mfpo\..*\.so", os.path.basename(p)))
    assert mfpo_exts == [str(ext)], mfpo_exts
    # Every Go-built binary carries a .go.buildinfo section: exactly one
    # mapped file may have one, and it is the extension.
    go_files = sorted(p for p in maps if os.path.isfile(p) and ".go.buildinfo" in elf_sections(p))
    assert go_files == [str(ext)], go_files


def test_one_go_runtime_in_process() -> None:
    assert_one_go_runtime()


def test_one_go_runtime_after_training() -> None:
    # Training, acting and a vector env bring no other Go code (and never
    # libmfpo.so) into the process.
    import gymnasium as gym
    import numpy as np

    env = gym.vector.SyncVectorEnv([lambda: gym.make("Pendulum-v1")] * 2)
    model = mfpo.MFPO(env, preset="small", hidden=[8], batch_size=8, learning_starts=16, verbose=0)
    model.learn(100)
    action, _ = model.predict(np.zeros(3, np.float32), deterministic=True)
    assert action.shape == (1,)
    model.close()
    env.close()
    assert_one_go_runtime()


def test_extension_does_not_link_libpython() -> None:
    # Built with gopy -dynamic-link=true: the interpreter provides the
    # Python symbols, so the extension works with static and shared Pythons.
    needed = elf_needed(str(extension_path()))
    assert not [n for n in needed if n.startswith("libpython")], needed
    assert "libmfpo.so" not in needed


def test_import_from_tmp() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = "import json, mfpo; print(json.dumps([mfpo.__version__, mfpo.build_info(), mfpo.__file__]))"
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tempfile.gettempdir(),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    version, info, file = json.loads(res.stdout)
    assert version == info["version"] == mfpo.__version__
    assert info == mfpo.build_info()
    assert Path(file).resolve() == Path(mfpo.__file__).resolve()


def test_tests_the_installed_package() -> None:
    # `make test-python` sets MFPO_TEST_INSTALLED=1 after `pip install .`:
    # then mfpo must come from site-packages, not from python/ in the checkout.
    if os.environ.get("MFPO_TEST_INSTALLED") == "1":
        src = (REPO / "python").resolve()
        assert src not in Path(mfpo.__file__).resolve().parents, mfpo.__file__


def test_import_keeps_ieee_floating_point() -> None:
    # gopy compiles its C glue with -ffast-math; if that ever linked
    # crtfastmath.o, loading the extension would set flush-to-zero for the
    # whole process and subnormal numbers would vanish.
    tiny = 1e-310  # subnormal
    assert tiny * 1.0 == tiny != 0.0
