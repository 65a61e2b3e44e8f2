"""``sightline language``: check text against the appropriate-language phrase list, or list it.

``check`` exits with status 1 when anything is flagged and 0 when nothing is, like a linter,
so that it can run over exported records in a script.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import json
import re
import sys
import textwrap
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sightline.core.errors import ValidationError
from sightline.language.checker import LANGUAGE_LIST_VERSION, Flag, check_text
from sightline.language.phrases import PhraseList, phrase_list

# Bad input exits with 2, as argparse does for a bad command line.
USAGE_ERROR = 2
FLAGGED = 1
STDIN = "-"


class Command(BaseCommand):
    help = "Check text against the appropriate-language phrase list, or list the phrases."
    requires_system_checks: list[str] = []
    # call_command("language", "check", "-", stdin=...) reads from the stream given.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{check,list}"
        )
        check = subcommands.add_parser(
            "check",
            help="Show each flagged phrase in a text file with a suggested alternative.",
            description="Show each phrase in FILE that the appropriate-language list flags, "
            "with its line and column and a suggested alternative. Exits with status 1 if "
            "anything is flagged, 0 if nothing is.",
        )
        check.add_argument("file", metavar="FILE", help='A UTF-8 text file, or "-" for stdin.')
        check.add_argument("--json", action="store_true", help="Print JSON instead of text.")
        check.add_argument(
            "--list-version",
            default=LANGUAGE_LIST_VERSION,
            help=f"The phrase list version to use (default {LANGUAGE_LIST_VERSION}).",
        )
        check.add_argument(
            "--child-age",
            type=int,
            default=None,
            help="The child's age in years, if the text is about one child: some advice "
            "depends on it.",
        )
        phrases = subcommands.add_parser(
            "list",
            help="Print the phrase list with its version, suggestions and reasons.",
            description="Print every phrase the checker flags, with the suggested "
            "alternative, the reason and the sources of the list.",
        )
        phrases.add_argument("--json", action="store_true", help="Print JSON instead of text.")
        phrases.add_argument(
            "--list-version",
            default=LANGUAGE_LIST_VERSION,
            help=f"The phrase list version to print (default {LANGUAGE_LIST_VERSION}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            match options["subcommand"]:
                case "check":
                    flagged = self._check(
                        options["file"],
                        stdin=options.get("stdin") or sys.stdin,
                        list_version=options["list_version"],
                        child_age=options["child_age"],
                        as_json=options["json"],
                    )
                    if flagged:
                        raise SystemExit(FLAGGED)
                case "list":
                    self._list(phrase_list(options["list_version"]), as_json=options["json"])
        except ValidationError as exc:
            raise CommandError(exc.message, returncode=USAGE_ERROR) from exc

    def _check(
        self,
        file: str,
        *,
        stdin: IO[str],
        list_version: str,
        child_age: int | None,
        as_json: bool,
    ) -> int:
        name = "stdin" if file == STDIN else file
        text = _read(file, stdin=stdin)
        flags = check_text(text, list_version=list_version, child_age=child_age)
        places = _Places(text)
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "file": name,
                        "list_version": list_version,
                        "flagged": len(flags),
                        "flags": [
                            {"line": line, "column": column, **flag._asdict()}
                            for flag in flags
                            for line, column in [places.of(flag.start)]
                        ],
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return len(flags)
        for flag in flags:
            line, column = places.of(flag.start)
            self.stdout.write(f"{name}:{line}:{column}: {_describe(flag)}")
        if flags:
            count = "1 phrase" if len(flags) == 1 else f"{len(flags)} phrases"
            self.stdout.write(f"{count} flagged in {name} (phrase list version {list_version}).")
        else:
            self.stdout.write(f"Nothing flagged in {name} (phrase list version {list_version}).")
        return len(flags)

    def _list(self, phrases: PhraseList, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(_list_json(phrases), ensure_ascii=False, indent=2))
            return
        date = dt.date.fromisoformat(phrases.date)
        self.stdout.write(
            f"{phrases.title}, version {phrases.version} of {date.day} {date:%B %Y}: "
            f"{len(phrases.phrases)} phrases."
        )
        for phrase in phrases.phrases:
            self.stdout.write("")
            self.stdout.write(phrase.id)
            rows = [("Flags", phrase.label), ("Suggestion", phrase.suggestion)]
            rows += [
                (f"Under {rule.under}", rule.suggestion)
                for rule in phrase.by_child_age
                if rule.suggestion != phrase.suggestion
            ]
            rows += [("Why", phrase.reason), ("Note", phrase.note)]
            for label, value in rows:
                if value:
                    self.stdout.write(_wrapped(f"{label}:", value))
        self.stdout.write("")
        self.stdout.write("Sources:")
        for source in phrases.sources:
            self.stdout.write(
                _wrapped(
                    f"{source.id}",
                    f"{source.publisher} ({source.year}). {source.title}. {source.url}",
                    width=16,
                )
            )


def _read(file: str, *, stdin: IO[str]) -> str:
    if file == STDIN:
        return stdin.read()
    path = Path(file)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise CommandError(f"There is no file {file}.", returncode=USAGE_ERROR) from exc
    except IsADirectoryError as exc:
        raise CommandError(f"{file} is a folder, not a file.", returncode=USAGE_ERROR) from exc
    except UnicodeDecodeError as exc:
        raise CommandError(
            f"{file} is not UTF-8 text. Save it as UTF-8 and try again.", returncode=USAGE_ERROR
        ) from exc
    except OSError as exc:
        raise CommandError(f"Cannot read {file}: {exc.strerror}.", returncode=USAGE_ERROR) from exc


class _Places:
    """Line and column (both from 1) of an offset in the text."""

    def __init__(self, text: str) -> None:
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def of(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1


def _describe(flag: Flag) -> str:
    matched = " ".join(flag.matched_text.split())
    return f'"{matched}": consider "{flag.suggestion}" ({flag.phrase_id})'


def _wrapped(label: str, value: str, *, width: int = 14) -> str:
    return textwrap.fill(
        value,
        width=100,
        initial_indent=f"  {label.ljust(width - 2)}",
        subsequent_indent=" " * width,
        break_on_hyphens=False,
    )


def _list_json(phrases: PhraseList) -> dict[str, Any]:
    return {
        "version": phrases.version,
        "date": phrases.date,
        "title": phrases.title,
        "sources": [dataclasses.asdict(source) for source in phrases.sources],
        "phrases": [
            {
                "id": p.id,
                "label": p.label,
                "suggestion": p.suggestion,
                "reason": p.reason,
                "by_child_age": [dataclasses.asdict(rule) for rule in p.by_child_age],
                "note": p.note,
                "patterns": list(p.pattern_texts),
                "context_patterns": list(p.context_pattern_texts),
                "context": list(p.context_names),
                "flag_when_child_under": p.flag_when_child_under,
                "sources": list(p.sources),
            }
            for p in phrases.phrases
        ],
    }
