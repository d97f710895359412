"""Admin exports, the channel options of a registration and the dashboard's pass figures,
through the local gateway (template routes → admin_api Lambda → FastAPI) with real PostgreSQL,
the fake Bot API payment flow and the fake YooKassa.

CSV files are parsed back (BOM, both separators, Cyrillic); PDFs are read back with poppler's
`pdftotext` (skipped with the reason when it is missing)."""

from __future__ import annotations

import codecs
import csv
import io
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from fpv.actors import SYSTEM
from fpv.admin import exports
from fpv.dal import seats
from fpv.payments.ledger import trainings_money
from tests.integration.test_admin_organizer import Admin, paid_seat, q
from tests.integration.test_passes import PASS_PRICE, buy_and_pay, product
from tests.integration.test_payments_harness import (  # noqa: F401 - fixtures
    PRICE,
    Harness,
    fake_servers,
    fakes_fixture,
    pay_fixture,
)
from tests.support.admin import admin_gw_fixture, make_admin  # noqa: F401 - fixture
from tests.support.factories import make_pilot, make_training, make_venue

PDFTOTEXT = shutil.which("pdftotext")
needs_pdftotext = pytest.mark.skipif(
    PDFTOTEXT is None, reason="pdftotext not installed (apt-get install poppler-utils)"
)
HEADER_RU = ["Пилот", "Канал", "МГц", "Заезд", "Статус", "Оплата", "Явка"]


def parse_csv(body: bytes, sep: str) -> list[list[str]]:
    assert body.startswith(codecs.BOM_UTF8), body[:10]
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=sep))


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF-")
    done = subprocess.run(
        [PDFTOTEXT, "-layout", "-enc", "UTF-8", "-", "-"], input=body, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.decode("utf-8")


def a_training_with_every_payment_state(pay: Harness) -> dict:
    """A paid training: one pilot on a season pass, one who paid, one awaiting payment, one
    who paid and was refunded (cancelled)."""
    venue = make_venue(pay.db, cancel_cutoff_hours=12)
    training = pay.paid_training(venue_id=venue, title="Кубок «Ёлка»", capacity=8)
    make_pilot(pay.db, 880_001, nickname="Ёжик")
    pass_id = buy_and_pay(pay, 880_001, product(pay.db, trainings=3, venue_id=venue))
    on_pass = pay.sign_up(training, 880_001)
    assert on_pass.pass_credit is not None
    make_pilot(pay.db, 880_002, nickname="Шмель")
    held = pay.sign_up(training, 880_002)
    pay.pay(held, 880_002)
    make_pilot(pay.db, 880_003, nickname="Bee")
    assert pay.sign_up(training, 880_003).status == "pending_payment"
    return {"venue": venue, "training": training, "pass_id": pass_id}


def test_pilot_list_as_csv_with_both_separators_and_a_pass(admin_gw, pay):
    world = a_training_with_every_payment_state(pay)
    admin = Admin(admin_gw)
    url = f"/api/admin/exports/trainings/{world['training']}/pilots"

    comma = admin.get(url, params={"format": "csv"})
    assert comma.status_code == 200, comma.text
    assert comma.headers["content-type"].startswith("text/csv")
    assert 'filename="pilots-' in comma.headers["content-disposition"]
    table = parse_csv(comma.content, ",")
    assert table[0] == HEADER_RU
    by_nick = {row[0]: row for row in table[1:]}
    assert set(by_nick) == {"Ёжик", "Шмель", "Bee"}
    assert by_nick["Ёжик"][5] == "абонемент"
    assert by_nick["Шмель"][5] == f"оплачено {PRICE // 100:,}\u00a0₽".replace(",", "\u00a0")
    assert by_nick["Bee"][5] == "не оплачено" and by_nick["Bee"][4] == "ждёт оплаты"
    assert by_nick["Шмель"][4] == "подтверждена"
    seated = q(
        pay.db,
        "SELECT p.nickname, r.channel_mhz, r.heat FROM registrations r"
        " JOIN pilots p ON p.id = r.pilot_id WHERE r.training_id = :t",
        t=world["training"],
    )
    assert {(r["nickname"], str(r["channel_mhz"]), str(r["heat"])) for r in seated} == {
        (row[0], row[2], row[3]) for row in table[1:]
    }

    semicolon = admin.get(url, params={"format": "csv", "sep": ";"})
    assert semicolon.status_code == 200
    assert b";" in semicolon.content.split(b"\r\n")[0]
    assert parse_csv(semicolon.content, ";") == table

    english = parse_csv(admin.get(url, params={"lang": "en"}).content, ",")
    assert english[0][:4] == ["Pilot", "Channel", "MHz", "Heat"]
    assert {row[0]: row[5] for row in english[1:]}["Ёжик"] == "pass"

    # every export is in the audit chain, with the training's venue
    entries = q(
        pay.db,
        "SELECT target, venue_id, after FROM admin_audit_log WHERE action = 'export.pilot_list'",
    )
    assert len(entries) == 3
    assert {e["target"] for e in entries} == {f"training:{world['training']}"}
    assert {e["venue_id"] for e in entries} == {world["venue"]}
    assert [e["after"]["rows"] for e in entries] == [3, 3, 3]


@needs_pdftotext
def test_pilot_list_as_pdf_keeps_cyrillic(admin_gw, pay):
    world = a_training_with_every_payment_state(pay)
    admin = Admin(admin_gw)
    got = admin.get(
        f"/api/admin/exports/trainings/{world['training']}/pilots", params={"format": "pdf"}
    )
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].endswith('.pdf"')
    text = pdf_text(got.content)
    assert "Список пилотов: Кубок «Ёлка»" in text
    for word in ("Пилот", "Оплата", "Ёжик", "Шмель", "абонемент", "подтверждена", "не оплачено"):
        assert word in text, word


def test_audit_log_export_uses_the_audit_routes_filters(admin_gw, pay):
    world = a_training_with_every_payment_state(pay)
    admin = Admin(admin_gw)
    for fmt in ("csv", "pdf"):  # two entries to find
        assert admin.get(
            f"/api/admin/exports/trainings/{world['training']}/pilots", params={"format": fmt}
        ).is_success
    params = {"action": "export", "target": f"training:{world['training']}"}
    listed = admin.get("/api/admin/audit", params=params).json()
    assert len(listed) == 2
    got = admin.get("/api/admin/exports/audit-log", params={**params, "sep": ";"})
    assert got.status_code == 200, got.text
    table = parse_csv(got.content, ";")
    assert table[0][:4] == ["Когда", "Кто", "Действие", "Объект"]
    # the same entries as the route, oldest first as the chain goes
    assert [row[7] for row in table[1:]] == [e["hash"] for e in reversed(listed)]
    assert [row[2] for row in table[1:]] == ["export.pilot_list"] * 2
    assert '"rows": 3' in table[1][6]
    # the export of the log is itself audited, with its filters
    [entry] = q(pay.db, "SELECT after FROM admin_audit_log WHERE action = 'export.audit_log'")
    assert entry["after"]["filters"]["action"] == "export" and entry["after"]["rows"] == 2


@needs_pdftotext
def test_audit_log_as_pdf(admin_gw, pay):
    venue = make_venue(pay.db)
    make_training(pay.db, venue_id=venue, title="Ночная гонка")
    admin = Admin(admin_gw)
    renamed = admin.patch(f"/api/admin/venues/{venue}", {"name": "Манеж «Юность»"})
    assert renamed.status_code == 200, renamed.text
    got = admin.get("/api/admin/exports/audit-log", params={"format": "pdf", "action": "venue"})
    assert got.status_code == 200, got.text
    text = pdf_text(got.content)
    assert "Журнал действий" in text and "venue.update" in text
    assert "Юность" in text


def test_a_local_admin_exports_only_their_venue(admin_gw, pay):
    own, other = make_venue(pay.db), make_venue(pay.db)
    mine = make_training(pay.db, venue_id=own)
    theirs = make_training(pay.db, venue_id=other)
    make_admin(pay.db, "local_exports", 881_001, role="local", venues=[own])
    local = Admin(admin_gw, "local_exports", 881_001)
    root = Admin(admin_gw)
    for venue in (own, other):  # an audit entry about each venue
        assert root.patch(f"/api/admin/venues/{venue}", {"address": "ул. Лесная, 1"}).is_success

    assert local.get(f"/api/admin/exports/trainings/{mine}/pilots").status_code == 200
    for fmt in ("csv", "pdf"):
        refused = local.get(f"/api/admin/exports/trainings/{theirs}/pilots", params={"format": fmt})
        assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    asked = local.get("/api/admin/exports/audit-log", params={"venue_id": other})
    assert asked.status_code == 403 and asked.json()["code"] == "forbidden"
    table = parse_csv(local.get("/api/admin/exports/audit-log").content, ",")
    venues = {row[4] for row in table[1:]}
    assert venues and all(v.endswith(f"(#{own})") for v in venues)
    assert any(row[2] == "venue.update" for row in table[1:])
    # refused exports leave no entry; the served one does
    entries = q(pay.db, "SELECT target FROM admin_audit_log WHERE action = 'export.pilot_list'")
    assert [e["target"] for e in entries] == [f"training:{mine}"]
    # no session: 401
    anonymous = admin_gw.client().get(f"/api/admin/exports/trainings/{mine}/pilots")
    assert anonymous.status_code == 401


def test_bad_export_requests_get_clear_answers(admin_gw, pay):
    training = make_training(pay.db)
    admin = Admin(admin_gw)
    url = f"/api/admin/exports/trainings/{training}/pilots"
    for params in ({"format": "xlsx"}, {"sep": "|"}, {"lang": "de"}):
        bad = admin.get(url, params=params)
        assert bad.status_code == 422 and bad.json()["code"] == "invalid", params
    missing = admin.get("/api/admin/exports/trainings/999999999/pilots")
    assert missing.status_code == 404
    since_after_until = admin.get(
        "/api/admin/exports/audit-log", params={"since": "2026-01-01T00:00:00"}
    )
    assert since_after_until.status_code == 422  # a time without its offset
    # too large for one file: a clear refusal, nothing audited
    with pytest.raises(exports.ExportTooLarge):
        exports.pilot_list(pay.db, SYSTEM, training, fmt="csv", max_bytes=10)
    with pytest.raises(exports.ExportTooLarge):
        exports.audit_log(pay.db, SYSTEM, fmt="csv", max_rows=0)
    assert q(pay.db, "SELECT id FROM admin_audit_log WHERE action LIKE 'export.%'") == []


# --- channel options ---------------------------------------------------------------------------
def test_channel_options_follow_the_pilots_equipment(admin_gw, pay):
    venue = make_venue(pay.db, min_mhz=5645, max_mhz=5945)
    training = make_training(pay.db, venue_id=venue, capacity=8)
    analog = make_pilot(pay.db, 882_001, equipment="R,F")
    digital = make_pilot(pay.db, 882_002, equipment="dji-o3")
    gone = make_pilot(pay.db, 882_003, equipment="R")
    with pay.db.transaction() as tx:
        a = seats.insert_confirmed(
            tx, training_id=training, pilot_id=analog, channel_mhz=5658, channel_label="R1"
        )
        d = seats.insert_confirmed(
            tx, training_id=training, pilot_id=digital, channel_mhz=5669, channel_label="O1"
        )
        g = seats.insert_confirmed(
            tx, training_id=training, pilot_id=gone, channel_mhz=5732, channel_label="R3"
        )
        tx.execute("UPDATE registrations SET status = 'cancelled' WHERE id = :id", id=g)
    admin = Admin(admin_gw)

    got = admin.get(f"/api/admin/registrations/{d}/channel-options")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["equipment"] == "dji-o3" and body["heat"] == 1
    options = body["options"]
    assert options and all(o["channel_label"].startswith("DJI O3") for o in options), options
    assert [o["rating"] for o in options] == sorted((o["rating"] for o in options), reverse=True)
    assert sum(o["current"] for o in options) <= 1
    # what is offered, the move accepts (and answers the same rating)
    target = next(o for o in options if not o["current"])
    moved = admin.post(
        f"/api/admin/registrations/{d}/channel", {"channel_mhz": target["channel_mhz"]}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["rating"] == target["rating"]

    analog_options = admin.get(f"/api/admin/registrations/{a}/channel-options").json()["options"]
    mhz = {o["channel_mhz"] for o in analog_options}
    assert 5658 in mhz and 5705 not in mhz  # its own channel; no E band on an R,F VTX
    assert all(5645 <= m <= 5945 for m in mhz)

    assert admin.get(f"/api/admin/registrations/{g}/channel-options").status_code == 409
    other_venue = make_venue(pay.db)
    make_admin(pay.db, "local_board", 882_010, role="local", venues=[other_venue])
    local = Admin(admin_gw, "local_board", 882_010)
    assert local.get(f"/api/admin/registrations/{d}/channel-options").status_code == 404


# --- the dashboard learns passes ---------------------------------------------------------------
def test_stats_recognise_pass_revenue_at_purchase_and_match_the_ledger(admin_gw, pay):
    world = a_training_with_every_payment_state(pay)
    venue = world["venue"]
    make_pilot(pay.db, 880_010, nickname="Клуб")
    club_pass = buy_and_pay(pay, 880_010, product(pay.db, trainings=None))  # club-wide
    refunded = pay.paid_training(venue_id=venue, capacity=4)
    paid_seat(pay, 880_011, refunded)
    [reg] = q(pay.db, "SELECT id FROM registrations WHERE training_id = :t", t=refunded)
    admin = Admin(admin_gw)
    assert admin.post(f"/api/admin/registrations/{reg['id']}/cancel", {"refund": True}).is_success

    now = datetime.now(UTC)
    period = {
        "since": (now - timedelta(days=1)).isoformat(),
        "until": (now + timedelta(days=30)).isoformat(),
    }
    stats = admin.get("/api/admin/stats", params=period).json()
    [row] = [v for v in stats["venues"] if v["venue_id"] == venue]
    money = trainings_money(pay.db, [world["training"], refunded])
    assert row["paid"] == sum(m.paid for m in money.values()) == 2 * PRICE
    assert row["refunded"] == sum(m.refunded for m in money.values()) == PRICE
    # the seat on a pass added nothing; the pass counts where it was bought
    assert row["passes_paid"] == PASS_PRICE and row["passes_refunded"] == 0
    assert row["revenue"] == PRICE + PASS_PRICE
    [venue_product] = [p for p in stats["passes"] if p["venue_id"] == venue]
    assert (venue_product["sold"], venue_product["credits_sold"]) == (1, 3)
    assert venue_product["credits_used"] == 1 and venue_product["paid"] == PASS_PRICE
    [club] = [p for p in stats["passes"] if p["venue_id"] is None]
    assert club["unlimited"] == 1 and club["paid"] == PASS_PRICE
    assert stats["club_passes"] == {"sold": 1, "paid": PASS_PRICE, "refunded": 0}
    # the whole answer equals the payment rows: seats of trainings in the period + passes bought
    ledger = q(
        pay.db,
        "SELECT coalesce(sum(p.amount_kopecks - p.refunded_kopecks), 0) AS net FROM payments p"
        " LEFT JOIN trainings t ON t.id = p.training_id"
        " WHERE (p.pass_id IS NOT NULL AND p.created_at >= :since AND p.created_at < :until)"
        " OR (t.starts_at >= :since AND t.starts_at < :until)",
        since=now - timedelta(days=1),
        until=now + timedelta(days=30),
    )[0]["net"]
    assert stats["revenue"] == ledger == PRICE + 2 * PASS_PRICE

    # a pass bought last month is last month's revenue, not this period's
    with pay.db.transaction() as tx:
        tx.execute(
            "UPDATE payments SET created_at = created_at - interval '40 days' WHERE pass_id = :p",
            p=world["pass_id"],
        )
    later = admin.get("/api/admin/stats", params=period).json()
    [row] = [v for v in later["venues"] if v["venue_id"] == venue]
    assert row["passes_paid"] == 0 and row["paid"] == 2 * PRICE
    assert later["revenue"] == PRICE + PASS_PRICE
    before = {
        "since": (now - timedelta(days=45)).isoformat(),
        "until": (now - timedelta(days=20)).isoformat(),
    }
    earlier = admin.get("/api/admin/stats", params=before).json()
    assert [v["passes_paid"] for v in earlier["venues"] if v["venue_id"] == venue] == [PASS_PRICE]

    # a local admin sees their venue's passes, not the club's
    make_admin(pay.db, "local_stats", 880_020, role="local", venues=[venue])
    local = Admin(admin_gw, "local_stats", 880_020).get("/api/admin/stats", params=period).json()
    assert [v["venue_id"] for v in local["venues"]] == [venue]
    assert all(p["venue_id"] == venue for p in local["passes"])
    assert local["club_passes"] == {"sold": 0, "paid": 0, "refunded": 0}
    assert club_pass
