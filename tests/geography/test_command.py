"""``sightline geography`` (the ``geography`` management command), through the front door."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError


def run(*args: str) -> str:
    out = StringIO()
    call_command("geography", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_postcode_json():
    result = json.loads(run("postcode", "sk4 2ab", "--json"))
    assert result == {
        "postcode": "SK4 2AB",
        "district": {"code": "E08000007", "name": "Stockport"},
        "council": {"name": "Stockport", "ons_code": "E08000007", "dfe_code": "356"},
        "police_force": {"name": "Greater Manchester", "code": "E23000005"},
        "easting": 387598,
        "northing": 390731,
        "in_england_or_wales": True,
    }


@pytest.mark.django_db
def test_postcode_json_outside_england_and_wales():
    result = json.loads(run("postcode", "EH1 1YZ", "--json"))
    assert result["district"] == {"code": "S12000036", "name": None}
    assert result["council"] is None and result["police_force"] is None
    assert result["in_england_or_wales"] is False


@pytest.mark.django_db
def test_postcode_text():
    lines = run("postcode", "SK4 2AB").splitlines()
    assert lines == [
        "Postcode      SK4 2AB",
        "District      Stockport (E08000007)",
        "Council       Stockport (E08000007, 356)",
        "Police force  Greater Manchester (E23000005)",
        "Easting       387598",
        "Northing      390731",
    ]


@pytest.mark.django_db
def test_distance_json_and_text():
    assert json.loads(run("distance", "SK4 2AB", "SW1A 1AA", "--json")) == {
        "from": "SK4 2AB",
        "to": "SW1A 1AA",
        "miles": 157.9,
        "km": 254.1,
    }
    assert run("distance", "sk42ab", "sw1a1aa") == (
        "SK4 2AB to SW1A 1AA: 254.1 km (157.9 miles) in a straight line\n"
    )


@pytest.mark.django_db
def test_load_reports_counts():
    assert run("load") == (
        "Loaded 43 police forces (0 new), 182 councils (0 new), 318 districts (0 new).\n"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["postcode", "XYZ"], 'Enter a real postcode, like SK4 2AB. "XYZ" is not a postcode.'),
        (
            ["postcode", "ZZ9 9ZZ", "--json"],
            'We cannot find the postcode "ZZ9 9ZZ" in the ONS Postcode Directory '
            "(November 2025). Check it and try again.",
        ),
        (["distance", "SK4 2AB", "nonsense"], '"nonsense" is not a postcode.'),
    ],
)
def test_bad_postcodes_raise_command_error_with_status_2(args, message):
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert message in str(caught.value)
    assert caught.value.returncode == 2


def test_bad_postcode_on_the_command_line_goes_to_stderr_with_status_2(capsys):
    with pytest.raises(SystemExit) as caught:
        execute_from_command_line(["manage.py", "geography", "postcode", "XYZ"])
    assert caught.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert 'Enter a real postcode, like SK4 2AB. "XYZ" is not a postcode.' in captured.err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "{postcode,distance,load,basemap}"),
        (["postcode"], "usage: manage.py geography postcode [-h] [--json] postcode"),
        (["distance"], "usage: manage.py geography distance [-h] [--json] FROM TO"),
        (["load"], "usage: manage.py geography load [-h]"),
    ],
)
def test_help_works_at_every_level(capsys, args, expected):
    with pytest.raises(SystemExit) as caught:
        execute_from_command_line(["manage.py", "geography", *args, "--help"])
    assert caught.value.code == 0
    assert expected in capsys.readouterr().out


@pytest.mark.parametrize("args", [[], ["distance", "SK4 2AB"], ["postcode"]])
def test_missing_arguments_are_usage_errors(capsys, args):
    with pytest.raises(SystemExit) as caught:
        execute_from_command_line(["manage.py", "geography", *args])
    assert caught.value.code == 2
    assert "the following arguments are required" in capsys.readouterr().err
