"""Public site publishing at scale: 1,000 trainings and 10,000 registrations.

Figures (all measured in this run, against real PostgreSQL):
* first publication into an empty folder (every object written, every QR code drawn);
* full rebuild: every object rendered, compared and rewritten (what a template change costs;
  QR codes are drawn only for new trainings, so they are not redrawn);
* one registration later: objects uploaded vs. the naive baseline "upload everything", locally
  and to S3 + CloudFront (moto), with the invalidated paths;
* a publisher that finds its snapshot already published (every event of a burst but the first),
  and a burst of ten sign-ups followed by their ten events.

The goal from issue 7: full rebuild under 2 s, and only the affected pages after a change.
Database: TEST_DATABASE_URL or DATABASE_URL (a temporary database is created on that server),
else the embedded PostgreSQL under .fpv/bench-pgdata.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.support import temporary_database

TRAININGS = 1000
REGISTRATIONS = 10_000
PILOTS = 2000
CITIES = 4
VENUES_PER_CITY = 5


def _seed(db, now: datetime) -> None:
    """Bulk fixture data (set-based SQL: inserting 10,000 rows one by one would measure the
    seeding, not the site)."""
    bands = [5658, 5695, 5732, 5769, 5806, 5843, 5880, 5917]
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO cities (slug, name_ru, name_en)"
            " SELECT 'city-' || c, 'Город ' || c, 'City ' || c FROM generate_series(1, :n) c",
            n=CITIES,
        )
        tx.execute(
            "INSERT INTO venues (city_id, slug, name, address, time_zone, latitude, longitude)"
            " SELECT c.id, c.slug || '-venue-' || v, 'Площадка ' || c.slug || '/' || v,"
            " 'ул. Тестовая, ' || v,"
            " CASE WHEN c.id % 2 = 0 THEN 'Asia/Novosibirsk' ELSE 'Europe/Moscow' END,"
            " 55.0 + v / 100.0, 37.0 + c.id"
            " FROM cities c CROSS JOIN generate_series(1, :n) v",
            n=VENUES_PER_CITY,
        )
        tx.execute(
            "INSERT INTO trainings (venue_id, title, track_type, starts_at, ends_at, capacity,"
            " price_kopecks)"
            " SELECT v.id, 'Тренировка №' || i,"
            " (ARRAY['race','freestyle','whoop','open'])[1 + i % 4],"
            " CAST(:now AS timestamptz) + i * interval '83 minutes' + interval '1 day',"
            " CAST(:now AS timestamptz) + i * interval '83 minutes' + interval '27 hours', 16,"
            " CASE WHEN i % 2 = 0 THEN 50000 ELSE 0 END"
            " FROM generate_series(0, :n - 1) i"
            " JOIN LATERAL (SELECT id FROM venues ORDER BY id OFFSET (i % :venues) LIMIT 1) v"
            " ON true",
            now=now,
            n=TRAININGS,
            venues=CITIES * VENUES_PER_CITY,
        )
        tx.execute(
            "INSERT INTO user_consent (telegram_id, policy_version)"
            " SELECT 5000000 + p, 'bench' FROM generate_series(1, :n) p",
            n=PILOTS,
        )
        tx.execute(
            "INSERT INTO pilots (telegram_id, nickname, show_on_site)"
            " SELECT 5000000 + p, 'pilot_' || p, p % 2 = 0 FROM generate_series(1, :n) p",
            n=PILOTS,
        )
        # what else the site shows: season passes on every training page, a leaderboard per
        # city (ratings of this season and the last one, half of the pilots opted in)
        tx.execute(
            "INSERT INTO pass_products (venue_id, title, trainings, valid_days, price_kopecks,"
            " track_types) VALUES"
            " (NULL, 'Безлимит на месяц', NULL, 30, 900000, '{}'),"
            " (NULL, 'Восемь тренировок', 8, 60, 400000, '{}'),"
            " ((SELECT min(id) FROM venues), 'Гонки на площадке', 5, 30, 200000, '{race}')"
        )
        tx.execute(
            "INSERT INTO pilot_ratings (season, city_id, pilot_id, mu, sigma, ordinal, races,"
            " best_lap_ms, trainings, streak)"
            " SELECT s.season, c.id, p.id, 25 + p.id % 17, 8.3 - p.id % 5, 0.5 + p.id % 29,"
            " 3 + p.id % 11, 11000 + p.id % 3000, 1 + p.id % 9, p.id % 4"
            " FROM (VALUES (:season), (:season - 1)) s(season) CROSS JOIN cities c"
            " JOIN pilots p ON p.id % :cities = c.id % :cities",
            season=now.year,
            cities=CITIES,
        )
        per_training = REGISTRATIONS // TRAININGS
        tx.execute(
            "INSERT INTO registrations (training_id, pilot_id, status, channel_mhz,"
            " channel_label, heat)"
            " SELECT t.id, p.id, 'confirmed', (CAST(:bands AS int[]))[1 + k % 8],"
            " 'R' || (1 + k % 8), 1 + k / 8"
            " FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM trainings) t"
            " CROSS JOIN generate_series(0, :per - 1) k"
            " JOIN pilots p ON p.telegram_id = 5000000 + 1 + ((t.n * :per + k) % :pilots)",
            bands=bands,
            per=per_training,
            pilots=PILOTS,
        )


def _breakdown(db, config, now: datetime) -> None:
    from fpv.site.build import read_snapshot
    from fpv.site.model import leaderboard_document, schedule_document
    from fpv.site.render import render_site

    snapshot, read_s = _timed(lambda: read_snapshot(db, now=now))
    (doc, boards), doc_s = _timed(
        lambda: (
            schedule_document(snapshot, config, now=now),
            leaderboard_document(snapshot, now=now),
        )
    )
    objects, setup_s = _timed(lambda: render_site(doc, config, now=now, boards=boards))
    _, bytes_s = _timed(lambda: [o.body() for o in objects])
    print(
        f"  of which: database read {read_s:.2f} s, document {doc_s:.2f} s, feeds + digests"
        f" {setup_s:.2f} s, pages and data rendered {bytes_s:.2f} s; the rest is hashing and"
        " writing files"
    )


def _timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main() -> None:
    import boto3
    from moto import mock_aws

    from fpv.db import Database
    from fpv.migrate import migrate
    from fpv.ports.events import InProcessEventBus
    from fpv.ports.storage import CloudFrontCdn, LocalDirStorage, S3Storage
    from fpv.registrations import sign_up
    from fpv.site import qr
    from fpv.site.build import publish_site
    from fpv.site.model import SiteConfig

    config = SiteConfig(bot_username="fpv_bench_bot", public_base_url="https://schedule.example")
    now = datetime.now(UTC)
    with temporary_database() as url, tempfile.TemporaryDirectory() as folder:
        db = Database(url)
        migrate(db)
        _, seeding = _timed(lambda: _seed(db, now))
        with db.transaction() as tx:
            counts = tx.one(
                "SELECT (SELECT count(*) FROM trainings) AS trainings,"
                " (SELECT count(*) FROM registrations) AS registrations"
            )
        print(
            f"data: {counts['trainings']} trainings, {counts['registrations']} registrations,"
            f" {PILOTS} pilots, {CITIES * VENUES_PER_CITY} venues (seeded in {seeding:.1f} s)"
        )
        storage = LocalDirStorage(Path(folder) / "site")
        qr.qr_svg.cache_clear()
        first, first_s = _timed(lambda: publish_site(db, storage, config=config))
        total = first.objects
        print(
            f"first publication, empty folder: {len(first.uploaded)} objects in {first_s:.2f} s"
            f" (includes drawing {first.trainings + 1} QR codes)"
        )
        # best of three: the figure is the work, not the noise of a shared machine
        rebuilds = [
            _timed(lambda: publish_site(db, storage, config=config, force=True)) for _ in range(3)
        ]
        full, full_s = min(rebuilds, key=lambda r: r[1])
        verdict = "meets" if full_s < 2 else "MISSES"
        print(
            f"full rebuild, every object rendered, hashed and stored: {full_s:.2f} s"
            f" ({verdict} the 2 s goal; all {full.objects} objects, every page rewritten with"
            " its new 'updated' stamp, files already holding the same bytes (QR codes,"
            " feeds, assets) left alone)"
        )
        print(f"  all three: {', '.join(f'{r[1]:.2f} s' for r in rebuilds)}")
        _breakdown(db, config, now)
        same, same_s = _timed(lambda: publish_site(db, storage, config=config))
        assert same.skipped
        print(
            f"publisher finding its snapshot already published: {same_s * 1000:.0f} ms"
            f" ({same_s / full_s:.3f}x a full rebuild)"
        )

        bus = InProcessEventBus()
        with db.transaction() as tx:
            target = tx.value(
                "SELECT id FROM trainings WHERE price_kopecks = 0 AND seats_taken < capacity"
                " ORDER BY starts_at LIMIT 1"
            )
            tx.execute(
                "INSERT INTO user_consent (telegram_id, policy_version) VALUES (7000001, 'b')"
            )
            tx.execute(
                "INSERT INTO pilots (telegram_id, nickname, show_on_site)"
                " VALUES (7000001, 'newcomer', true)"
            )
        sign_up(db, bus, training_id=target, telegram_id=7_000_001)
        one, one_s = _timed(lambda: publish_site(db, storage, config=config))
        print(
            f"one registration, local folder: {len(one.uploaded)} of {total} objects uploaded"
            f" ({len(one.uploaded) / total:.2%} of the naive 'upload everything' baseline),"
            f" {one_s:.2f} s ({one_s / full_s:.2f}x a full rebuild)"
        )
        print(f"  uploaded: {', '.join(sorted(one.uploaded))}")

        # A burst: ten sign-ups commit, then their ten events are handled one after another
        # (as the queued Lambda invocations are). Naive: ten full renders and uploads.
        with db.transaction() as tx:
            tx.execute(
                "INSERT INTO user_consent (telegram_id, policy_version)"
                " SELECT 7100000 + i, 'b' FROM generate_series(1, 10) i"
            )
            tx.execute(
                "INSERT INTO pilots (telegram_id, nickname)"
                " SELECT 7100000 + i, 'burst_' || i FROM generate_series(1, 10) i"
            )
            burst_targets = [
                r["id"]
                for r in tx.all(
                    "SELECT id FROM trainings WHERE price_kopecks = 0"
                    " AND seats_taken < capacity ORDER BY starts_at DESC LIMIT 10"
                )
            ]
        for i, training_id in enumerate(burst_targets, start=1):
            sign_up(db, bus, training_id=training_id, telegram_id=7_100_000 + i)
        burst, burst_s = _timed(
            lambda: [publish_site(db, storage, config=config) for _ in burst_targets]
        )
        renders = sum(not r.skipped for r in burst)
        uploaded = sum(len(r.uploaded) for r in burst)
        print(
            f"burst of {len(burst)} sign-ups, then their {len(burst)} events: {renders} render(s),"
            f" {len(burst) - renders} skipped, {uploaded} objects uploaded, {burst_s:.2f} s"
            f" (naive: {len(burst)} renders, ~{len(burst) * full_s:.1f} s)"
        )

        os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
        os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
        with mock_aws():
            s3 = boto3.client("s3", region_name="eu-central-1")
            s3.create_bucket(
                Bucket="bench-site",
                CreateBucketConfiguration={"LocationConstraint": "eu-central-1"},
            )
            cloudfront = boto3.client("cloudfront", region_name="us-east-1")
            distribution = cloudfront.create_distribution(
                DistributionConfig={
                    "CallerReference": "bench",
                    "Comment": "bench",
                    "Enabled": True,
                    "Origins": {
                        "Quantity": 1,
                        "Items": [
                            {
                                "Id": "s3",
                                "DomainName": "bench-site.s3.amazonaws.com",
                                "S3OriginConfig": {"OriginAccessIdentity": ""},
                            }
                        ],
                    },
                    "DefaultCacheBehavior": {
                        "TargetOriginId": "s3",
                        "ViewerProtocolPolicy": "allow-all",
                        "MinTTL": 0,
                    },
                }
            )["Distribution"]["Id"]
            bucket = S3Storage("bench-site", client=s3)
            cdn = CloudFrontCdn(distribution, client=cloudfront)
            s3_first, s3_first_s = _timed(lambda: publish_site(db, bucket, cdn=cdn, config=config))
            print(
                f"S3 (moto) first publication: {len(s3_first.uploaded)} objects,"
                f" {s3_first_s:.2f} s, invalidation {s3_first.invalidated[:3]}"
            )
            with db.transaction() as tx:
                tx.execute(
                    "INSERT INTO user_consent (telegram_id, policy_version) VALUES (7000002, 'b')"
                )
                tx.execute("INSERT INTO pilots (telegram_id, nickname) VALUES (7000002, 'late')")
            sign_up(db, bus, training_id=target, telegram_id=7_000_002)
            s3_one, s3_one_s = _timed(lambda: publish_site(db, bucket, cdn=cdn, config=config))
            print(
                f"one registration, S3 (moto): {len(s3_one.uploaded)} of {s3_first.objects}"
                f" objects uploaded, {len(s3_one.invalidated)} paths invalidated,"
                f" {s3_one_s:.2f} s"
            )
            print(f"  invalidated: {', '.join(s3_one.invalidated)}")
        db.close()


if __name__ == "__main__":
    main()
