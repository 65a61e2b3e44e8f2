"""Errors that services raise and views, the API and the CLI turn into messages."""

from __future__ import annotations


class SightlineError(Exception):
    """Base class: the message is written for the person who will read it."""


class ValidationError(SightlineError):
    """Bad input. Names the field and, where there is one, the record."""

    def __init__(self, message: str, *, field: str | None = None, record: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.record = record

    def __str__(self) -> str:
        prefix = ""
        if self.record:
            prefix += f"{self.record}: "
        if self.field:
            prefix += f"{self.field}: "
        return prefix + self.message


class NotFoundOrNotAllowed(SightlineError):
    """The record does not exist, or the user may not see it. The two look the same on purpose."""
