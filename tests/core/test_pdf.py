"""The process's one PDF printer (``core.pdf._Printer``): documents from several threads at
once are each printed, one at a time, by one browser kept between them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from sightline.core import pdf

pytestmark = pytest.mark.skipif(pdf.chromium_path() is None, reason="needs Chromium")


def _document(n: int) -> str:
    return f"<!doctype html><html><head><title>Doc {n}</title></head><body><p>{n}</p></body></html>"


def test_documents_from_many_threads_are_each_printed_by_one_kept_browser():
    printer = pdf._Printer()
    executable = pdf.chromium_path()
    assert executable is not None
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            pdfs = list(pool.map(lambda n: printer.print(_document(n), executable), range(6)))
        assert all(p.startswith(b"%PDF-") for p in pdfs)
        assert printer._thread is not None and printer._thread.is_alive()  # kept, not ended
        first = printer._thread
        assert printer.print(_document(7), executable).startswith(b"%PDF-")
        assert printer._thread is first  # the same thread (and browser) printed it
    finally:
        printer.stop()
    assert printer._thread is not None and not printer._thread.is_alive()


def test_a_browser_that_cannot_start_is_reported_and_the_next_document_tries_again(tmp_path):
    printer = pdf._Printer()
    broken = tmp_path / "not-a-browser"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    executable = pdf.chromium_path()
    assert executable is not None
    try:
        with pytest.raises(pdf.PdfUnavailable, match="could not print"):
            printer.print(_document(1), broken)
        assert printer.print(_document(2), executable).startswith(b"%PDF-")
    finally:
        printer.stop()
