"""Data access for the integration and app APIs: API keys and their rate windows, webhook
subscriptions, app sign-ins and devices, private calendar feeds, and the read models the APIs
show (the schedule, a venue's registrations, a pilot's notifications)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fpv.db import Row, Tx

# --- API keys -----------------------------------------------------------------------------------
_KEY = (
    "id, name, prefix, scopes, venue_ids, rate_per_minute, created_at, last_used_at, revoked_at,"
    " created_by"
)


def insert_api_key(
    tx: Tx,
    *,
    name: str,
    key_hash: str,
    prefix: str,
    scopes: list[str],
    venue_ids: list[int],
    rate_per_minute: int,
    created_by: int | None,
) -> Row:
    row = tx.one(
        "INSERT INTO api_keys (name, key_hash, prefix, scopes, venue_ids, rate_per_minute,"  # noqa: S608 - constant
        " created_by) VALUES (:name, :hash, :prefix, CAST(:scopes AS text[]),"
        f" CAST(:venues AS bigint[]), :rate, :by) RETURNING {_KEY}",
        name=name,
        hash=key_hash,
        prefix=prefix,
        scopes=scopes,
        venues=venue_ids,
        rate=rate_per_minute,
        by=created_by,
    )
    assert row is not None
    return row


def api_keys(tx: Tx) -> list[Row]:
    return tx.all(f"SELECT {_KEY} FROM api_keys ORDER BY id")  # noqa: S608 - constant


def api_key(tx: Tx, key_id: int) -> Row | None:
    return tx.one(f"SELECT {_KEY} FROM api_keys WHERE id = :id", id=key_id)  # noqa: S608


def api_key_by_hash(tx: Tx, key_hash: str) -> Row | None:
    return tx.one(f"SELECT {_KEY} FROM api_keys WHERE key_hash = :h", h=key_hash)  # noqa: S608


def revoke_api_key(tx: Tx, key_id: int) -> Row | None:
    row = tx.one(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = :id"  # noqa: S608
        f" RETURNING {_KEY}",
        id=key_id,
    )
    if row is not None:
        tx.execute(
            "UPDATE webhook_subscriptions SET disabled_at = coalesce(disabled_at, now()),"
            " disabled_reason = coalesce(disabled_reason, 'key revoked') WHERE api_key_id = :id",
            id=key_id,
        )
    return row


def existing_venue_ids(tx: Tx, venue_ids: list[int]) -> list[int]:
    rows = tx.all("SELECT id FROM venues WHERE id = ANY(CAST(:ids AS bigint[]))", ids=venue_ids)
    return [r["id"] for r in rows]


def hit(tx: Tx, key_id: int, window_start: datetime, now: datetime) -> int:
    """Count one request in the key's current window; returns the window's count. Last use is
    written at most once a minute (it is the window's first hit)."""
    hits = int(
        tx.value(
            "INSERT INTO api_key_hits (api_key_id, window_start, hits) VALUES (:id, :w, 1)"
            " ON CONFLICT (api_key_id, window_start) DO UPDATE"
            " SET hits = api_key_hits.hits + 1 RETURNING hits",
            id=key_id,
            w=window_start,
        )
    )
    if hits == 1:
        tx.execute("UPDATE api_keys SET last_used_at = :now WHERE id = :id", id=key_id, now=now)
    return hits


def purge_hits(tx: Tx, *, before: datetime) -> int:
    return tx.execute("DELETE FROM api_key_hits WHERE window_start < :b", b=before)


# --- webhook subscriptions ----------------------------------------------------------------------
_SUB = (
    "s.id, s.api_key_id, s.url, s.event_types, s.created_at, s.failing_since, s.disabled_at,"
    " s.disabled_reason"
)


def insert_subscription(
    tx: Tx, *, key_id: int, url: str, event_types: list[str], secret: str
) -> Row | None:
    return tx.one(
        "INSERT INTO webhook_subscriptions (api_key_id, url, event_types, secret)"
        " VALUES (:k, :url, CAST(:patterns AS text[]), :secret)"
        " ON CONFLICT (api_key_id, url) DO NOTHING"
        " RETURNING id, api_key_id, url, event_types, created_at, failing_since, disabled_at,"
        " disabled_reason",
        k=key_id,
        url=url,
        patterns=event_types,
        secret=secret,
    )


def subscriptions(tx: Tx, key_id: int) -> list[Row]:
    return tx.all(
        f"SELECT {_SUB} FROM webhook_subscriptions s WHERE s.api_key_id = :k"  # noqa: S608
        " ORDER BY s.id",
        k=key_id,
    )


def delete_subscription(tx: Tx, key_id: int, subscription_id: int) -> bool:
    return (
        tx.execute(
            "DELETE FROM webhook_subscriptions WHERE id = :id AND api_key_id = :k",
            id=subscription_id,
            k=key_id,
        )
        > 0
    )


def active_subscriptions(tx: Tx) -> list[Row]:
    """Every enabled subscription of a live key, with what its key may see."""
    return tx.all(
        f"SELECT {_SUB}, k.venue_ids, k.scopes FROM webhook_subscriptions s"  # noqa: S608
        " JOIN api_keys k ON k.id = s.api_key_id"
        " WHERE s.disabled_at IS NULL AND k.revoked_at IS NULL ORDER BY s.id"
    )


def subscription_for_delivery(tx: Tx, subscription_id: int) -> Row | None:
    return tx.one(
        "SELECT s.id, s.url, s.secret, s.disabled_at, s.failing_since, k.revoked_at, k.name"
        " FROM webhook_subscriptions s JOIN api_keys k ON k.id = s.api_key_id WHERE s.id = :id",
        id=subscription_id,
    )


def subscription_ok(tx: Tx, subscription_id: int) -> None:
    tx.execute(
        "UPDATE webhook_subscriptions SET failing_since = NULL WHERE id = :id",
        id=subscription_id,
    )


def subscription_failed(tx: Tx, subscription_id: int, now: datetime) -> datetime:
    """Marks the start of a run of failures; returns when it started."""
    return tx.value(
        "UPDATE webhook_subscriptions SET failing_since = coalesce(failing_since, :now)"
        " WHERE id = :id RETURNING failing_since",
        id=subscription_id,
        now=now,
    )


def disable_subscription(tx: Tx, subscription_id: int, reason: str) -> bool:
    return (
        tx.execute(
            "UPDATE webhook_subscriptions SET disabled_at = now(), disabled_reason = :r"
            " WHERE id = :id AND disabled_at IS NULL",
            id=subscription_id,
            r=reason,
        )
        > 0
    )


def webhook_row(tx: Tx, msg_id: str, key_id: int | None) -> Row | None:
    """The latest outbox row of a webhook message (of this key's subscriptions when key_id is
    given); delivered rows are kept a week."""
    return tx.one(
        "SELECT o.id, o.payload, o.done_at, o.outcome FROM outbox o"
        " JOIN webhook_subscriptions s"
        " ON s.id = CAST(o.payload->'webhook'->>'subscription_id' AS bigint)"
        " WHERE o.kind = 'event' AND o.payload->'webhook'->>'msg_id' = :m"
        " AND (CAST(:k AS bigint) IS NULL OR s.api_key_id = :k) ORDER BY o.id DESC LIMIT 1",
        m=msg_id,
        k=key_id,
    )


# --- read models for the APIs -------------------------------------------------------------------
def cities(tx: Tx) -> list[Row]:
    return tx.all("SELECT id, slug, name_ru, name_en FROM cities ORDER BY id")


def venues(tx: Tx, city_id: int | None) -> list[Row]:
    return tx.all(
        "SELECT v.id, v.slug, v.name, v.address, v.latitude, v.longitude, v.time_zone,"
        " v.city_id, c.slug AS city_slug FROM venues v JOIN cities c ON c.id = v.city_id"
        " WHERE (CAST(:city AS bigint) IS NULL OR v.city_id = :city) ORDER BY v.id",
        city=city_id,
    )


_TRAINING = (
    "t.id, t.public_id::text AS public_id, t.title, t.track_type, t.starts_at, t.ends_at,"
    " t.capacity, t.seats_taken, t.price_kopecks, t.status, t.notes, t.updated_at, t.venue_id,"
    " v.name AS venue_name, v.slug AS venue_slug, v.address AS venue_address, v.latitude,"
    " v.longitude, v.time_zone,"
    " v.city_id, v.min_mhz, v.max_mhz"
)


def trainings(
    tx: Tx,
    *,
    city_id: int | None,
    venue_id: int | None,
    starts_from: datetime,
    starts_to: datetime | None,
    free_seats: int | None,
    after: tuple[datetime, int] | None,
    limit: int,
) -> list[Row]:
    """Scheduled and cancelled trainings, by start time then id (keyset pagination)."""
    return tx.all(
        f"SELECT {_TRAINING} FROM trainings t JOIN venues v ON v.id = t.venue_id"  # noqa: S608
        " WHERE t.starts_at >= :since"
        " AND (CAST(:until AS timestamptz) IS NULL OR t.starts_at < :until)"
        " AND (CAST(:city AS bigint) IS NULL OR v.city_id = :city)"
        " AND (CAST(:venue AS bigint) IS NULL OR t.venue_id = :venue)"
        " AND (CAST(:free AS integer) IS NULL"
        "      OR (t.status = 'scheduled' AND t.capacity - t.seats_taken >= :free))"
        " AND (CAST(:after_at AS timestamptz) IS NULL"
        "      OR (t.starts_at, t.id) > (:after_at, :after_id))"
        " ORDER BY t.starts_at, t.id LIMIT :limit",
        **{
            "since": starts_from,
            "until": starts_to,
            "city": city_id,
            "venue": venue_id,
            "free": free_seats,
            "after_at": after[0] if after else None,
            "after_id": after[1] if after else 0,
            "limit": limit,
        },
    )


def training(tx: Tx, training_id: int) -> Row | None:
    return tx.one(
        f"SELECT {_TRAINING} FROM trainings t JOIN venues v ON v.id = t.venue_id"  # noqa: S608
        " WHERE t.id = :id",
        id=training_id,
    )


_REGISTRATION = (
    "r.id, r.public_id::text AS public_id, r.training_id, r.status, r.channel_mhz,"
    " r.channel_label, r.heat, r.created_at, r.updated_at, p.nickname,"
    " (SELECT py.status FROM payments py WHERE py.registration_id = r.id"
    "  ORDER BY py.id DESC LIMIT 1) AS payment_status, t.price_kopecks, t.venue_id"
)


def venue_registrations(
    tx: Tx, *, venue_id: int, training_id: int | None, after_id: int, limit: int
) -> list[Row]:
    return tx.all(
        f"SELECT {_REGISTRATION} FROM registrations r"  # noqa: S608
        " JOIN trainings t ON t.id = r.training_id LEFT JOIN pilots p ON p.id = r.pilot_id"
        " WHERE t.venue_id = :v AND (CAST(:tr AS bigint) IS NULL OR r.training_id = :tr)"
        " AND r.id > :after ORDER BY r.id LIMIT :limit",
        v=venue_id,
        tr=training_id,
        after=after_id,
        limit=limit,
    )


def registration_view(tx: Tx, registration_id: int) -> Row | None:
    return tx.one(
        f"SELECT {_REGISTRATION}, p.telegram_id FROM registrations r"  # noqa: S608
        " JOIN trainings t ON t.id = r.training_id LEFT JOIN pilots p ON p.id = r.pilot_id"
        " WHERE r.id = :id",
        id=registration_id,
    )


def board(tx: Tx, training_id: int) -> list[Row]:
    """A training's channel board: seated pilots' channels and heats; the nickname only for
    pilots who show it on the site."""
    return tx.all(
        "SELECT r.heat, r.channel_mhz, r.channel_label, r.status,"
        " CASE WHEN p.show_on_site THEN p.nickname END AS nickname"
        " FROM registrations r JOIN pilots p ON p.id = r.pilot_id WHERE r.training_id = :tr"
        " AND r.status IN ('pending_payment', 'confirmed') ORDER BY r.heat, r.channel_mhz",
        tr=training_id,
    )


def pilot_feed_rows(tx: Tx, telegram_id: int, since: datetime) -> list[Row]:
    """A pilot's registrations for the private calendar (recent and upcoming, active or not)."""
    return tx.all(
        f"SELECT {_TRAINING}, r.id AS registration_id, r.status AS registration_status,"  # noqa: S608
        " r.channel_mhz, r.channel_label, r.heat, r.updated_at AS registration_updated_at"
        " FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
        " JOIN trainings t ON t.id = r.training_id JOIN venues v ON v.id = t.venue_id"
        " WHERE p.telegram_id = :tg AND t.ends_at > :since"
        " AND r.status IN ('waitlisted', 'pending_payment', 'confirmed')"
        " ORDER BY t.starts_at, r.id",
        tg=telegram_id,
        since=since,
    )


def notifications(tx: Tx, telegram_id: int, since: datetime, limit: int) -> list[Row]:
    """What the platform told a pilot in Telegram since `since`, newest first: queued messages
    (promotions, channel moves, cancellations, refunds; kept a week after delivery) and the
    reminders sent (`kind` '24h'/'1h' with the training's title, texts made by the caller)."""
    return tx.all(
        "SELECT * FROM ("
        " SELECT 'message' AS source, o.id, o.payload->>'text' AS text, NULL AS kind,"
        "  NULL AS title, o.created_at AS at, o.outcome = 'delivered' AS delivered"
        "  FROM outbox o WHERE o.telegram_id = :tg AND o.kind = 'telegram.message'"
        "  AND o.created_at >= :since"
        " UNION ALL"
        " SELECT 'reminder', r.id, NULL, s.kind, t.title, s.sent_at, true"
        "  FROM reminders_sent s JOIN registrations r ON r.id = s.registration_id"
        "  JOIN pilots p ON p.id = r.pilot_id JOIN trainings t ON t.id = r.training_id"
        "  WHERE p.telegram_id = :tg AND s.outcome = 'sent' AND s.sent_at >= :since"
        "  AND s.kind IN ('24h', '1h')"
        ") n ORDER BY at DESC, id DESC LIMIT :limit",
        tg=telegram_id,
        since=since,
        limit=limit,
    )


# --- app sign-in, devices, feeds ----------------------------------------------------------------
def insert_sign_in(
    tx: Tx, *, nonce_hash: str, verifier_hash: str, device_name: str, expires_at: datetime
) -> None:
    tx.execute(
        "INSERT INTO app_sign_ins (nonce_hash, verifier_hash, device_name, expires_at)"
        " VALUES (:n, :v, :d, :e)",
        n=nonce_hash,
        v=verifier_hash,
        d=device_name,
        e=expires_at,
    )


def sign_in(tx: Tx, nonce_hash: str, *, for_update: bool = False) -> Row | None:
    lock = " FOR UPDATE" if for_update else ""
    return tx.one(
        "SELECT nonce_hash, verifier_hash, device_name, expires_at, telegram_id, confirmed_at,"  # noqa: S608
        f" used_at FROM app_sign_ins WHERE nonce_hash = :n{lock}",
        n=nonce_hash,
    )


def confirm_sign_in(tx: Tx, nonce_hash: str, telegram_id: int, now: datetime) -> bool:
    return (
        tx.execute(
            "UPDATE app_sign_ins SET telegram_id = :tg, confirmed_at = :now"
            " WHERE nonce_hash = :n AND confirmed_at IS NULL AND used_at IS NULL"
            " AND expires_at > :now",
            n=nonce_hash,
            tg=telegram_id,
            now=now,
        )
        > 0
    )


def use_sign_in(tx: Tx, nonce_hash: str, now: datetime) -> None:
    tx.execute(
        "UPDATE app_sign_ins SET used_at = :now WHERE nonce_hash = :n", n=nonce_hash, now=now
    )


def purge_sign_ins(tx: Tx, *, before: datetime) -> int:
    return tx.execute("DELETE FROM app_sign_ins WHERE expires_at < :b", b=before)


def insert_device(tx: Tx, *, telegram_id: int, token_hash: str, name: str) -> int:
    return int(
        tx.value(
            "INSERT INTO app_devices (telegram_id, token_hash, name) VALUES (:tg, :h, :name)"
            " RETURNING id",
            tg=telegram_id,
            h=token_hash,
            name=name,
        )
    )


def device_by_token(tx: Tx, token_hash: str) -> Row | None:
    return tx.one(
        "SELECT d.id, d.telegram_id, d.revoked_at, d.last_used_at FROM app_devices d"
        " WHERE d.token_hash = :h",
        h=token_hash,
    )


def touch_device(tx: Tx, device_id: int, now: datetime) -> None:
    tx.execute("UPDATE app_devices SET last_used_at = :now WHERE id = :id", id=device_id, now=now)


def devices(tx: Tx, telegram_id: int) -> list[Row]:
    return tx.all(
        "SELECT id, name, created_at, last_used_at FROM app_devices"
        " WHERE telegram_id = :tg AND revoked_at IS NULL ORDER BY id",
        tg=telegram_id,
    )


def revoke_device(tx: Tx, telegram_id: int, device_id: int) -> bool:
    return (
        tx.execute(
            "UPDATE app_devices SET revoked_at = now() WHERE id = :id AND telegram_id = :tg"
            " AND revoked_at IS NULL",
            id=device_id,
            tg=telegram_id,
        )
        > 0
    )


def set_feed(tx: Tx, telegram_id: int, token_hash: str) -> None:
    tx.execute(
        "INSERT INTO calendar_feeds (telegram_id, token_hash) VALUES (:tg, :h)"
        " ON CONFLICT (telegram_id) DO UPDATE SET token_hash = :h, created_at = now()",
        tg=telegram_id,
        h=token_hash,
    )


def feed_owner(tx: Tx, token_hash: str) -> int | None:
    return tx.value("SELECT telegram_id FROM calendar_feeds WHERE token_hash = :h", h=token_hash)


def forget_person(tx: Tx, telegram_id: int) -> None:
    """/delete_me: devices, pending sign-ins and the calendar feed go with the person."""
    tx.execute("DELETE FROM app_devices WHERE telegram_id = :tg", tg=telegram_id)
    tx.execute("DELETE FROM app_sign_ins WHERE telegram_id = :tg", tg=telegram_id)
    tx.execute("DELETE FROM calendar_feeds WHERE telegram_id = :tg", tg=telegram_id)


def as_dict(row: Row | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None
