"""The README's Python block runs as written, with only its training
budgets cut, and Policy's attributes are visible to a type checker."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def readme_python_block() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Python\n", 1)[1]
    m = re.search(r"```python\n(.*?)```", section, re.S)
    assert m is not None, "README.md: no ```python block under ## Python"
    return m.group(1)


def test_readme_python_block_runs(tmp_path: Path) -> None:
    code = readme_python_block()
    cut, n = re.subn(r"\.learn\((\d[\d_]*)", ".learn(300", code)
    assert n == 2, code  # the two learn calls, and nothing else changed
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run([sys.executable, "-c", cut], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                         env=env, check=False)
    assert res.returncode == 0, f"{cut}\n{res.stdout}\n{res.stderr}"
    assert (tmp_path / "pendulum.mfpo").is_file()


def test_policy_attributes_are_typed(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api", reason="mypy comes with the lint extra (make lint installs it)")
    snippet = tmp_path / "use_policy.py"
    snippet.write_text(
        "import gymnasium as gym\n"
        "from mfpo import MFPO, Policy\n"
        "p = Policy.load('x.mfpo')\n"
        "dims: tuple[int, int] = (p.obs_dim, p.act_dim)\n"
        "shape: tuple[int, ...] = p.obs_shape\n"
        "box: gym.spaces.Box = p.action_space\n"
        "reveal_type(p.obs_dim)\n"
        "m = MFPO('Pendulum-v1')\n"
        "size: int = m.replay_buffer.size()\n"
        "q: Policy = m.policy.snapshot()\n"
    )
    out, err, status = api.run(["--strict", "--no-incremental", "--cache-dir", os.devnull, str(snippet)])
    assert status == 0 and "error" not in out, out + err  # a missing attribute would be an error
    assert re.search(r'Revealed type is "(builtins\.)?int"', out), out


def test_progress_bar_is_tqdm_auto() -> None:
    """tqdm.auto: a notebook gets one widget, not a stream of stderr lines."""
    from tqdm.auto import tqdm as auto

    from mfpo.agent import _progress_bar

    bar = _progress_bar(True, 10, 0)
    try:
        assert isinstance(bar, auto)
    finally:
        bar.close()
