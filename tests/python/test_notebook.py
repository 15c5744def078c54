"""examples/quickstart.ipynb runs from top to bottom (nbclient, a fresh
kernel, against the installed package) and draws its learning curve."""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "quickstart.ipynb"


def test_quickstart_notebook_runs(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute(env=env)
    finally:
        print(f"notebook ran in {time.perf_counter() - start:.0f} s")
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no plot in the outputs"
    text = "".join(o.get("text", "") for o in outputs)
    assert "best-of-N:" in text
    progress = tmp_path / "runs" / "quickstart" / "progress.csv"
    assert "eval/mean_reward" in progress.read_text().splitlines()[0]
