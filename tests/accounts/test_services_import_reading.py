"""Reading import files (accounts.imports): every limit is checked while the
file streams and the read stops at the first one — an Excel sheet that
declares a million rows is read as the rows it holds, one that really holds
them (or a row numbered 1,048,576) is refused, so is one with too many cells
or that unpacks too big; CSV lines are bounded too."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest

from accounts import imports
from accounts.imports import ImportFileError, ImportLimits, ImportSheet

SHEET = ImportSheet(columns=("mobile", "name"), max_lengths={"mobile": 32, "name": 32},
                    aliases={"mobile": "mobile", "name": "name"}, required=("mobile",),
                    missing_message="missing %(columns)s")
LIMITS = ImportLimits(max_bytes=50 * 1024 * 1024, max_rows=10)  # max_lines = 1,011


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rewrite_sheet(raw: bytes, change) -> bytes:
    """The workbook with its first sheet's XML passed through ``change``."""
    source, target = zipfile.ZipFile(io.BytesIO(raw)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data.decode()).encode()
            out.writestr(info.filename, data)
    return target.getvalue()


def _read(raw: bytes, name="file.xlsx", limits=LIMITS) -> list[dict]:
    return list(SHEET.read(io.BytesIO(raw), name=name, limits=limits))


ROWS = [["mobile", "name"], [13800138000, "李娜"], ["13900139000", "张伟"]]


@pytest.fixture
def cells_counted(monkeypatch):
    """Fail as soon as the reader builds more cells than a small file has:
    walking a million rows would take minutes and prove the defect."""
    real, calls = imports.cell_text, []

    def counting(value):
        calls.append(1)
        if len(calls) > 10_000:
            raise AssertionError("the reader walks rows the sheet does not hold")
        return real(value)

    monkeypatch.setattr(imports, "cell_text", counting)
    return calls


def _declare(xml: str, ref: str = "A1:T1048576") -> str:
    return re.sub(r'<dimension ref="[^"]+"', f'<dimension ref="{ref}"', xml)


class TestExcel:
    def test_a_declared_million_rows_is_read_as_the_rows_present(self, cells_counted):
        raw = _rewrite_sheet(_xlsx(ROWS), _declare)
        assert 'ref="A1:T1048576"' in zipfile.ZipFile(io.BytesIO(raw)).read("xl/worksheets/sheet1.xml").decode()
        records = _read(raw)
        assert [(r["line"], r["mobile"], r["name"]) for r in records] == [(2, "13800138000", "李娜"),
                                                                         (3, "13900139000", "张伟")]
        assert len(cells_counted) < 100

    def test_a_declared_million_rows_with_a_last_row_is_refused_at_once(self, cells_counted):
        """openpyxl fills the gap up to a row the dimension allows with empty
        rows: a million of them before the limit was ever looked at."""
        far = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>13800138000</t></is></c></row>'
        raw = _rewrite_sheet(_xlsx(ROWS), lambda xml: _declare(xml).replace("</sheetData>", far + "</sheetData>"))
        with pytest.raises(ImportFileError) as excinfo:
            _read(raw)
        assert excinfo.value.message == imports.TOO_MANY_ROWS % {"rows": 10}
        assert not cells_counted  # the scan refused it before a single cell was built

    def test_real_empty_rows_are_counted_and_refused_at_the_limit(self, cells_counted):
        """Rows formatted to the bottom of the sheet, as Excel writes them."""
        empty = "".join(f'<row r="{n}" s="1" customFormat="1"/>' for n in range(4, 1100))
        raw = _rewrite_sheet(_xlsx(ROWS), lambda xml: _declare(xml).replace("</sheetData>", empty + "</sheetData>"))
        with pytest.raises(ImportFileError) as excinfo:
            _read(raw)
        assert excinfo.value.message == imports.TOO_MANY_ROWS % {"rows": 10}
        assert not cells_counted

    def test_a_dimension_smaller_than_the_data_loses_no_row(self):
        raw = _rewrite_sheet(_xlsx(ROWS), lambda xml: _declare(xml, "A1:B2"))
        assert [r["line"] for r in _read(raw)] == [2, 3]

    def test_a_few_blank_rows_are_fine(self):
        raw = _xlsx([ROWS[0], ROWS[1], [None, None], [None, None], ROWS[2]])
        assert [r["line"] for r in _read(raw)] == [2, 5]

    def test_too_many_cells_are_refused(self, cells_counted):
        wide = "<row r=\"4\">" + "".join(f'<c r="{n}"><v>1</v></c>' for n in range(70_000)) + "</row>"
        raw = _rewrite_sheet(_xlsx(ROWS), lambda xml: xml.replace("</sheetData>", wide + "</sheetData>"))
        with pytest.raises(ImportFileError) as excinfo:
            _read(raw)
        assert excinfo.value.message == imports.TOO_MANY_CELLS
        assert not cells_counted

    def test_an_archive_that_unpacks_too_big_is_refused(self):
        padding = " " * (33 * 1024 * 1024)  # compresses to a few kilobytes
        raw = _rewrite_sheet(_xlsx(ROWS), lambda xml: xml + padding)
        assert len(raw) < 1024 * 1024
        with pytest.raises(ImportFileError) as excinfo:
            _read(raw)
        assert excinfo.value.message == LIMITS.too_big().message

    def test_more_data_rows_than_allowed(self):
        rows = [ROWS[0]] + [[13800000000 + n, "x"] for n in range(11)]
        with pytest.raises(ImportFileError) as excinfo:
            SHEET.preview(io.BytesIO(_xlsx(rows)), name="a.xlsx", rows=2, limits=LIMITS)
        assert excinfo.value.message == imports.TOO_MANY_ROWS % {"rows": 10}

    def test_the_preview_builds_the_first_rows_and_counts_the_rest(self):
        rows = [ROWS[0]] + [[13800000000 + n, "x"] for n in range(8)] + [[None, None], [dt.date(2025, 1, 2), None]]
        preview = SHEET.preview(io.BytesIO(_xlsx(rows)), name="a.xlsx", rows=3, limits=LIMITS)
        assert [r["line"] for r in preview.records] == [2, 3, 4]
        assert preview.total == 9

    def test_a_broken_archive_is_unreadable(self):
        with pytest.raises(ImportFileError) as excinfo:
            _read(b"PK\x03\x04 not a zip")
        assert excinfo.value.message == imports.UNREADABLE_FILE


class TestCsv:
    def test_gbk_and_utf8_with_bom(self):
        text = "mobile,name\n13800138000,李娜\n"
        for encoding in ("utf-8-sig", "gbk"):
            assert _read(text.encode(encoding), name="a.csv")[0]["name"] == "李娜"

    def test_blank_lines_count_against_the_line_limit(self):
        raw = ("mobile,name\n13800138000,a\n" + "\n" * 1100 + "13900139000,b\n").encode()
        with pytest.raises(ImportFileError) as excinfo:
            _read(raw, name="a.csv")
        assert excinfo.value.message == imports.TOO_MANY_ROWS % {"rows": 10}
        raw = ("mobile,name\n13800138000,a\n" + "\n" * 100 + "13900139000,b\n").encode()
        assert [r["line"] for r in _read(raw, name="a.csv")] == [2, 103]

    def test_an_endless_line_is_refused(self):
        raw = b"mobile,name\n13800138000," + b"," * (imports.MAX_LINE_CHARS + 10) + b"\n"
        with pytest.raises(ImportFileError) as excinfo:
            _read(raw, name="a.csv")
        assert excinfo.value.message == imports.TOO_MANY_CELLS

    def test_too_many_cells_are_refused(self):
        row = "," * 999 + "\n"  # 1,000 empty cells a line; the limit is 64 a line on average
        raw = ("mobile,name\n13800138000,a\n" + row * 70).encode()
        with pytest.raises(ImportFileError) as excinfo:
            _read(raw, name="a.csv")
        assert excinfo.value.message == imports.TOO_MANY_CELLS

    def test_the_preview_counts_every_row(self):
        raw = ("mobile,name\n" + "".join(f"1380000{n:04d},x\n" for n in range(9))).encode()
        preview = SHEET.preview(io.BytesIO(raw), name="a.csv", rows=2, limits=LIMITS)
        assert len(preview.records) == 2 and preview.total == 9

    def test_other_files_are_refused(self):
        with pytest.raises(ImportFileError) as excinfo:
            _read(b"%PDF-1.4", name="a.pdf")
        assert excinfo.value.message == imports.UNSUPPORTED_FILE
