"""Reading and validating the project's YAML data files, one way for all of them.

The instruments (``instruments/v<N>.yaml``), the recommendation rule table and the classifier
lexicon (``rules/``) and the vocabulary (``vocabulary.yaml``) are data, validated on load.
Their loaders share this module so that every file reports problems in one style: one line a
problem, ``<file>: <where>: <problem>``, all of them at once where the loader can go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TypeGuard

import yaml


class DataFileError(ValueError):
    """A data file is invalid: `errors` holds one line a problem; the message joins them."""

    def __init__(self, errors: str | Sequence[str]) -> None:
        lines = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(lines))
        self.errors: list[str] = lines


class Problems:
    """Collects every problem in one file so the author fixes them in one pass."""

    def __init__(self, source: str | Path, error: type[DataFileError] = DataFileError) -> None:
        self.source = str(source)
        self.error = error
        self.lines: list[str] = []

    def add(self, where: str, problem: str) -> None:
        self.lines.append(f"{self.source}: {where}: {problem}")

    def fail(self, where: str, problem: str) -> NoReturn:
        """Record one more problem and raise with all of them: the loader cannot go on."""
        self.add(where, problem)
        raise self.error(self.lines)

    def raise_if_any(self) -> None:
        if self.lines:
            raise self.error(self.lines)


def is_number(value: object) -> TypeGuard[int | float]:
    """An int or float; `true` is an int to Python but a typo in a data file, not a number."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_float(value: object) -> float | None:
    return float(value) if is_number(value) else None


def read_yaml(path: str | Path, error: type[DataFileError] = DataFileError) -> tuple[bytes, object]:
    """The bytes of the file at `path` and its YAML data; `error` names the file if it can't.

    The bytes come back so that a loader can hash exactly what it read.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    try:
        # libyaml's safe loader when present: the same safe subset, about ten times faster.
        if yaml.__with_libyaml__:
            data = yaml.load(raw, Loader=yaml.CSafeLoader)
        else:
            data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise error(f"{path}: invalid YAML: {exc}") from exc
    return raw, data
