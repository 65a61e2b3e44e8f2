"""The phrase list is data: every entry is tested by the examples it carries.

Each entry has sentences that must be flagged (with that entry's id) and near-misses that must
not be flagged at all. Adding a phrase means adding its examples; the tests below pick them up.
"""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from sightline.core.errors import ValidationError
from sightline.language.checker import LANGUAGE_LIST_VERSION, check_text
from sightline.language.phrases import (
    Example,
    Phrase,
    PhraseListError,
    _parse,
    available_versions,
    phrase_list,
)

# A published list never changes: flags recorded under it must stay explainable. To change
# the list, copy it to phrases-v<N+1>.json, change the copy, raise LANGUAGE_LIST_VERSION, and
# add the new file's hash here when it is released.
PUBLISHED = {
    "1": "3bc57db75b506e90f4909522088d682a344bfd54227be817e081c4eb7f08bdea",
}


def _raw(version: str) -> bytes:
    path = resources.files("sightline.language") / "data" / f"phrases-v{version}.json"
    return path.read_bytes()


def _cases(kind: str) -> list[Any]:
    cases = []
    for version in available_versions():
        for phrase in phrase_list(version).phrases:
            for n, example in enumerate(getattr(phrase, kind), start=1):
                cases.append(
                    pytest.param(version, phrase, example, id=f"v{version}-{phrase.id}-{n}")
                )
    return cases


@pytest.mark.parametrize(("version", "phrase", "example"), _cases("flagged"))
def test_flagged_example(version: str, phrase: Phrase, example: Example):
    flags = check_text(example.text, list_version=version, child_age=example.child_age)
    mine = [f for f in flags if f.phrase_id == phrase.id]
    assert mine, f"{phrase.id} did not flag {example.text!r}; flags: {flags}"
    for flag in mine:
        assert example.text[flag.start : flag.end] == flag.matched_text
        assert flag.list_version == version
    if example.suggestion is not None:
        assert mine[0].suggestion == example.suggestion


@pytest.mark.parametrize(("version", "phrase", "example"), _cases("not_flagged"))
def test_near_miss_is_not_flagged(version: str, phrase: Phrase, example: Example):
    flags = check_text(example.text, list_version=version, child_age=example.child_age)
    assert flags == [], f"{example.text!r} (near-miss for {phrase.id}) was flagged: {flags}"


def test_the_default_list_is_the_newest():
    assert available_versions()[-1] == LANGUAGE_LIST_VERSION


@pytest.mark.parametrize("version", available_versions())
def test_published_lists_are_never_edited(version: str):
    assert version in PUBLISHED, (
        f"phrases-v{version}.json is not in PUBLISHED: add its sha256 when it is released."
    )
    assert hashlib.sha256(_raw(version)).hexdigest() == PUBLISHED[version], (
        f"phrases-v{version}.json has changed since it was published. Flags recorded under "
        f"version {version} must stay explainable: put the change in a new version instead "
        "(see docs/language.md)."
    )


def test_every_phrase_in_the_brief_is_in_the_list():
    """BRIEF.md section 3, "Appropriate language", and the issue that asked for the list."""
    ids = {p.id for p in phrase_list(LANGUAGE_LIST_VERSION).phrases}
    assert {
        "child-prostitute",
        "child-prostitution",
        "putting-themselves-at-risk",
        "involved-in-exploitation",
        "relationship-with-older-person",
        "associating-with",
        "recruited",
        "working-county-lines",
        "sexually-active",
        "child-pornography",
        "money-mule",
        "plugging",
        "slave",
        "making-a-choice",
        "consensual-under-16",
        "promiscuous",
        "streetwise",
        "risk-taking-behaviour",
        "lifestyle-choice",
        "absconded",
        "runaway",
    } <= ids


def test_brief_examples_get_the_briefs_suggestions():
    def suggestion(text: str, **kwargs: Any) -> str:
        (flag,) = check_text(text, **kwargs)
        return flag.suggestion

    assert "victim of child sexual exploitation" in suggestion("a child prostitute")
    assert "may have been groomed" in suggestion("putting themselves at risk")
    assert "victim of sexual exploitation" in suggestion("involved in CSE")
    assert "victim of criminal exploitation" in suggestion("involved in CCE")
    assert "exploited, coerced or controlled by" in suggestion(
        "in a relationship with a 30-year-old"
    )
    assert "groomed" in suggestion("recruited by a gang")
    assert "criminally exploited" in suggestion("working county lines")
    assert suggestion("sexually active", child_age=12) == "raped"
    assert "child sexual abuse material" in suggestion("child pornography")
    assert "missing" in suggestion("absconded")


@pytest.mark.parametrize("version", available_versions())
def test_every_entry_is_complete(version: str):
    phrases = phrase_list(version)
    assert phrases.sources and phrases.date and phrases.title
    for phrase in phrases.phrases:
        assert phrase.suggestion and phrase.reason and phrase.label
        assert phrase.reason.endswith("."), phrase.id
        assert phrase.flagged and phrase.not_flagged
        assert phrase.sources


def test_an_unknown_version_is_refused():
    with pytest.raises(ValidationError) as exc:
        phrase_list("99")
    assert exc.value.field == "list_version"
    assert (
        str(exc.value) == "list_version: There is no phrase list version 99. The versions are: 1."
    )


# --- The loader refuses a malformed list, naming the entry ------------------------------------


def _valid() -> dict[str, Any]:
    return json.loads(_raw("1"))


def _broken(change: Any) -> str:
    raw = copy.deepcopy(_valid())
    change(raw, raw["phrases"][0])
    with pytest.raises(PhraseListError) as exc:
        _parse(raw, name="phrases-v1.json", version="1")
    return str(exc.value)


def test_the_shipped_list_parses():
    assert len(_parse(_valid(), name="phrases-v1.json", version="1").phrases) >= 30


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw, p: raw.update(version="2"), "the file says version '2'"),
        (lambda raw, p: raw["phrases"].append(dict(p)), "appears twice"),
        (lambda raw, p: p.update(id="Bad Id"), "an id is lower-case words"),
        (lambda raw, p: p.update(suggestion=" "), "suggestion is empty"),
        (lambda raw, p: p.update(patterns=[]), "has no patterns"),
        (lambda raw, p: p.update(patterns=["(unclosed"]), "not a valid regular expression"),
        (lambda raw, p: p.update(patterns=["Capital"]), "write patterns in lower case"),
        (lambda raw, p: p.update(flagged=[]), "at least one flagged and one not_flagged"),
        (lambda raw, p: p.update(sources=["nowhere"]), "sources must name sources"),
        (lambda raw, p: p.update(context=["older-or-adult"]), "a context applies only"),
        (lambda raw, p: p.update(context_patterns=["x"]), "need a context"),
        (lambda raw, p: p.update(context_patterns=["x"], context=["nope"]), "unknown contexts"),
        (lambda raw, p: p.update(sugestion="typo"), "unknown keys ['sugestion']"),
        (
            lambda raw, p: p.update(
                by_child_age=[{"under": 16, "suggestion": "a"}, {"under": 13, "suggestion": "b"}]
            ),
            "from the youngest age up",
        ),
    ],
)
def test_a_malformed_list_is_refused(change: Any, message: str):
    error = _broken(change)
    assert error.startswith("phrases-v1.json: ")
    assert message in error


def test_the_documentation_lists_every_phrase():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "language.md").read_text()
    missing = [
        p.id for p in phrase_list(LANGUAGE_LIST_VERSION).phrases if f"| `{p.id}` |" not in docs
    ]
    assert missing == [], f"add these phrases to the table in docs/language.md: {missing}"
