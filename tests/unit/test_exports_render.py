"""The export renderers without a database: CSV quoting and formula guard, and fpdf2 loaded
only when a PDF is made (no import cost for the admin API's other routes or other functions)."""

from __future__ import annotations

import codecs
import csv
import io
import subprocess
import sys

import pytest

from fpv.admin.exports import render_csv


def test_csv_has_a_bom_crlf_quotes_and_no_formulas():
    body = render_csv(
        ["Пилот", "Оплата"],
        [["=HYPERLINK(1)", "оплачено 1 500 ₽"], ["a;b", 'say "hi"'], ["-12", "+7 999"]],
        ";",
    )
    assert body.startswith(codecs.BOM_UTF8)
    text = body.decode("utf-8-sig")
    assert text.endswith("\r\n") and text.count("\r\n") == 4
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[1] == ["'=HYPERLINK(1)", "оплачено 1 500 ₽"]
    assert rows[2] == ["a;b", 'say "hi"']
    assert rows[3] == ["-12", "'+7 999"]  # a number stays a number; a phone-like text is guarded


@pytest.mark.parametrize("sep", [";", ","])
def test_csv_files_parse_back(sep):
    rows = [
        ["Скайуокер", "R1", 5658, 1, "подтверждена"],
        ['a "quoted" nick', "x;y,z", -63, 2, "line\nbreak"],
        ["=HYPERLINK(1)", "+1", "-2", "@sum", "  spaced  "],
        [None, "", 0, "", "ё"],
    ]
    raw = render_csv(["Пилот", "Канал", "МГц", "Заезд", "Статус"], rows, sep)
    assert raw.startswith(codecs.BOM_UTF8)
    back = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=sep))
    assert back[0] == ["Пилот", "Канал", "МГц", "Заезд", "Статус"]
    assert back[1] == ["Скайуокер", "R1", "5658", "1", "подтверждена"]
    assert back[2] == ['a "quoted" nick', "x;y,z", "-63", "2", "line\nbreak"]
    # text a spreadsheet would run as a formula is kept as text; numbers stay numbers
    assert back[3] == ["'=HYPERLINK(1)", "+1", "-2", "'@sum", "  spaced  "]
    assert back[4] == ["", "", "0", "", "ё"]


def test_csv_separator_is_checked():
    with pytest.raises(ValueError):
        render_csv(["a"], [["b"]], "|")


def test_fpdf_is_imported_only_for_a_pdf():
    code = (
        "import sys\n"
        "from fpv.admin.api import create_app\n"
        "from fpv.admin import exports, api_exports\n"
        "import fpv.bot.webhook, fpv.voice.tools\n"
        "create_app()\n"
        "exports.render_csv(['a'], [['b']])\n"
        "assert 'fpdf' not in sys.modules, 'imported too early'\n"
        "t = exports.Table('Заголовок', 'Ёж', ['Пилот'], [['Ёжик']], (1,))\n"
        "assert exports.render_pdf(t).startswith(b'%PDF-')\n"
        "assert 'fpdf' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
