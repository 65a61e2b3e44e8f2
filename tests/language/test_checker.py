"""``check_text``: what it flags, where, and what it leaves alone."""

from __future__ import annotations

import pytest

from sightline.core.errors import ValidationError
from sightline.language.checker import LANGUAGE_LIST_VERSION, Flag, check_text


def ids(text: str, **kwargs: object) -> list[str]:
    return [f.phrase_id for f in check_text(text, **kwargs)]  # type: ignore[arg-type]


def test_a_flag_says_what_where_and_what_instead():
    text = "Staff say she keeps putting herself at risk."
    (flag,) = check_text(text)
    assert isinstance(flag, Flag)
    assert flag.phrase_id == "putting-themselves-at-risk"
    assert flag.matched_text == "putting herself at risk"
    assert text[flag.start : flag.end] == flag.matched_text
    assert flag.suggestion == "may have been groomed, or is at risk of being exploited"
    assert flag.reason.startswith("It suggests the child is responsible")
    assert flag.list_version == LANGUAGE_LIST_VERSION
    # A flag is a plain tuple, so it can be stored, compared and unpacked.
    assert tuple(flag)[:4] == ("putting-themselves-at-risk", "putting herself at risk", 20, 43)


def test_flags_come_in_order_of_the_text():
    text = "He absconded. She is a child prostitute. They were placing themselves at risk."
    assert ids(text) == ["absconded", "child-prostitute", "putting-themselves-at-risk"]


@pytest.mark.parametrize(
    "text",
    [
        "SHE IS A CHILD PROSTITUTE",
        "she is a Child Prostitute",
        "she is a child\nprostitute",
        "she is a child  \t prostitute",
    ],
)
def test_any_case_and_any_whitespace(text: str):
    assert ids(text) == ["child-prostitute"]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("put himself at risk", "putting-themselves-at-risk"),
        ("puts herself at risk", "putting-themselves-at-risk"),
        ("putting themselves at risk", "putting-themselves-at-risk"),
        ("placed herself in danger", "putting-themselves-at-risk"),
        ("making a choice", "making-a-choice"),
        ("made a choice", "making-a-choice"),
        ("making choices", "making-a-choice"),
        ("makes poor choices", "making-a-choice"),
        ("child prostitutes", "child-prostitute"),
        ("child prostitution", "child-prostitution"),
        ("involved in CSE", "involved-in-exploitation"),
        ("involved in CCE", "involved-in-exploitation"),
        ("involved in child criminal exploitation", "involved-in-exploitation"),
        ("money mules", "money-mule"),
        ("money-mule", "money-mule"),
        ("slaves", "slave"),
        ("absconders", "absconded"),
        ("absconding", "absconded"),
        ("run-away", "runaway"),
        ("runaways", "runaway"),
        ("risk taking", "risk-taking-behaviour"),
        ("risk-taking behaviours", "risk-taking-behaviour"),
        ("lifestyle choices", "lifestyle-choice"),
        ("street-wise", "streetwise"),
        ("promiscuity", "promiscuous"),
    ],
)
def test_inflections(text: str, phrase: str):
    assert ids(f"Staff wrote: {text}.") == [phrase]


# Ordinary words that the context rules exist for. Each must come back clean.
@pytest.mark.parametrize(
    "text",
    [
        "She is working on her homework.",
        "He went to work experience at the garage.",
        "He is working at the café on Saturdays.",
        "Staff are working in line with the care plan.",
        "Her line manager is working late.",
        "The worker recruited a new foster carer.",
        "The council is recruiting more foster carers.",
        "She is in a relationship with a boy from school.",
        "She has a good relationship with her key worker.",
        "He is associating with a new group of friends at college.",
        "The risks associated with gang activity were discussed.",
        "She spends time with her grandmother at weekends.",
        "He plugged his phone in to charge.",
        "He plugged the gap in his CV with volunteering.",
        "A referral was made under the Modern Slavery Act 2015.",
        "The risk assessment was updated.",
        "She went to the sexual health clinic with her carer.",
        "Contact with adults is supervised.",
        "He agreed to the plan for contact with his mother.",
        "She consented to the medical examination.",
        "A consensual approach to the meeting was agreed.",
        "He ran to catch the bus.",
        "Police are involved in the strategy meeting about CSE.",
        "Police were involved in CSE strategy meetings.",
        "The police sent a photo of her to other forces.",
        "She was given a choice of two colleges.",
        "The team made a decision to refer.",
        "The child is a victim of criminal exploitation.",
        "Older men have been contacting her on Snapchat.",
    ],
)
def test_ordinary_wording_is_not_flagged(text: str):
    assert check_text(text) == []


def test_context_must_be_in_the_same_sentence():
    # The older person is named in the next sentence: the relationship is not flagged.
    assert ids("She is in a relationship with Sam. Sam's older sister came too.") == []
    assert ids("She is in a relationship with Sam, who is older.") == [
        "relationship-with-older-person"
    ]
    # A single line break does not end a sentence (text wraps); a blank line does.
    assert ids("He was recruited\nby a gang.") == ["recruited"]
    assert ids("He was recruited to the football team\n\nThe gang was not mentioned.") == []


@pytest.mark.parametrize(
    "text",
    [
        "She is in a relationship with a 19-year-old.",
        "She is in a relationship with a man aged 25.",
        "She is in a relationship with an adult she met online.",
        "She is in a relationship with a man in his thirties.",
        "She is in a relationship with a gang member.",
        "He is in a relationship with a known offender.",
    ],
)
def test_relationship_is_flagged_with_an_older_person_or_a_gang(text: str):
    assert ids(text) == ["relationship-with-older-person"]


def test_relationship_with_a_peer_is_not_flagged():
    assert ids("She is in a relationship with a 15-year-old.") == []


@pytest.mark.parametrize(
    "text",
    [
        "He has been working county lines.",
        "He is working a county line in Devon.",
        "He was working for a drug line.",
        "He works for dealers in the city.",
        "She was working in a trap house.",
        "He said he was working the line.",
    ],
)
def test_working_is_flagged_only_about_county_lines(text: str):
    assert ids(text) == ["working-county-lines"]


def test_sexually_active_advice_depends_on_the_childs_age():
    text = "She is sexually active."
    (unknown,) = check_text(text)
    (under_13,) = check_text(text, child_age=12)
    (older,) = check_text(text, child_age=13)
    assert "raped (if the child is under 13)" in unknown.suggestion
    assert under_13.suggestion == "raped"
    assert "Sexual Offences Act 2003, section 5" in under_13.reason
    assert older.suggestion.startswith("may have been sexually abused or exploited")


def test_consensual_is_flagged_for_a_child_under_16():
    text = "She said it was consensual."
    assert ids(text) == []
    assert ids(text, child_age=17) == []
    assert ids(text, child_age=15) == ["consensual-under-16"]
    (flag,) = check_text(text, child_age=12)
    assert flag.suggestion.startswith("rape")
    # The age may be in the sentence instead.
    assert ids("She is 14 and said it was consensual.") == ["consensual-under-16"]
    assert ids("She said it was consensual; she is under 16.") == ["consensual-under-16"]


def test_overlapping_phrases_give_one_flag():
    # "older boyfriend" is flagged outright; "boyfriend" with an older context as well.
    flags = check_text("She has an older boyfriend.")
    assert [(f.phrase_id, f.matched_text) for f in flags] == [
        ("relationship-with-older-person", "older boyfriend")
    ]


def test_a_phrase_inside_a_longer_word_is_not_flagged():
    assert check_text("The unslaved, the slavery, the enslaved.") == []
    assert check_text("Input himself at risk.") == []


def test_empty_text():
    assert check_text("") == []


def test_a_named_list_version_is_used_and_an_unknown_one_refused():
    assert check_text("He absconded.", list_version="1")[0].list_version == "1"
    with pytest.raises(ValidationError) as exc:
        check_text("He absconded.", list_version="0")
    assert exc.value.field == "list_version"


def test_a_negative_age_is_refused():
    with pytest.raises(ValidationError) as exc:
        check_text("text", child_age=-1)
    assert exc.value.field == "child_age"


def test_offsets_survive_characters_that_grow_when_lower_cased():
    # "İ" lower-cases to two characters; the offsets must still point into the original.
    text = "İİ İstanbul: she absconded."
    (flag,) = check_text(text)
    assert text[flag.start : flag.end] == "absconded"


def test_it_is_quick_on_a_large_text():
    paragraph = (
        "On return she said she had been at a flat with people she knew. Staff recorded that "
        "she was putting herself at risk and had absconded again. She is working on her "
        "homework and went to college on Monday. "
    )
    text = paragraph * 5000  # about 1 MB
    flags = check_text(text)
    assert len(flags) == 10000
    # Every flag points into the text it came from, at the right place, however long the text.
    assert {text[f.start : f.end].lower() for f in flags} == {
        "putting herself at risk",
        "absconded",
    }
