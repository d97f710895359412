"""Exports for organizers: a training's pilot list and the audit log, as CSV or PDF.

CSV: UTF-8 with a BOM (Excel then opens Cyrillic correctly), CRLF lines, RFC 4180 quoting, `,`
(default) or `;` (Excel in Russian locales) between fields; a text cell that starts like a formula
gets a leading apostrophe so a spreadsheet never runs it.
PDF: fpdf2 with DejaVu Sans (committed beside this module with its licence), so Cyrillic renders.
fpdf2 is imported only inside `render_pdf`: no other code path (nor another function's cold
start) pays for it.

A local admin exports only their venues' data: another venue's training is 404 like everywhere
in the admin API (ids are not confirmed to outsiders); asking for the audit log of a venue that
is not theirs is 403. Every export is audited (what, format, filters, row count).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fpv import audit
from fpv.actors import Actor
from fpv.admin.common import scope, visible
from fpv.admin.errors import AdminError, Forbidden
from fpv.dal import audit as audit_dal
from fpv.dal import exports as dal
from fpv.db import Database, Row
from fpv.texts import t

Format = Literal["csv", "pdf"]
FONTS = Path(__file__).with_name("fonts")
# Lambda answers at most 6 MB, and a PDF travels base64-encoded (4/3 larger): stay below both.
MAX_BYTES = 4_000_000
MAX_AUDIT_ROWS = 100_000
MAX_PDF_ROWS = 5_000  # a PDF is for reading and printing; more rows: CSV
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


class ExportTooLarge(AdminError):
    status, code = 422, "export_too_large"


@dataclass(frozen=True)
class Table:
    """What a file shows: a title, a line under it, the columns (with relative widths for the
    PDF) and the rows, all as text."""

    title: str
    subtitle: str
    header: list[str]
    rows: list[list[str]]
    widths: Sequence[float]
    landscape: bool = False
    footer: str = ""
    emphasis: str = ""  # a line in bold under the title (a cancelled training)
    numeric: set[int] = field(default_factory=set)  # columns aligned right in the PDF


@dataclass(frozen=True)
class ExportFile:
    name: str
    media_type: str
    body: bytes
    rows: int


# --- rendering ------------------------------------------------------------------------------------
def _safe_cell(value: str) -> str:
    if value.startswith(_FORMULA):
        try:
            float(value.replace(",", "."))
        except ValueError:
            return "'" + value
    return value


def render_csv(header: Sequence[str], rows: Sequence[Sequence[Any]], sep: str = ",") -> bytes:
    if sep not in (",", ";"):
        raise ValueError("sep must be ',' or ';'")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _safe_cell(str(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class _Widths:
    """Character widths of the current font, measured once each: fpdf2's own line breaking
    measures every prefix again (quadratic on long cells); this wraps in one pass."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        self.cache: dict[tuple[str, str], float] = {}

    def of(self, text: str) -> float:
        style = self.pdf.font_style
        total = 0.0
        for ch in text:
            key = (style, ch)
            width = self.cache.get(key)
            if width is None:
                width = self.cache[key] = self.pdf.get_string_width(ch)
            total += width
        return total

    def wrap(self, text: str, limit: float) -> list[str]:
        """Lines no wider than `limit`: broken after spaces and punctuation where possible,
        anywhere in a long word (a hash) otherwise."""
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line, width, cut = "", 0.0, -1
            for ch in paragraph:
                w = self.of(ch)
                if width + w > limit and line:
                    if cut > 0:
                        lines.append(line[:cut].rstrip())
                        line = line[cut:].lstrip()
                    else:
                        lines.append(line)
                        line = ""
                    width, cut = self.of(line), -1
                line += ch
                width += w
                if ch in " ,;/._":
                    cut = len(line)
            lines.append(line)
        return lines or [""]


def _draw_table(pdf: Any, table: Table, size: float) -> None:
    pad, line_h = 1.0, size * 0.42
    usable = pdf.w - pdf.l_margin - pdf.r_margin
    total = float(sum(table.widths))
    widths = [usable * w / total for w in table.widths]
    bottom = pdf.h - pdf.b_margin
    measure = _Widths(pdf)

    def row(cells: Sequence[str], *, head: bool) -> None:
        pdf.set_font("DejaVu", "B" if head else "", size)
        wrapped = [measure.wrap(str(c), w - 2 * pad) for c, w in zip(cells, widths, strict=True)]
        height = max(len(lines) for lines in wrapped) * line_h + 2 * pad
        if pdf.get_y() + height > bottom and not head:
            pdf.add_page()
            row(table.header, head=True)
            pdf.set_font("DejaVu", "", size)
        x, y = pdf.l_margin, pdf.get_y()
        for i, (lines, w) in enumerate(zip(wrapped, widths, strict=True)):
            pdf.rect(x, y, w, height, style="DF" if head else "D")
            for n, text in enumerate(lines):
                tx = x + pad
                if i in table.numeric and not head:
                    tx = x + w - pad - measure.of(text)
                pdf.text(tx, y + pad + (n + 0.8) * line_h, text)
            x += w
        pdf.set_y(y + height)

    pdf.set_draw_color(160)
    pdf.set_fill_color(230, 236, 245)
    pdf.set_line_width(0.15)
    row(table.header, head=True)
    for cells in table.rows:
        row(cells, head=False)


def render_pdf(table: Table) -> bytes:
    from fpdf import FPDF  # heavy (fonttools, Pillow): only when a PDF is asked for

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", size=7)
            self.set_text_color(110)
            note = f"{table.footer} · " if table.footer else ""
            self.cell(0, 6, f"{note}{self.page_no()}/{{nb}}", align="R")
            self.set_text_color(0)

    pdf = _Pdf(orientation="L" if table.landscape else "P", unit="mm", format="A4")
    pdf.set_creator("FPV Training Platform")
    pdf.set_title(table.title)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(auto=False, margin=16)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 7, table.title, new_x="LMARGIN", new_y="NEXT")
    if table.emphasis:
        pdf.set_text_color(180, 0, 0)
        pdf.multi_cell(0, 6, table.emphasis, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 5, table.subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    _draw_table(pdf, table, 7 if table.landscape else 9)
    return bytes(pdf.output())


def _file(table: Table, name: str, fmt: Format, sep: str, max_bytes: int) -> ExportFile:
    if fmt == "pdf" and len(table.rows) > MAX_PDF_ROWS:
        raise ExportTooLarge(f"{len(table.rows)} rows; a PDF holds at most {MAX_PDF_ROWS}")
    if fmt == "csv":
        body = render_csv(table.header, table.rows, sep)
        media = "text/csv; charset=utf-8"
    else:
        body = render_pdf(table)
        media = "application/pdf"
    if len(body) > max_bytes:
        raise ExportTooLarge(f"{len(body)} bytes; at most {max_bytes}")
    return ExportFile(f"{name}.{fmt}", media, body, len(table.rows))


def _audited(
    db: Database,
    actor: Actor,
    action: str,
    target: str | None,
    file: ExportFile,
    client: audit.Client | None,
    *,
    venue_id: int | None,
    filters: dict[str, Any] | None = None,
) -> ExportFile:
    after: dict[str, Any] = {"file": file.name, "rows": file.rows, "bytes": len(file.body)}
    if filters:
        after["filters"] = filters
    with db.transaction() as tx:
        audit.record(tx, actor, action, target, after=after, client=client, venue_id=venue_id)
    return file


# --- a training's pilot list ----------------------------------------------------------------------
def _rub(kopecks: int | None) -> str:
    value = (kopecks or 0) / 100
    text = f"{value:,.2f}".replace(",", "\u00a0").replace(".00", "")
    return f"{text}\u00a0₽"


def payment_state(row: Row, price_kopecks: int) -> str:
    """What the pilot list says about how a seat is paid; the code, not the words."""
    if row["pass_id"] is not None:
        return "pass" if row["pass_returned_at"] is None else "pass_returned"
    if row["payment_status"] is not None:
        if row["payment_status"] == "paid" and row["refunded_kopecks"]:
            return "refunded"
        return row["payment_status"]
    if price_kopecks == 0:
        return "free"
    return "awaiting" if row["status"] in ("pending_payment", "waitlisted") else "none"


def _payment_text(row: Row, price_kopecks: int, lang: str) -> str:
    state = payment_state(row, price_kopecks)
    if state in ("paid", "refund_pending", "refund_failed"):
        return t(f"export.pay.{state}", lang, amount=_rub(row["amount_kopecks"]))
    if state == "refunded":
        return t("export.pay.refunded", lang, amount=_rub(row["refunded_kopecks"]))
    return t(f"export.pay.{state}", lang)


def pilot_list_table(training: Row, rows: list[Row], lang: str) -> Table:
    zone = ZoneInfo(training["time_zone"] or "UTC")
    starts = training["starts_at"].astimezone(zone)
    ends = training["ends_at"].astimezone(zone)
    when = f"{starts:%d.%m.%Y %H:%M}–{ends:%H:%M} ({training['time_zone']})"
    header = [
        t(f"export.col.{k}", lang)
        for k in ("pilot", "channel", "mhz", "heat", "status", "payment", "attendance")
    ]
    body = [
        [
            r["nickname"] or (f"#{r['pilot_id']}" if r["pilot_id"] else "—"),
            r["channel_label"] or "",
            str(r["channel_mhz"] or ""),
            str(r["heat"]),
            t(f"export.status.{r['status']}", lang)
            + (f" #{r['waitlist_position']}" if r["waitlist_position"] else ""),
            _payment_text(r, training["price_kopecks"], lang),
            t(f"export.attendance.{r['attendance']}", lang) if r["attendance"] else "",
        ]
        for r in rows
    ]
    return Table(
        title=t("export.pilots.title", lang, title=training["title"]),
        subtitle=t(
            "export.pilots.subtitle", lang, venue=training["venue_name"], when=when, n=len(rows)
        ),
        header=header,
        rows=body,
        widths=(30, 12, 10, 9, 20, 26, 14),
        emphasis=t("export.pilots.cancelled", lang) if training["status"] == "cancelled" else "",
        footer=t("export.generated", lang, at=f"{datetime.now(UTC):%Y-%m-%d %H:%M}"),
        numeric={2, 3},
    )


def pilot_list(
    db: Database,
    actor: Actor,
    training_id: int,
    *,
    fmt: Format,
    sep: str = ",",
    lang: str = "ru",
    client: audit.Client | None = None,
    max_bytes: int = MAX_BYTES,
) -> ExportFile:
    """Every registration of the training but expired holds: seated pilots heat by heat, then
    the waitlist, then those who left; the payment state says "pass" for a credit."""
    with db.transaction(readonly=True) as tx:
        training = visible(actor, dal.training(tx, training_id), "training")
        rows = dal.pilot_list(tx, training_id)
    table = pilot_list_table(training, rows, lang)
    day = training["starts_at"].astimezone(ZoneInfo(training["time_zone"] or "UTC"))
    file = _file(table, f"pilots-{training_id}-{day:%Y-%m-%d}", fmt, sep, max_bytes)
    return _audited(
        db, actor, "export.pilot_list", f"training:{training_id}", file, client,
        venue_id=training["venue_id"], filters={"format": fmt},
    )  # fmt: skip


# --- the audit log --------------------------------------------------------------------------------
def _json_text(value: Any) -> str:
    if value is None or value == {}:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def audit_table(
    rows: list[Row], venue_names: dict[int, str], filters: dict[str, Any], lang: str
) -> Table:
    header = [
        t(f"export.col.{k}", lang)
        for k in ("at", "actor", "action", "target", "venue", "before", "after", "hash")
    ]
    body = []
    for r in rows:
        after = r["after"] if r["after"] is not None else (r["details"] or None)
        venue = ""
        if r["venue_id"] is not None:
            venue = f"{venue_names.get(r['venue_id'], '')} (#{r['venue_id']})".strip()
        body.append(
            [
                r["at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                r["actor"] or "",
                r["action"],
                r["target"] or "",
                venue,
                _json_text(r["before"]),
                _json_text(after),
                r["hash"] or "",
            ]
        )
    described = ", ".join(f"{k}={v}" for k, v in filters.items() if v is not None)
    return Table(
        title=t("export.audit.title", lang),
        subtitle=t(
            "export.audit.subtitle",
            lang,
            filters=described or t("export.audit.all", lang),
            n=len(rows),
        ),
        header=header,
        rows=body,
        widths=(16, 18, 30, 18, 16, 34, 34, 22),
        landscape=True,
        footer=t("export.generated", lang, at=f"{datetime.now(UTC):%Y-%m-%d %H:%M}"),
    )


def audit_log(
    db: Database,
    actor: Actor,
    *,
    fmt: Format,
    sep: str = ",",
    lang: str = "ru",
    action: str | None = None,
    target: str | None = None,
    who: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    venue_id: int | None = None,
    client: audit.Client | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_AUDIT_ROWS,
) -> ExportFile:
    """The entries the audit-log route would list with the same filters (plus a venue), oldest
    first as the chain goes."""
    venues = scope(actor)
    if venue_id is not None:
        if not actor.sees_venue(venue_id):
            raise Forbidden("another venue's log")
        venues = [venue_id]
    with db.transaction(readonly=True) as tx:
        rows = audit_dal.search(
            tx, venue_ids=venues, action=action, target=target, actor=who, since=since,
            until=until, before_id=None, limit=max_rows + 1,
        )  # fmt: skip
        names = dal.venue_names(tx)
    if len(rows) > max_rows:
        raise ExportTooLarge(f"more than {max_rows} entries")
    filters = {
        "action": action, "target": target, "actor": who, "venue_id": venue_id,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
    }  # fmt: skip
    table = audit_table(list(reversed(rows)), names, filters, lang)
    file = _file(table, f"audit-{datetime.now(UTC):%Y-%m-%d}", fmt, sep, max_bytes)
    return _audited(
        db, actor, "export.audit_log", None, file, client, venue_id=venue_id,
        filters={"format": fmt, **{k: v for k, v in filters.items() if v is not None}},
    )  # fmt: skip
