"""Organizer tasks through the admin API (local gateway, real PostgreSQL, fake Bot API and
YooKassa over HTTP): weekly series, edits, cancellation with refunds exactly once, channel moves
validated by the allocator, rebalance, attendance, registration cancel with or without refund,
"schedule changed" published for each, and every change in the audit chain."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fpv import runtime
from fpv.admin import auth
from fpv.audit import verify
from fpv.dal import seats
from fpv.ports.events import SCHEDULE_CHANGED
from tests.integration.test_payments_harness import (  # noqa: F401 - fixtures
    PRICE,
    Harness,
    fake_servers,
    fakes_fixture,
    pay_fixture,
)
from tests.support.admin import (  # noqa: F401 - fixture
    AdminGateway,
    admin_gw_fixture,
    make_admin,
    session_for,
    with_session,
)
from tests.support.factories import make_pilot, make_training, make_venue


def q(db, sql, **params):
    with db.transaction(readonly=True) as tx:
        return tx.all(sql, **params)


class Admin:
    """A logged-in superadmin's HTTP client."""

    def __init__(self, gw: AdminGateway, login: str = "root", telegram_id: int = 950_001):
        if not q(gw.db, "SELECT 1 FROM admins WHERE login = :l", l=login):
            make_admin(gw.db, login, telegram_id)
        token, self.csrf = session_for(gw.db, login)
        self.http = with_session(gw, token)

    def get(self, path, **kw):
        return self.http.get(path, **kw)

    def post(self, path, json=None):
        return self.http.post(path, json=json, headers={auth.CSRF_HEADER: self.csrf})

    def patch(self, path, json):
        return self.http.patch(path, json=json, headers={auth.CSRF_HEADER: self.csrf})


def published(reason: str | None = None) -> list[dict]:
    events = [e for e in runtime.event_bus().published if e["detail-type"] == SCHEDULE_CHANGED]
    return [e for e in events if reason is None or e["detail"].get("reason") == reason]


def test_weekly_series_of_ten_with_one_date_skipped(admin_gw):
    venue = make_venue(admin_gw.db, time_zone="Europe/Moscow")
    admin = Admin(admin_gw)
    first = date.today() + timedelta(days=3)
    skipped = first + timedelta(weeks=2)
    before = len(published("series"))
    response = admin.post(
        "/api/admin/trainings/series",
        {
            "venue_id": venue,
            "title": "Вторничная гонка",
            "first_date": first.isoformat(),
            "start_time": "19:30",
            "duration_minutes": 150,
            "count": 10,
            "skip_dates": [skipped.isoformat()],
            "capacity": 12,
            "price_kopecks": 50_000,
        },
    )
    assert response.status_code == 201, response.text
    rows = response.json()
    assert len(rows) == 10
    moscow = ZoneInfo("Europe/Moscow")
    local = [datetime.fromisoformat(r["starts_at"]).astimezone(moscow) for r in rows]
    assert all(d.strftime("%H:%M") == "19:30" and d.weekday() == first.weekday() for d in local)
    days = [d.date() for d in local]
    assert skipped not in days
    assert days[0] == first and days[-1] == first + timedelta(weeks=10)  # went on one week more
    assert len({r["series_id"] for r in rows}) == 1
    assert {(r["capacity"], r["price_kopecks"]) for r in rows} == {(12, 50_000)}
    assert len(q(admin_gw.db, "SELECT 1 FROM trainings WHERE venue_id = :v", v=venue)) == 10
    assert len(published("series")) == before + 1
    [entry] = q(
        admin_gw.db, "SELECT * FROM admin_audit_log WHERE action = 'training.create_series'"
    )
    assert len(entry["after"]["training_ids"]) == 10 and entry["venue_id"] == venue

    # a skipped date that is not in the series: refused, nothing created
    wrong = admin.post(
        "/api/admin/trainings/series",
        {
            "venue_id": venue,
            "title": "X",
            "first_date": first.isoformat(),
            "start_time": "19:30",
            "duration_minutes": 60,
            "count": 3,
            "skip_dates": [(first + timedelta(days=1)).isoformat()],
        },
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "invalid"
    assert len(q(admin_gw.db, "SELECT 1 FROM trainings WHERE venue_id = :v", v=venue)) == 10


def paid_seat(pay: Harness, telegram_id: int, training: int) -> str:
    pay.pilot(telegram_id)
    held = pay.sign_up(training, telegram_id)
    _charge, provider_charge = pay.pay(held, telegram_id)
    return provider_charge


def test_cancel_training_refunds_two_payers_exactly_once_even_when_retried(admin_gw, pay):
    training = pay.paid_training(capacity=4, title="Кубок")
    charges = [paid_seat(pay, tg, training) for tg in (960_001, 960_002)]
    pay.telegram.clear()
    admin = Admin(admin_gw)

    # a double click: two cancellations at once (two sessions), then a retry
    results = []
    clients = [admin, Admin(admin_gw)]

    def cancel(who):
        results.append(who.post(f"/api/admin/trainings/{training}/cancel"))

    threads = [threading.Thread(target=cancel, args=(who,)) for who in clients]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    again = admin.post(f"/api/admin/trainings/{training}/cancel")
    assert all(r.status_code == 200 for r in [*results, again])
    bodies = [r.json() for r in results]
    assert sorted(b["newly_cancelled"] for b in bodies) == [False, True]
    assert sum(len(b["refunds"]) for b in bodies) == 2
    assert again.json()["newly_cancelled"] is False and again.json()["refunds"] == []
    for charge in charges:
        assert len(pay.yookassa.refunds_for(charge)) == 1  # exactly once
    statuses = [p["status"] for p in pay.payments()]
    assert statuses == ["refunded", "refunded"]
    for tg in (960_001, 960_002):  # every pilot told
        assert any("Кубок" in text for text in pay.texts_to(tg))
    [entry] = q(admin_gw.db, "SELECT * FROM admin_audit_log WHERE action = 'training.cancel'")
    assert entry["actor"].startswith("admin:") and entry["actor"].endswith("via admin_api")
    assert entry["details"] == {"registrations": 2, "refunds": 2, "via": "admin_api"}
    assert published("training_cancelled")
    assert verify(admin_gw.db).ok


def test_cancel_registration_with_and_without_refund(admin_gw, pay):
    training = pay.paid_training(capacity=4)
    refunded_charge = paid_seat(pay, 961_001, training)
    kept_charge = paid_seat(pay, 961_002, training)
    regs = {
        r["telegram_id"]: r["id"]
        for r in q(
            pay.db,
            "SELECT r.id, p.telegram_id FROM registrations r JOIN pilots p ON p.id = r.pilot_id",
        )
    }
    admin = Admin(admin_gw)
    listed = admin.get(f"/api/admin/trainings/{training}/registrations").json()
    assert {r["payment"]["status"] for r in listed} == {"paid"}
    assert all(r["channel_mhz"] for r in listed)

    with_refund = admin.post(f"/api/admin/registrations/{regs[961_001]}/cancel", {"refund": True})
    assert with_refund.status_code == 200
    assert [r["status"] for r in with_refund.json()["refunds"]] == ["refunded"]
    without = admin.post(f"/api/admin/registrations/{regs[961_002]}/cancel", {"refund": False})
    assert without.status_code == 200 and without.json()["refunds"] == []
    assert len(pay.yookassa.refunds_for(refunded_charge)) == 1
    assert pay.yookassa.refunds_for(kept_charge) == []
    twice = admin.post(f"/api/admin/registrations/{regs[961_001]}/cancel", {"refund": True})
    assert twice.status_code == 409
    assert len(pay.yookassa.refunds_for(refunded_charge)) == 1
    actions = [r["action"] for r in q(pay.db, "SELECT action FROM admin_audit_log")]
    assert actions.count("registration.cancel") == 2


def test_move_a_pilot_to_a_channel_answers_with_the_new_rating(admin_gw):
    training = make_training(admin_gw.db, capacity=8)
    with admin_gw.db.transaction(readonly=True) as tx:
        venue = tx.value("SELECT venue_id FROM trainings WHERE id = :t", t=training)
    pilots = [make_pilot(admin_gw.db, 970_000 + i, equipment="R,F") for i in range(3)]
    with admin_gw.db.transaction() as tx:
        regs = [
            seats.insert_confirmed(
                tx, training_id=training, pilot_id=p, channel_mhz=mhz, channel_label=label
            )
            for p, (mhz, label) in zip(
                pilots, [(5760, "F2"), (5800, "F4"), (5840, "F6")], strict=True
            )
        ]
    admin = Admin(admin_gw)
    moved = admin.post(f"/api/admin/registrations/{regs[1]}/channel", {"channel_mhz": 5880})
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["channel_mhz"] == 5880 and body["heat"] == 1
    assert isinstance(body["rating"], int) and body["rating"] > -63  # 5760 5800 5840 → −63
    taken = admin.post(f"/api/admin/registrations/{regs[1]}/channel", {"channel_mhz": 5760})
    assert taken.status_code == 409 and taken.json()["code"] == "channel_unavailable"
    not_on_vtx = admin.post(f"/api/admin/registrations/{regs[1]}/channel", {"channel_mhz": 5705})
    assert not_on_vtx.status_code == 409  # E band: not on an R,F transmitter
    [entry] = q(
        admin_gw.db, "SELECT * FROM admin_audit_log WHERE action = 'registration.move_channel'"
    )
    assert entry["before"]["channel_mhz"] == 5800 and entry["after"]["channel_mhz"] == 5880
    assert entry["venue_id"] == venue
    assert published("channel_change")


def test_rebalance_proposal_then_apply(admin_gw):
    training = make_training(admin_gw.db, capacity=8, min_mhz=5645, max_mhz=5945)
    pilots = [make_pilot(admin_gw.db, 971_000 + i) for i in range(3)]
    with admin_gw.db.transaction() as tx:
        regs = [
            seats.insert_confirmed(
                tx, training_id=training, pilot_id=p, channel_mhz=mhz, channel_label=label
            )
            for p, (mhz, label) in zip(
                pilots, [(5760, "F2"), (5800, "F4"), (5840, "F6")], strict=True
            )
        ]
    admin = Admin(admin_gw)
    entries = q(admin_gw.db, "SELECT count(*) AS n FROM admin_audit_log")[0]["n"]
    proposal = admin.get(f"/api/admin/trainings/{training}/rebalance").json()
    [heat] = proposal["heats"]
    assert heat["moves"] and heat["rating"] > -63 and "rating" in heat["gain"]
    assert q(admin_gw.db, "SELECT count(*) AS n FROM admin_audit_log")[0]["n"] == entries
    with admin_gw.db.transaction(readonly=True) as tx:  # a proposal changes nothing
        assert {r["channel_mhz"] for r in tx.all("SELECT channel_mhz FROM registrations")} == {
            5760, 5800, 5840,
        }  # fmt: skip
    applied = admin.post(f"/api/admin/trainings/{training}/rebalance")
    assert applied.status_code == 200 and applied.json()["applied_moves"] == len(heat["moves"])
    channels = {
        r["id"]: r["channel_mhz"]
        for r in q(
            admin_gw.db,
            "SELECT id, channel_mhz FROM registrations WHERE training_id = :t",
            t=training,
        )
    }
    for move in heat["moves"]:
        assert channels[move["registration_id"]] == move["to_mhz"]
    assert len(set(channels.values())) == 3 and set(channels) == set(regs)
    again = admin.get(f"/api/admin/trainings/{training}/rebalance").json()
    assert again["heats"][0]["moves"] == []  # nothing left to gain
    assert published("rebalance")


def test_attendance_only_after_the_start(admin_gw):
    past = make_training(admin_gw.db, starts_in=-timedelta(hours=2))
    future = make_training(admin_gw.db)
    pilot = make_pilot(admin_gw.db, 972_001)
    with admin_gw.db.transaction() as tx:
        done = seats.insert_confirmed(
            tx, training_id=past, pilot_id=pilot, channel_mhz=5760, channel_label="F2"
        )
        ahead = seats.insert_confirmed(
            tx, training_id=future, pilot_id=pilot, channel_mhz=5760, channel_label="F2"
        )
    admin = Admin(admin_gw)
    marked = admin.post(f"/api/admin/registrations/{done}/attendance", {"attendance": "no_show"})
    assert marked.status_code == 200 and marked.json()["attendance"] == "no_show"
    early = admin.post(f"/api/admin/registrations/{ahead}/attendance", {"attendance": "attended"})
    assert early.status_code == 409
    stats = admin.get("/api/admin/stats").json()
    assert sum(v["no_shows"] for v in stats["venues"]) == 1


def test_edit_training_records_before_and_after(admin_gw):
    training = make_training(admin_gw.db, capacity=8, price_kopecks=0)
    pilots = [make_pilot(admin_gw.db, 973_000 + i) for i in range(3)]
    with admin_gw.db.transaction() as tx:
        for p, mhz in zip(pilots, (5658, 5732, 5806), strict=True):
            seats.insert_confirmed(
                tx, training_id=training, pilot_id=p, channel_mhz=mhz, channel_label="R"
            )
    admin = Admin(admin_gw)
    too_small = admin.patch(f"/api/admin/trainings/{training}", {"capacity": 2})
    assert too_small.status_code == 409
    changed = admin.patch(
        f"/api/admin/trainings/{training}",
        {"capacity": 3, "price_kopecks": 70_000, "track_type": "whoop"},
    )
    assert changed.status_code == 200
    assert (changed.json()["capacity"], changed.json()["track_type"]) == (3, "whoop")
    bad = admin.patch(
        f"/api/admin/trainings/{training}",
        {"ends_at": (datetime.now(UTC) - timedelta(days=1)).isoformat()},
    )
    assert bad.status_code == 422
    [entry] = q(admin_gw.db, "SELECT * FROM admin_audit_log WHERE action = 'training.update'")
    assert entry["before"]["capacity"] == 8 and entry["after"]["capacity"] == 3
    assert entry["after"]["price_kopecks"] == 70_000
    assert published("training_updated")


def test_moving_a_training_tells_each_pilot_once(admin_gw):
    """A new start time reaches every active pilot (outbox, same transaction); an edit that
    does not move it, or the same move sent again, tells nobody again."""
    training = make_training(admin_gw.db, capacity=8, price_kopecks=0)
    pilots = [make_pilot(admin_gw.db, 974_000 + i) for i in range(2)]
    with admin_gw.db.transaction() as tx:
        for p, mhz in zip(pilots, (5658, 5732), strict=True):
            seats.insert_confirmed(
                tx, training_id=training, pilot_id=p, channel_mhz=mhz, channel_label="R"
            )
    [row] = q(admin_gw.db, "SELECT starts_at, ends_at FROM trainings WHERE id = :t", t=training)
    later = {
        "starts_at": (row["starts_at"] + timedelta(hours=2)).isoformat(),
        "ends_at": (row["ends_at"] + timedelta(hours=2)).isoformat(),
    }
    admin = Admin(admin_gw)
    assert (
        admin.patch(f"/api/admin/trainings/{training}", {"notes": "bring goggles"}).json()[
            "pilots_told"
        ]
        == 0
    )
    moved = admin.patch(f"/api/admin/trainings/{training}", later)
    assert moved.status_code == 200 and moved.json()["pilots_told"] == 2
    again = admin.patch(f"/api/admin/trainings/{training}", later)  # a retried request
    assert again.status_code == 200 and again.json()["pilots_told"] == 0
    notices = q(
        admin_gw.db,
        "SELECT payload FROM outbox WHERE kind = 'telegram.message' ORDER BY id",
    )
    assert len(notices) == 2
    assert {n["payload"]["chat_id"] for n in notices} == {974_000, 974_001}
    assert all("перенесена" in n["payload"]["text"] for n in notices)


def test_a_training_moved_later_is_reminded_again_and_one_moved_earlier_is_not(admin_gw):
    """The 24 h reminder went out 4 h ago for a start 20 h away. Moved an hour earlier, that
    reminder still holds (it went out after the new moment); moved two days later, it went out
    for the old time, so it is due again at the new moment (its claim is dropped)."""
    from fpv.jobs.reminders import KIND_BY_NAME, classify

    now = datetime.now(UTC)
    training = make_training(admin_gw.db, capacity=8, starts_in=timedelta(hours=20))
    pilot = make_pilot(admin_gw.db, 975_001)
    with admin_gw.db.transaction() as tx:
        reg = seats.insert_confirmed(
            tx, training_id=training, pilot_id=pilot, channel_mhz=5658, channel_label="R1"
        )
        tx.execute(
            "INSERT INTO reminders_sent (registration_id, kind, claimed_at, sent_at, outcome)"
            " VALUES (:r, '24h', :at, :at, 'sent')",
            r=reg,
            at=now - timedelta(hours=4),
        )
    claims = "SELECT count(*) AS n FROM reminders_sent WHERE registration_id = :r"
    [row] = q(admin_gw.db, "SELECT starts_at, ends_at FROM trainings WHERE id = :t", t=training)
    admin = Admin(admin_gw)

    def move(by: timedelta) -> None:
        body = {
            "starts_at": (row["starts_at"] + by).isoformat(),
            "ends_at": (row["ends_at"] + by).isoformat(),
        }
        assert admin.patch(f"/api/admin/trainings/{training}", body).status_code == 200

    move(-timedelta(hours=1))
    assert q(admin_gw.db, claims, r=reg) == [{"n": 1}]
    move(timedelta(days=2))
    assert q(admin_gw.db, claims, r=reg) == [{"n": 0}]
    new_start = row["starts_at"] + timedelta(days=2)
    kind = KIND_BY_NAME["24h"]
    at_new_moment = new_start - kind.lead + timedelta(minutes=5)
    decision = classify(kind, starts_at=new_start, registered_at=now, now=at_new_moment)
    assert decision == "send"


def test_audit_log_filter_and_export(admin_gw):
    admin = Admin(admin_gw)
    admin.post("/api/admin/cities", {"slug": "omsk", "name_ru": "Омск", "name_en": "Omsk"})
    city = admin.get("/api/admin/cities").json()[0]["id"]
    admin.patch(f"/api/admin/cities/{city}", {"name_en": "Omsk City"})
    only_cities = admin.get("/api/admin/audit", params={"action": "city"}).json()
    assert [e["action"] for e in only_cities] == ["city.update", "city.create"]
    assert (
        only_cities[0]["before"]["name_en"] == "Omsk"
        and only_cities[0]["after"]["name_en"] == "Omsk City"
    )
    export = admin.get("/api/admin/exports/audit")
    assert export.status_code == 200 and export.headers["content-type"].startswith(
        "application/x-ndjson"
    )
    lines = export.text.strip().splitlines()
    assert len(lines) == len(q(admin_gw.db, "SELECT id FROM admin_audit_log"))
    assert '"prev_hash"' in lines[-1] and '"hash"' in lines[-1]


@pytest.fixture
def cli_env(app_env):
    return app_env


def test_fpv_audit_verify_finds_the_first_broken_link(db, cli_env, capsys, monkeypatch):
    import io

    from fpv.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert (
        main(
            [
                "admin",
                "add",
                "--telegram-id",
                "1",
                "--login",
                "first",
                "--role",
                "superadmin",
                "--password-stdin",
            ]
        )
        == 0
    )
    venue = make_venue(db)
    admin = make_admin(db, "second", 2, role="local", venues=[venue])
    make_admin(db, "third", 3)
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert "intact: 3 entries" in capsys.readouterr().out
    [hashed] = q(db, "SELECT password_hash FROM admins WHERE login = 'first'")
    assert hashed["password_hash"].startswith("$argon2id$")

    # change the middle entry behind the application's back, as a superuser
    with db.transaction() as tx:
        tx.execute("SET LOCAL session_replication_role = replica")  # skips the append-only trigger
        tx.execute(
            "UPDATE admin_audit_log SET after = jsonb_set(after, '{role}', '\"superadmin\"')"
            " WHERE target = :t",
            t=f"admin:{admin['id']}",
        )
    assert main(["audit", "verify"]) == 1
    [broken] = q(db, "SELECT id FROM admin_audit_log WHERE target = :t", t=f"admin:{admin['id']}")
    assert f"BROKEN at entry {broken['id']}" in capsys.readouterr().out


def test_a_deleted_entry_breaks_the_chain_and_the_app_cannot_delete(db):
    from pg8000.exceptions import DatabaseError

    for i in range(3):
        make_admin(db, f"boss{i}", 100 + i)
    with pytest.raises(DatabaseError), db.transaction() as tx:
        tx.execute("DELETE FROM admin_audit_log")
    assert verify(db).ok and verify(db).checked == 3
    ids = [r["id"] for r in q(db, "SELECT id FROM admin_audit_log ORDER BY id")]
    with db.transaction() as tx:
        tx.execute("SET LOCAL session_replication_role = replica")
        tx.execute("DELETE FROM admin_audit_log WHERE id = :id", id=ids[1])
    result = verify(db)
    assert not result.ok and result.broken_id == ids[2] and "previous" in result.reason


def test_api_keys_are_shown_once_stored_hashed_and_revocable(admin_gw):
    from fpv import apikeys

    venue = make_venue(admin_gw.db)
    admin = Admin(admin_gw)
    made = admin.post(
        "/api/admin/api-keys",
        {"name": "Timing gates", "scopes": ["schedule:read", "stats:read"], "venue_ids": [venue]},
    )
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    assert key.startswith("fpv_") and made.json()["prefix"] == key[:10]
    listed = admin.get("/api/admin/api-keys").json()
    assert "key" not in listed[0] and listed[0]["scopes"] == ["schedule:read", "stats:read"]
    stored = str(q(admin_gw.db, "SELECT * FROM api_keys"))
    assert key not in stored
    assert key not in str(q(admin_gw.db, "SELECT * FROM admin_audit_log"))
    actor = apikeys.authenticate(admin_gw.db, key)  # what the integration API calls
    assert actor.kind == "api_key" and actor.sees_venue(venue) and not actor.sees_venue(venue + 1)
    assert actor.scopes == {"schedule:read", "stats:read"}
    wrong_scope = admin.post(
        "/api/admin/api-keys", {"name": "x", "scopes": ["everything"], "venue_ids": [venue]}
    )
    assert wrong_scope.status_code == 422
    revoked = admin.post(f"/api/admin/api-keys/{made.json()['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    with pytest.raises(apikeys.Unauthenticated):
        apikeys.authenticate(admin_gw.db, key)
    actions = [r["action"] for r in q(admin_gw.db, "SELECT action FROM admin_audit_log")]
    assert "api_key.create" in actions and "api_key.revoke" in actions
