"""Reading Kubernetes objects from YAML or JSON files, several documents per file.

Every object comes back with the file and the 1-based document number it came from,
so later validation can say exactly where a problem is. ``kind: List`` (what
``kubectl get -o yaml`` writes) is expanded into its items.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

import yaml

from registry.agent.errors import InputError


@dataclass(frozen=True, slots=True)
class Document:
    source: str
    number: int
    body: dict[str, Any]

    def error(self, field: str, message: str) -> InputError:
        return InputError(self.source, message, document=self.number, field=field)


def parse_documents(text: str, source: str) -> list[Document]:
    """Parse every document of ``text``; JSON is tried first so tab-indented JSON works."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return list(_objects([json.loads(text)], source))
        except json.JSONDecodeError:
            pass  # not one JSON value: several documents, or YAML flow style
    try:
        return list(_objects(list(yaml.safe_load_all(text)), source))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(source, f"not valid YAML or JSON{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(source, f"not valid YAML or JSON: {exc}") from None


def _objects(values: list[Any], source: str) -> Iterator[Document]:
    for number, value in enumerate(values, start=1):
        if value is None:
            continue
        if isinstance(value, list):
            items = value
        elif isinstance(value, dict) and value.get("kind") == "List":
            items = value.get("items") or []
        else:
            items = [value]
        for item in items:
            if not isinstance(item, dict):
                raise InputError(source, "must be a Kubernetes object (a mapping)", document=number)
            yield Document(source, number, item)


def load_documents(path: str) -> list[Document]:
    """Read and parse one file; unreadable files are input errors, not tracebacks."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    return parse_documents(text, path)
