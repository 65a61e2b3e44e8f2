"""The appropriate-language phrase lists: versioned data files, read and compiled once.

Each list is a JSON file in ``data/`` named ``phrases-v<N>.json``. A published list is never
edited: a change makes a new version, so that a flag recorded under version 1 can always be
explained by the list that raised it (see ``docs/language.md``).

Patterns are regular expressions written for people to read. Two conveniences apply:

- a space matches any run of whitespace, including a line break (``" ?"`` makes it
  optional); a space inside ``[...]`` is a plain space;
- every pattern is matched as whole words and without regard to case (write it in lower
  case: the text is lower-cased before it is checked).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sightline.core.errors import ValidationError

_PACKAGE = "sightline.language"
_FILE_NAME = re.compile(r"^phrases-v(?P<version>[1-9][0-9]*)\.json$")
_PHRASE_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_PHRASE_KEYS = {
    "id",
    "label",
    "patterns",
    "context_patterns",
    "context",
    "flag_when_child_under",
    "suggestion",
    "reason",
    "by_child_age",
    "note",
    "sources",
    "flagged",
    "not_flagged",
}


class PhraseListError(ValueError):
    """A shipped phrase list is malformed. The message names the file and the entry."""


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    year: int
    url: str


@dataclass(frozen=True)
class AgeRule:
    """Advice for a child younger than ``under``, when the child's age is known."""

    under: int
    suggestion: str
    reason: str


@dataclass(frozen=True)
class Example:
    """A sentence in the list that shows what is (or is not) flagged; the tests run them all."""

    text: str
    child_age: int | None = None
    suggestion: str | None = None


@dataclass(frozen=True)
class Phrase:
    id: str
    label: str
    # Flagged wherever they occur.
    patterns: tuple[re.Pattern[str], ...]
    # Flagged only when `context` matches in the same sentence, or the child is younger than
    # `flag_when_child_under`.
    context_patterns: tuple[re.Pattern[str], ...]
    context: re.Pattern[str] | None
    context_names: tuple[str, ...]
    flag_when_child_under: int | None
    suggestion: str
    reason: str
    by_child_age: tuple[AgeRule, ...]
    note: str
    sources: tuple[str, ...]
    flagged: tuple[Example, ...]
    not_flagged: tuple[Example, ...]
    pattern_texts: tuple[str, ...]
    context_pattern_texts: tuple[str, ...]

    def advice(self, child_age: int | None) -> tuple[str, str]:
        """The suggestion and reason to show, which may depend on the child's age."""
        if child_age is not None:
            for rule in self.by_child_age:
                if child_age < rule.under:
                    return rule.suggestion, rule.reason
        return self.suggestion, self.reason

    def context_waived(self, child_age: int | None) -> bool:
        return (
            child_age is not None
            and self.flag_when_child_under is not None
            and child_age < self.flag_when_child_under
        )


@dataclass(frozen=True)
class PhraseList:
    version: str
    date: str
    title: str
    sources: tuple[Source, ...]
    phrases: tuple[Phrase, ...]

    def phrase(self, phrase_id: str) -> Phrase | None:
        return next((p for p in self.phrases if p.id == phrase_id), None)


@functools.cache
def available_versions() -> tuple[str, ...]:
    """Every shipped list version, oldest first."""
    names = (entry.name for entry in (resources.files(_PACKAGE) / "data").iterdir())
    versions = [m["version"] for m in map(_FILE_NAME.match, names) if m]
    return tuple(sorted(versions, key=int))


def phrase_list(version: str) -> PhraseList:
    """The list with this version, read and compiled on first use."""
    if version not in available_versions():
        known = ", ".join(available_versions())
        raise ValidationError(
            f"There is no phrase list version {version}. The versions are: {known}.",
            field="list_version",
        )
    return _load(version)


def compile_pattern(text: str) -> re.Pattern[str]:
    """A list pattern as a regular expression, to run over lower-cased text.

    The pattern ends at the end of a word; the caller checks that it starts at the start of
    one (``checker.word_matches``). A leading look-behind, or ignoring case, would stop the
    regular expression engine from skipping quickly to the possible first letters, and make
    the check ten times slower.
    """
    return re.compile(rf"(?:{_whitespace_tolerant(text)})(?!\w)")


def compile_context(patterns: list[str]) -> re.Pattern[str]:
    """Context patterns as one regular expression of whole words, over lower-cased text."""
    either = "|".join(f"(?:{_whitespace_tolerant(p)})" for p in patterns)
    return re.compile(rf"(?<!\w)(?:{either})(?!\w)")


def _whitespace_tolerant(text: str) -> str:
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(text):
        char = text[i]
        if char == "\\":
            out.append(text[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == " ":
            while i < len(text) and text[i] == " ":
                i += 1
            quantifier = text[i] if i < len(text) else ""
            if quantifier in {"?", "*"}:
                out.append(r"\s*")
                i += 1
            else:
                out.append(r"\s+")
                if quantifier == "+":
                    i += 1
            continue
        out.append(char)
        i += 1
    return "".join(out)


@functools.cache
def _load(version: str) -> PhraseList:
    name = f"phrases-v{version}.json"
    raw = json.loads((resources.files(_PACKAGE) / "data" / name).read_text(encoding="utf-8"))
    return _parse(raw, name=name, version=version)


def _parse(raw: Mapping[str, Any], *, name: str, version: str) -> PhraseList:
    def fail(message: str) -> PhraseListError:
        return PhraseListError(f"{name}: {message}")

    if raw.get("version") != version:
        raise fail(f"the file says version {raw.get('version')!r}; its name says {version!r}.")
    sources = tuple(Source(**source) for source in raw.get("sources", []))
    source_ids = {s.id for s in sources}
    if not sources:
        raise fail("the list names no sources.")

    contexts: dict[str, list[str]] = {}
    for context_name, patterns in raw.get("contexts", {}).items():
        if not patterns:
            raise fail(f"context {context_name!r} has no patterns.")
        if upper := [p for p in patterns if _has_capitals(p)]:
            raise fail(f"context {context_name!r}: write patterns in lower case: {upper}.")
        contexts[context_name] = list(patterns)

    phrases: list[Phrase] = []
    seen: set[str] = set()
    for entry in raw.get("phrases", []):
        phrase_id = entry.get("id", "")
        where = f"phrase {phrase_id!r}"
        if not _PHRASE_ID.match(phrase_id):
            raise fail(f"{where}: an id is lower-case words joined by hyphens.")
        if phrase_id in seen:
            raise fail(f"{where} appears twice.")
        seen.add(phrase_id)
        unknown = set(entry) - _PHRASE_KEYS
        if unknown:
            raise fail(f"{where}: unknown keys {sorted(unknown)}.")
        for key in ("label", "suggestion", "reason"):
            if not str(entry.get(key, "")).strip():
                raise fail(f"{where}: {key} is empty.")
        patterns = tuple(entry.get("patterns", []))
        context_patterns = tuple(entry.get("context_patterns", []))
        context_names = tuple(entry.get("context", []))
        under = entry.get("flag_when_child_under")
        if not patterns and not context_patterns:
            raise fail(f"{where} has no patterns.")
        if context_patterns and not (context_names or under):
            raise fail(f"{where}: context_patterns need a context or flag_when_child_under.")
        if (context_names or under) and not context_patterns:
            raise fail(f"{where}: a context applies only to context_patterns.")
        if upper := [p for p in (*patterns, *context_patterns) if _has_capitals(p)]:
            raise fail(f"{where}: write patterns in lower case: {upper}.")
        if missing := [c for c in context_names if c not in contexts]:
            raise fail(f"{where}: unknown contexts {missing}.")
        if not entry.get("sources") or set(entry["sources"]) - source_ids:
            raise fail(f"{where}: sources must name sources of the list.")
        rules = tuple(
            AgeRule(
                under=int(r["under"]),
                suggestion=r["suggestion"],
                reason=r.get("reason", entry["reason"]),
            )
            for r in entry.get("by_child_age", [])
        )
        if [r.under for r in rules] != sorted(r.under for r in rules):
            raise fail(f"{where}: by_child_age rules go from the youngest age up.")
        flagged = tuple(_example(e) for e in entry.get("flagged", []))
        not_flagged = tuple(_example(e) for e in entry.get("not_flagged", []))
        if not flagged or not not_flagged:
            raise fail(f"{where} needs at least one flagged and one not_flagged example.")
        try:
            compiled = tuple(compile_pattern(p) for p in patterns)
            compiled_context = tuple(compile_pattern(p) for p in context_patterns)
            context = (
                compile_context([p for c in context_names for p in contexts[c]])
                if context_names
                else None
            )
        except re.error as exc:
            raise fail(f"{where}: a pattern is not a valid regular expression ({exc}).") from exc
        phrases.append(
            Phrase(
                id=phrase_id,
                label=entry["label"],
                patterns=compiled,
                context_patterns=compiled_context,
                context=context,
                context_names=context_names,
                flag_when_child_under=under,
                suggestion=entry["suggestion"],
                reason=entry["reason"],
                by_child_age=rules,
                note=entry.get("note", ""),
                sources=tuple(entry["sources"]),
                flagged=flagged,
                not_flagged=not_flagged,
                pattern_texts=patterns,
                context_pattern_texts=context_patterns,
            )
        )
    if not phrases:
        raise fail("the list has no phrases.")
    return PhraseList(
        version=version,
        date=raw["date"],
        title=raw["title"],
        sources=sources,
        phrases=tuple(phrases),
    )


def _has_capitals(pattern: str) -> bool:
    """Capitals outside escapes (``\\S`` and ``\\W`` are escapes, not capitals)."""
    unescaped = re.sub(r"\\.", "", pattern)
    return unescaped != unescaped.lower()


def _example(raw: str | Mapping[str, Any]) -> Example:
    if isinstance(raw, str):
        return Example(text=raw)
    return Example(
        text=raw["text"], child_age=raw.get("child_age"), suggestion=raw.get("suggestion")
    )
