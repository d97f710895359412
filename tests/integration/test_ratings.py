"""Results and ratings: a RotorHazard export imported for a training, callsigns matched to
nicknames (the unmatched kept for a decision), ratings equal openskill's own sequential updates
on the same data, recomputed from scratch with the same result; the board shows only opted-in
pilots; /delete_me takes a pilot off every board and out of the results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openskill.models import PlackettLuce

from fpv import ratings
from fpv.actors import SYSTEM, admin
from fpv.ports.events import InProcessEventBus
from fpv.ratings.rotorhazard import ExportUnreadable, lap_ms, parse
from fpv.registrations import delete_person
from tests.support.factories import make_pilot, make_training, make_venue

DATA = Path(__file__).resolve().parents[1] / "data"
PILOTS = {"Skywalker": 9101, "Korvin": 9102, "Vortex": 9103}


def setup(db, *, shown=("Skywalker", "Korvin")) -> tuple[int, int]:
    venue = make_venue(db)
    ids = {}
    for nick, tid in PILOTS.items():
        ids[nick] = make_pilot(db, tid, nickname=nick)
    with db.transaction() as tx:
        for nick in shown:
            tx.execute("UPDATE pilots SET show_on_site = true WHERE id = :id", id=ids[nick])
        city = tx.value("SELECT city_id FROM venues WHERE id = :v", v=venue)
    training = make_training(
        db, venue_id=venue, starts_in=timedelta(days=-1), now=datetime(2026, 11, 20, tzinfo=UTC)
    )
    return training, city


def test_the_json_and_csv_exports_read_the_same_rounds():
    from_json = parse((DATA / "rotorhazard-results.json").read_bytes(), "results.json")
    from_csv = parse((DATA / "rotorhazard-results.csv").read_bytes(), "results.csv")
    heat_one = [r for r in from_json if r.heat == "Heat 1"]
    assert from_csv == heat_one  # summaries and event leaderboards are not heat results
    assert {r.heat for r in from_json} == {"Heat 1", "Final"}
    assert lap_ms("0:12.345") == 12_345 and lap_ms("1:02.5") == 62_500 and lap_ms("") is None
    with pytest.raises(ExportUnreadable):
        parse(b'{"Pilots": {}}', "x.json")
    with pytest.raises(ExportUnreadable):
        parse(b"Rank,Pilot\n", "x.csv")


def test_import_matches_callsigns_and_ratings_equal_openskill_sequential_updates(db):
    training, city = setup(db)
    report = ratings.import_results(
        db, SYSTEM, training, (DATA / "rotorhazard-results.json").read_bytes(), "r.json"
    )
    assert report.unmatched == ["Stranger"] and report.results == 11 and report.matched == 9

    # the library's own updates, race by race in the export's order, on the matched pilots
    model = PlackettLuce()
    expected: dict[str, object] = {}
    for race in [
        ["Skywalker", "Korvin", "Vortex"],  # Heat 1, round 1 (Stranger unmatched: not rated)
        ["Korvin", "Skywalker", "Vortex"],  # Heat 1, round 2
        ["Vortex", "Skywalker", "Korvin"],  # Final
    ]:
        teams = [[expected.get(n) or model.rating(name=n)] for n in race]
        for nick, team in zip(race, model.rate(teams, ranks=[1, 2, 3]), strict=True):
            expected[nick] = team[0]
    with db.transaction(readonly=True) as tx:
        rows = {
            r["nickname"]: r
            for r in tx.all(
                "SELECT p.nickname, r.* FROM pilot_ratings r JOIN pilots p ON p.id = r.pilot_id"
            )
        }
    for nick, rating in expected.items():
        assert rows[nick]["mu"] == pytest.approx(rating.mu, abs=1e-9)
        assert rows[nick]["sigma"] == pytest.approx(rating.sigma, abs=1e-9)
        assert rows[nick]["city_id"] == city and rows[nick]["races"] == 3
    assert rows["Vortex"]["best_lap_ms"] == 11_900  # 'vortex' in the final, any case

    before = sorted((r["nickname"], r["mu"], r["sigma"]) for r in rows.values())
    ratings.recompute(db, 2026)
    with db.transaction(readonly=True) as tx:
        again = tx.all(
            "SELECT p.nickname, r.mu, r.sigma FROM pilot_ratings r JOIN pilots p"
            " ON p.id = r.pilot_id"
        )
    assert sorted((r["nickname"], r["mu"], r["sigma"]) for r in again) == before

    # only opted-in pilots are on the board
    board = ratings.leaderboard(db, city, season=2026)
    assert {r["nickname"] for r in board} == {"Skywalker", "Korvin"}

    # the unmatched callsign, decided by an admin, joins the ratings
    make_pilot(db, 9104, nickname="Newbie")
    assert ratings.match_callsign(db, SYSTEM, training, "Stranger", "Newbie") == 2
    with db.transaction(readonly=True) as tx:
        assert tx.value("SELECT count(*) FROM pilot_ratings") == 4

    # importing the same export again changes nothing (the rows are replaced as a whole)
    ratings.import_results(
        db, SYSTEM, training, (DATA / "rotorhazard-results.json").read_bytes(), "r.json"
    )
    with db.transaction(readonly=True) as tx:
        assert tx.value("SELECT count(*) FROM heat_results") == 11


def test_a_local_admin_records_results_only_for_their_venues(db):
    training, _city = setup(db)
    other = make_venue(db)
    with pytest.raises(ratings.NotFound):
        ratings.import_results(
            db,
            admin(5, "local", {other}, via="admin_api"),
            training,
            (DATA / "rotorhazard-results.csv").read_bytes(),
            "r.csv",
        )


def test_delete_me_takes_the_pilot_off_every_board_and_out_of_the_results(db):
    training, city = setup(db)
    ratings.import_results(
        db, SYSTEM, training, (DATA / "rotorhazard-results.json").read_bytes(), "r.json"
    )
    delete_person(db, InProcessEventBus(), telegram_id=PILOTS["Skywalker"])
    assert "Skywalker" not in {r["nickname"] for r in ratings.leaderboard(db, city, season=2026)}
    with db.transaction(readonly=True) as tx:
        assert tx.value("SELECT count(*) FROM heat_results WHERE callsign = 'Skywalker'") == 0
    ratings.recompute(db, 2026)  # and a recompute does not bring them back
    with db.transaction(readonly=True) as tx:
        assert tx.value("SELECT count(*) FROM pilot_ratings") == 2


def test_rating_in_the_bot(app_env, tmp_path, monkeypatch, db):
    from tests.support.bot import bot_platform

    training, _city = setup(db)
    ratings.import_results(
        db, SYSTEM, training, (DATA / "rotorhazard-results.json").read_bytes(), "r.json"
    )
    with bot_platform(tmp_path, monkeypatch, full_template=False) as p:
        chat = p.chat(PILOTS["Vortex"])  # not shown on the site: rated, but not on the board
        chat.send("/rating")
        text = chat.last().text
        assert "заездов 3" in text and "лучший круг 11.900" in text
        assert "Вас нет в публичной таблице" in text
        assert "Skywalker" in text and "Korvin" in text
        assert "\n3. " not in text  # only the two opted-in pilots are listed
