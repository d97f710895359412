"""Admin exports: how long a file takes to make, against baselines measured in the same run.

* CSV of the audit log (`render_csv`) for 1,000 and 5,000 entries;
* PDF of the same (`render_pdf`: one-pass wrapping with cached character widths) against
  fpdf2's own `table()` (which re-measures every prefix while it breaks lines) on 500 entries,
  and alone for 1,000 and 5,000 (`MAX_PDF_ROWS`), the most the API makes into one PDF;
* the pilot list of a full training (64 pilots) as PDF.
Figures only (median of a few runs); the admin function has 60 s and a fraction of a vCPU.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fpv.admin import exports

RUNS = 3


def _audit_rows(n: int) -> list[dict]:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    return [
        {
            "at": at + timedelta(seconds=i),
            "actor": f"admin:{i % 5} via admin_api",
            "action": ("registration.move_channel", "training.update", "export.pilot_list")[i % 3],
            "target": f"registration:{i}",
            "venue_id": 1 + i % 3,
            "before": {"channel_mhz": 5800, "channel_label": "F4"},
            "after": {"channel_mhz": 5880, "channel_label": "R7", "rating": 87},
            "details": {},
            "hash": f"{i:064x}",
        }
        for i in range(n)
    ]


def _table(n: int) -> exports.Table:
    return exports.audit_table(_audit_rows(n), {1: "Манеж", 2: "Арена", 3: "Поле"}, {}, "ru")


def _fpdf_table(table: exports.Table) -> bytes:
    """The baseline: the same page made with fpdf2's table()."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.add_font("DejaVu", "", str(exports.FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(exports.FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("DejaVu", "", 7)
    with pdf.table(
        col_widths=tuple(table.widths),
        headings_style=FontFace(emphasis="BOLD"),
        line_height=3.5,
    ) as grid:
        grid.row(table.header)
        for row in table.rows:
            grid.row(row)
    return bytes(pdf.output())


def _time(make: Callable[[], bytes]) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        size = len(make())
        times.append(time.perf_counter() - started)
    return statistics.median(times), size


def main() -> None:
    exports.render_pdf(_table(5))  # fonts and fpdf2 loaded before anything is timed
    print(f"median of {RUNS} runs:")
    small = _table(500)
    base, _ = _time(lambda: _fpdf_table(small))
    ours, size = _time(lambda: exports.render_pdf(small))
    print(f"  audit PDF, 500 entries, fpdf2 table()      {base * 1000:9.0f} ms   1.00x")
    print(
        f"  audit PDF, 500 entries, render_pdf         {ours * 1000:9.0f} ms"
        f"   {ours / base:.2f}x   {size / 1e6:.2f} MB"
    )
    for n in (1_000, exports.MAX_PDF_ROWS):
        table = _table(n)
        pdf, pdf_size = _time(lambda t=table: exports.render_pdf(t))
        csv, csv_size = _time(lambda t=table: exports.render_csv(t.header, t.rows, ";"))
        label = f"{n:5d} entries"
        print(f"  audit PDF, {label:31s}{pdf * 1000:9.0f} ms   {pdf_size / 1e6:.2f} MB")
        print(f"  audit CSV, {label:31s}{csv * 1000:9.0f} ms   {csv_size / 1e6:.2f} MB")
    training = {
        "time_zone": "Europe/Moscow",
        "starts_at": datetime(2026, 12, 5, 16, tzinfo=UTC),
        "ends_at": datetime(2026, 12, 5, 19, tzinfo=UTC),
        "title": "Кубок",
        "venue_name": "Манеж",
        "price_kopecks": 150_000,
        "status": "scheduled",
    }
    pilots = [
        {
            "nickname": f"Пилот {i}",
            "pilot_id": i,
            "channel_label": "R1",
            "channel_mhz": 5658,
            "heat": 1 + i // 8,
            "status": "confirmed",
            "waitlist_position": None,
            "pass_id": 1 if i % 3 == 0 else None,
            "pass_returned_at": None,
            "payment_status": None if i % 3 == 0 else "paid",
            "amount_kopecks": 150_000,
            "refunded_kopecks": 0,
            "attendance": None,
        }
        for i in range(64)
    ]
    table = exports.pilot_list_table(training, pilots, "ru")
    pdf, size = _time(lambda: exports.render_pdf(table))
    print(f"  pilot list PDF, 64 pilots                 {pdf * 1000:9.0f} ms   {size / 1e6:.2f} MB")
