"""Training logs: key-value records dumped to stdout, CSV and TensorBoard.

``configure(folder, ["stdout", "csv", "tensorboard"])`` makes a
:class:`Logger`; :meth:`mfpo.MFPO.set_logger` installs it. Keys are
``group/name`` (``rollout/ep_rew_mean``, ``train/actor_loss``, …, as in
Stable-Baselines3). Outputs:

``stdout``
    a table per dump;
``csv``
    ``progress.csv`` in the folder, one row per dump (the header grows when
    new keys appear; the file is then rewritten);
``tensorboard``
    event files in the folder, written with ``tensorboardX`` (or
    ``torch.utils.tensorboard`` when that is what is installed). When
    neither is installed, mfpo says so once and skips TensorBoard.
"""

from __future__ import annotations

import csv
import math
import os
import sys
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, TextIO

from mfpo.exceptions import ConfigError

__all__ = ["CSVOutput", "HumanOutput", "Logger", "TensorBoardOutput", "configure"]

Value = int | float | str | None
FORMATS = ("stdout", "csv", "tensorboard")


class Output(Protocol):
    """Where a Logger writes its records."""

    def write(self, values: dict[str, Value], step: int) -> None: ...

    def close(self) -> None: ...


def _fmt(v: Value) -> str:
    if isinstance(v, float):
        return f"{v:<8.4g}" if math.isfinite(v) else str(v)
    return str(v)


class HumanOutput:
    """A table per dump, grouped by the part of the key before the slash."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def write(self, values: dict[str, Value], step: int) -> None:
        stream = self._stream or sys.stdout
        rows: list[tuple[str, str]] = []
        group = None
        for key in sorted(values):
            g, _, name = key.rpartition("/")
            if g != group:
                rows.append((f"{g}/" if g else "", ""))
                group = g
            rows.append((f"    {name}" if g else name, _fmt(values[key])))
        kw = max(len(k) for k, _ in rows)
        vw = max(len(v) for _, v in rows)
        line = "-" * (kw + vw + 7)
        out = [line] + [f"| {k:<{kw}} | {v:<{vw}} |" for k, v in rows] + [line]
        stream.write("\n".join(out) + "\n")
        stream.flush()

    def close(self) -> None:
        pass


class CSVOutput:
    """``progress.csv``: one row per dump; a new key rewrites the file with the
    wider header (earlier rows get empty cells)."""

    def __init__(self, path: str | os.PathLike[str], append: bool = False) -> None:
        self.path = Path(path)
        self.keys: list[str] = []
        self._rows: list[dict[str, Value]] = []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if append and self.path.is_file():  # a resumed run: keep the rows before it
            with self.path.open(newline="") as f:
                reader = csv.DictReader(f)
                self.keys = list(reader.fieldnames or [])
                self._rows = [dict(r) for r in reader]
        else:
            self.path.write_text("")

    def write(self, values: dict[str, Value], step: int) -> None:
        new = [k for k in sorted(values) if k not in self.keys]
        self._rows.append(dict(values))
        if new:
            self.keys += new
            with self.path.open("w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=self.keys, restval="")
                w.writeheader()
                w.writerows(self._rows)
        else:
            with self.path.open("a", newline="") as f:
                csv.DictWriter(f, fieldnames=self.keys, restval="").writerow(values)

    def close(self) -> None:
        pass


_TB_WARNED = False


def _summary_writer(folder: str) -> Any | None:
    """A SummaryWriter from tensorboardX or torch, or None (said once)."""
    global _TB_WARNED
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        try:
            from torch.utils.tensorboard import SummaryWriter  # type: ignore[no-redef, unused-ignore]
        except ImportError:
            if not _TB_WARNED:
                _TB_WARNED = True
                warnings.warn(
                    "mfpo: TensorBoard logging skipped: neither tensorboardX nor torch is installed "
                    "(pip install tensorboardX, or pip install \"mfpo[extra]\")",
                    RuntimeWarning,
                    stacklevel=3,
                )
            return None
    return SummaryWriter(log_dir=folder)


class TensorBoardOutput:
    """TensorBoard event files in a folder (scalars only)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = str(folder)
        self.writer = _summary_writer(self.folder)

    def write(self, values: dict[str, Value], step: int) -> None:
        if self.writer is None:
            return
        for key, v in values.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v is not None:
                self.writer.add_scalar(key, v, step)
        self.writer.flush()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class Logger:
    """Collects ``record(key, value)`` calls and writes them at ``dump(step)``
    to every output. ``folder`` is where file outputs live (None for
    stdout only)."""

    def __init__(self, folder: str | os.PathLike[str] | None, outputs: Sequence[Output]) -> None:
        self.folder = None if folder is None else str(folder)
        self.outputs = list(outputs)
        self._values: dict[str, Value] = {}

    def record(self, key: str, value: Value) -> None:
        """Set key to value for the next dump (the last value wins)."""
        self._values[key] = value

    def record_many(self, values: dict[str, Value], prefix: str = "") -> None:
        for k, v in values.items():
            self.record(prefix + k, v)

    @property
    def pending(self) -> dict[str, Value]:
        """The records not yet dumped."""
        return dict(self._values)

    def dump(self, step: int = 0) -> None:
        """Write the pending records to every output, then forget them."""
        if not self._values:
            return
        for out in self.outputs:
            out.write(self._values, step)
        self._values = {}

    def close(self) -> None:
        for out in self.outputs:
            out.close()


def configure(
    folder: str | os.PathLike[str] | None = None, format_strings: Iterable[str] | None = None, append: bool = False
) -> Logger:
    """A Logger writing to the named outputs (``"stdout"``, ``"csv"``,
    ``"tensorboard"``); file outputs go to ``folder``, which is created.
    Default formats: all three with a folder, ``stdout`` without. With
    ``append``, ``progress.csv`` keeps the rows already there (a resumed
    run)."""
    formats = list(format_strings) if format_strings is not None else (list(FORMATS) if folder else ["stdout"])
    outputs: list[Output] = []
    for f in formats:
        if f not in FORMATS:
            raise ConfigError(f"unknown log format {f!r}: expected one of {FORMATS}")
        if f == "stdout":
            outputs.append(HumanOutput())
            continue
        if folder is None:
            raise ConfigError(f"log format {f!r} writes files: give a folder")
        Path(folder).mkdir(parents=True, exist_ok=True)
        outputs.append(CSVOutput(Path(folder) / "progress.csv", append) if f == "csv" else TensorBoardOutput(folder))
    return Logger(folder, outputs)
