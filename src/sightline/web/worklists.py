"""The worklists of children: search, filters, sort, pages and a CSV, in GOV.UK style.

The rows come from ``selectors.worklist_children`` (the access policy's children, annotated
on the database); django-filter turns the query string into filters and an order, validated
as a form, so the page and its CSV read the same rows. The table is the GOV.UK table with
sortable column headers (links, with ``aria-sort`` on the sorted one) and the GOV.UK
pagination, as every other list of the service.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import django_filters as df
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout
from django import forms
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.table import GovUKTable

from sightline.children.models import Child
from sightline.core.calendar import LONDON
from sightline.core.views import csv_cell, long_date, miles, table_cell, tag
from sightline.missing.models import EpisodeKind
from sightline.missing.presenters import EPISODE_TAGS, duration_text
from sightline.web.selectors import ChildRow, Worklist

PER_PAGE = 25

# The children of a worklist, annotated (``selectors.worklist_children``): the type checker
# cannot see the annotations, so the filters take them untyped.
Children = QuerySet[Any]

# The risk grades of every shipped list (missing/reference.py), highest first.
RISK_CHOICES = [
    ("high", "High risk"),
    ("medium", "Medium risk"),
    ("low", "Low risk"),
    ("very_low", "Very low risk"),
    ("no_apparent", "No apparent risk"),
    ("none", "Not graded"),
]

# Sort keys (the ``sort`` query parameter; a leading "-" reverses) and the columns they order
# by. Empty values (no placement, not missing, not graded) always come last.
SORTS: dict[str, tuple[str, ...]] = {
    "name": ("last_name", "first_name"),
    "ref": ("child_ref",),
    "age": ("-date_of_birth",),
    "missing": ("missing_since",),
    "risk": ("-risk_order",),
    "tasks": ("-open_tasks",),
    "interview": ("-interview_overdue",),
    "setting": ("setting_name",),
    "distance": ("distance",),
    "placing": ("placing_council__name",),
    "start": ("placement_start",),
}
DEFAULT_SORT = "name"


def _order(column: str, reverse: bool) -> Any:
    descending = column.startswith("-") != reverse
    expression = F(column.lstrip("-"))
    return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)


def sort_order(sort: str) -> list[Any]:
    """The ORDER BY of a sort key ("risk", "-distance"), then by name and 903 id so that
    pages do not shift between requests."""
    key = sort.lstrip("-")
    columns = SORTS.get(key, SORTS[DEFAULT_SORT])
    reverse = sort.startswith("-") and key in SORTS
    return [_order(c, reverse) for c in columns] + [
        F("last_name").asc(),
        F("first_name").asc(),
        F("child_ref").asc(),
        F("pk").asc(),
    ]


class WorklistFilter(df.FilterSet):
    """The worklist's search, filters and sort. ``queryset`` is the list's children from
    ``worklist_children``; the choices of placing council and home are those in the list."""

    q = df.CharFilter(label="Name or 903 CHILD id", method="search")
    placing_council = df.ChoiceFilter(
        label="Placing council", field_name="placing_council_id", empty_label="Any council"
    )
    home = df.ChoiceFilter(label="Home", method="by_home", empty_label="Any home")
    risk = df.ChoiceFilter(
        label="Risk grade (latest episode)",
        choices=RISK_CHOICES,
        method="by_risk",
        empty_label="Any grade",
    )
    missing_now = df.BooleanFilter(
        label="Missing or away now", widget=forms.CheckboxInput, method="only_missing"
    )
    out_of_area = df.BooleanFilter(
        label="Placed outside the placing council's area",
        widget=forms.CheckboxInput,
        method="only_out_of_area",
    )
    sort = df.ChoiceFilter(
        label="Sort by",
        choices=[(k, k) for k in SORTS] + [(f"-{k}", f"-{k}") for k in SORTS],
        method="sorted_by",
    )

    class Meta:
        model = Child
        fields: list[str] = []

    def __init__(self, data: Any = None, queryset: Children | None = None, **kw: Any):
        super().__init__(data, queryset=queryset, **kw)
        assert queryset is not None
        councils = (
            queryset.order_by()
            .values_list("placing_council_id", "placing_council__name")
            .distinct()
        )
        self.filters["placing_council"].extra["choices"] = sorted(councils, key=lambda c: c[1])
        homes = (
            queryset.order_by()
            .filter(setting_id__isnull=False)
            .values_list("setting_id", "setting_name")
            .distinct()
        )
        self.filters["home"].extra["choices"] = sorted(
            # SQLite gives a subquery's UUID as hex: the choices are hyphenated UUIDs.
            ((str(uuid.UUID(str(pk))), name) for pk, name in homes),
            key=lambda h: h[1],
        )
        form = self.form
        form.fields["sort"].widget = forms.HiddenInput()
        form.helper = FormHelper()
        form.helper.form_tag = False
        form.helper.disable_csrf = True
        form.helper.layout = Layout(
            Field.text("q", field_width=20),
            Field.select("placing_council"),
            Field.select("home"),
            Field.select("risk"),
            Field.checkbox("missing_now", small=True),
            Field.checkbox("out_of_area", small=True),
            "sort",
        )

    @property
    def qs(self) -> Children:
        """The filtered children, in the sort asked for (by name when none was): a filter
        whose value is not valid (a council not in the list, say) is left out."""
        if not hasattr(self, "_qs"):
            self.form.is_valid()
            queryset = self.queryset.all()
            cleaned = getattr(self.form, "cleaned_data", {})
            for name, value in cleaned.items():
                queryset = self.filters[name].filter(queryset, value)
            if not cleaned.get("sort"):
                queryset = queryset.order_by(*sort_order(DEFAULT_SORT))
            self._qs = queryset
        return self._qs

    def search(self, queryset: Children, name: str, value: str) -> Children:
        words = " ".join(value.split())
        if not words:
            return queryset
        return queryset.annotate(
            full_name_text=Concat("first_name", Value(" "), "last_name")
        ).filter(
            Q(full_name_text__icontains=words)
            | Q(last_name__icontains=words)
            | Q(child_ref__iexact=words)
            | Q(child_ref__istartswith=words)
        )

    def by_home(self, queryset: Children, name: str, value: str) -> Children:
        return queryset.filter(setting_id=uuid.UUID(value)) if value else queryset

    def by_risk(self, queryset: Children, name: str, value: str) -> Children:
        if value == "none":
            return queryset.filter(risk_code__isnull=True)
        return queryset.filter(risk_code=value) if value else queryset

    def only_missing(self, queryset: Children, name: str, value: Any) -> Children:
        return queryset.filter(missing_since__isnull=False) if value else queryset

    def only_out_of_area(self, queryset: Children, name: str, value: Any) -> Children:
        if not value:
            return queryset
        return queryset.filter(host_council_id__isnull=False).exclude(
            host_council_id=F("placing_council_id")
        )

    def sorted_by(self, queryset: Children, name: str, value: str) -> Children:
        return queryset.order_by(*sort_order(value or DEFAULT_SORT))

    @property
    def sort_key(self) -> str:
        value = self.form.cleaned_data.get("sort") if self.form.is_valid() else None
        return value or DEFAULT_SORT

    @property
    def active(self) -> bool:
        """Whether a search or filter narrows the list (to offer "Clear filters")."""
        return any(v for k, v in self.data.items() if k in self.filters and k not in {"sort"} and v)


# --- The table ---------------------------------------------------------------------------

# Column heading, sort key (None: not sortable), numeric.
COLUMNS: list[tuple[str, str | None, bool]] = [
    ("Name", "name", False),
    ("903 CHILD id", "ref", False),
    ("Age", "age", True),
    ("Missing now", "missing", False),
    ("Risk grade", "risk", False),
    ("Open tasks", "tasks", True),
    ("Return interview", "interview", False),
    ("Current setting", "setting", False),
    ("Distance from home (miles)", "distance", True),
    ("Placing council", "placing", False),
    ("Start date", "start", False),
]


def _sort_link(request: HttpRequest, text: str, key: str, current: str) -> Any:
    """A sortable column's header: a link that sorts by it (or reverses it when it is the
    sorted column), and ``aria-sort`` on the sorted one."""
    sorted_here = current.lstrip("-") == key
    descending = current.startswith("-")
    query = request.GET.copy()
    query["sort"] = f"-{key}" if sorted_here and not descending else key
    query.pop("page", None)
    query.pop("format", None)
    attributes: dict[str, str] = {}
    if sorted_here:
        attributes["aria-sort"] = "descending" if descending else "ascending"
    else:
        attributes["aria-sort"] = "none"
    link = format_html('<a class="govuk-link app-sort" href="?{}">{}</a>', query.urlencode(), text)
    return {"html": link, "attributes": attributes}


def missing_text(row: ChildRow, now: dt.datetime) -> str:
    if row.missing_since is None:
        return ""
    word = "Missing" if row.missing_kind == EpisodeKind.MISSING else "Away"
    return f"{word} for {duration_text(now - row.missing_since).lower()}"


def _missing_cell(row: ChildRow, now: dt.datetime) -> Any:
    if row.missing_since is None:
        return table_cell("No")
    label, classes = EPISODE_TAGS[EpisodeKind(row.missing_kind or EpisodeKind.MISSING)]
    since = row.missing_since.astimezone(LONDON)
    return table_cell(
        html=format_html(
            '{} <span class="govuk-body-s">for {}<span class="govuk-visually-hidden">,'
            " since {}</span></span>",
            tag(label, classes),
            duration_text(now - row.missing_since).lower(),
            since.strftime("%-d %B %Y %H:%M"),
        )
    )


def _risk_cell(row: ChildRow) -> Any:
    if row.risk_grade is None:
        return table_cell("Not graded")
    return table_cell(
        html=tag(row.risk_grade, "govuk-tag--red" if row.risk_is_high else "govuk-tag--grey")
    )


def _interview_cell(row: ChildRow) -> Any:
    if not row.interview_overdue:
        return table_cell("")
    return table_cell(html=tag("Overdue", "govuk-tag--red"))


def _setting_cell(row: ChildRow) -> Any:
    if row.setting is None:
        return table_cell("No current placement")
    area = f"{row.host_council}, out of area" if row.out_of_area else row.host_council or ""
    return table_cell(
        html=format_html('{}<br><span class="govuk-body-s">{}</span>', row.setting, area)
    )


def worklist_table(
    request: HttpRequest, *, worklist: Worklist, rows: list[ChildRow], sort: str, now: dt.datetime
) -> GovUKTable:
    head: list[Any] = []
    for text, key, numeric in COLUMNS:
        cell = _sort_link(request, text, key, sort) if key else {"text": text}
        if numeric:
            cell["format"] = "numeric"
        head.append(cell)
    body = [
        [
            table_cell(
                html=format_html(
                    '<a class="govuk-link" href="{}">{}</a>',
                    reverse("child_detail", args=[row.child_id]),
                    row.name,
                )
            ),
            table_cell(row.child_ref),
            table_cell(row.age, numeric=True),
            _missing_cell(row, now),
            _risk_cell(row),
            table_cell(row.open_tasks, numeric=True),
            table_cell(html=tag("Overdue", "govuk-tag--red"))
            if row.interview_overdue
            else table_cell(""),
            _setting_cell(row),
            table_cell(miles(row.distance_miles) if row.setting else "", numeric=True),
            table_cell(row.placing_council),
            table_cell(long_date(row.start_date)),
        ]
        for row in rows
    ]
    return GovUKTable(
        caption=worklist.caption,
        captionClasses="govuk-table__caption--m",
        head=head,
        rows=body,
        classes="app-table--compact",
    )


# --- The CSV -----------------------------------------------------------------------------

CSV_COLUMNS = (
    "child_ref",
    "age",
    "placing_council",
    "setting",
    "host_council",
    "out_of_area",
    "distance_miles",
    "placement_start",
    "missing_now",
    "missing_since",
    "risk_grade",
    "open_tasks",
    "interview_overdue",
)


def worklist_csv(rows: Iterable[ChildRow], *, filename: str) -> HttpResponse:
    """The worklist without names or dates of birth: 903 CHILD ids, ages, places and flags,
    as the missing pages' CSVs."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        values = (
            r.child_ref,
            r.age,
            r.placing_council,
            r.setting or "",
            r.host_council or "",
            "yes" if r.out_of_area else "no",
            f"{r.distance_miles:.1f}" if r.distance_miles is not None else "",
            r.start_date.isoformat() if r.start_date else "",
            (r.missing_kind or "") if r.missing_since else "no",
            r.missing_since.astimezone(LONDON).isoformat(timespec="minutes")
            if r.missing_since
            else "",
            r.risk_grade or "",
            r.open_tasks,
            "yes" if r.interview_overdue else "no",
        )
        writer.writerow([csv_cell(v) for v in values])
    return response


@dataclass(frozen=True)
class WorklistTab:
    """A link to one of the organisation's lists, for the sub-navigation."""

    worklist: Worklist
    href: str
    current: bool
