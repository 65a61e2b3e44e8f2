"""Check free text against the appropriate-language phrase list.

``check_text`` is pure: it reads nothing but the shipped list and writes nothing. It finds
wording that blames children for their own exploitation ("putting herself at risk", "child
prostitute") and returns, for each, a suggested alternative and the reason. Nothing is ever
changed or refused here: the person recording reads the suggestions and chooses their words.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import Final, NamedTuple

from sightline.core.errors import ValidationError
from sightline.language.phrases import Phrase, phrase_list

# The list used when none is named. Raise it when a new phrases-v<N>.json is added.
LANGUAGE_LIST_VERSION: Final = "1"

# Context rules look within one sentence: up to a full stop, question or exclamation mark
# followed by a space, or a blank line. A single line break does not end a sentence, so that
# wrapped text reads as written.
_WORD_CHARACTER = re.compile(r"\w")
_SENTENCE_BREAK = re.compile(r"[.!?](?=\s|$)|\n[ \t\r\f\v]*\n")


class Flag(NamedTuple):
    phrase_id: str
    matched_text: str
    start: int
    end: int
    suggestion: str
    reason: str
    list_version: str


def check_text(
    text: str, *, list_version: str | None = None, child_age: int | None = None
) -> list[Flag]:
    """Every flagged phrase in ``text``, in order, none overlapping another.

    ``start`` and ``end`` are offsets into ``text``, as for slicing. ``child_age``, when
    known, selects age-specific advice ("raped" for a child under 13) and flags phrases that
    are victim-blaming only about younger children ("consensual" under 16).
    """
    if child_age is not None and child_age < 0:
        raise ValidationError("The child's age must be 0 or more.", field="child_age")
    phrases = phrase_list(list_version or LANGUAGE_LIST_VERSION)
    if not text:
        return []
    lowered = _lower(text)
    sentences = _Sentences(lowered)
    found: list[tuple[int, int, int, Phrase]] = []
    for order, phrase in enumerate(phrases.phrases):
        for pattern in phrase.patterns:
            found += [(start, end, order, phrase) for start, end in word_matches(pattern, lowered)]
        if not phrase.context_patterns:
            continue
        waived = phrase.context_waived(child_age)
        for pattern in phrase.context_patterns:
            found += [
                (start, end, order, phrase)
                for start, end in word_matches(pattern, lowered)
                if waived or sentences.mentions(phrase.context, start, end)
            ]
    # Earliest first; where two overlap, the longer wins, then the one earlier in the list.
    found.sort(key=lambda item: (item[0], -item[1], item[2]))
    flags: list[Flag] = []
    covered_to = -1
    for start, end, _, phrase in found:
        if start < covered_to:
            continue
        suggestion, reason = phrase.advice(child_age)
        flags.append(
            Flag(
                phrase_id=phrase.id,
                matched_text=text[start:end],
                start=start,
                end=end,
                suggestion=suggestion,
                reason=reason,
                list_version=phrases.version,
            )
        )
        covered_to = end
    return flags


def word_matches(pattern: re.Pattern[str], text: str) -> Iterator[tuple[int, int]]:
    """Where ``pattern`` matches starting at the start of a word (it checks the end itself)."""
    pos = 0
    while (match := pattern.search(text, pos)) is not None:
        start, end = match.span()
        if start and _WORD_CHARACTER.match(text, start - 1):
            # Inside a word ("input himself"): look again from the next character, so that a
            # match starting at a later word is not skipped.
            pos = start + 1
            continue
        yield start, end
        pos = max(end, start + 1)


def _lower(text: str) -> str:
    """Lower-case with every offset kept (a few characters grow when lower-cased)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


class _Sentences:
    """Finds the sentence around a match, computing the sentence breaks once, if needed."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None = None
        self._ends: list[int] = []

    def mentions(self, context: re.Pattern[str] | None, start: int, end: int) -> bool:
        if context is None:
            return False
        if self._starts is None:
            breaks = list(_SENTENCE_BREAK.finditer(self.text))
            self._starts = [b.start() for b in breaks]
            self._ends = [b.end() for b in breaks]
        before = bisect.bisect_right(self._ends, start)
        sentence_start = self._ends[before - 1] if before else 0
        after = bisect.bisect_left(self._starts, end)
        sentence_end = self._starts[after] if after < len(self._starts) else len(self.text)
        return context.search(self.text, sentence_start, sentence_end) is not None
