"""Data access for reminders: due candidates, claims (reminders_sent), outcomes, housekeeping.

A claim is the reminders_sent row; its primary key (registration_id, kind) makes a reminder
claimable once, whoever else is running. See migration 0004 for the outcome states.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from fpv.db import Row, Tx

# Session-level advisory lock held by the run that is sending ("fpvremnd" as a bigint).
SENDER_LOCK_KEY = 0x66707672656D6E64


def try_sender_lock(tx: Tx) -> bool:
    return tx.value("SELECT pg_try_advisory_lock(:k)", k=SENDER_LOCK_KEY) is True


def sender_unlock(tx: Tx) -> None:
    tx.value("SELECT pg_advisory_unlock(:k)", k=SENDER_LOCK_KEY)


def due_candidates(
    tx: Tx,
    *,
    now: datetime,
    kinds: list[str],
    lead_seconds: list[int],
    grace_seconds: list[int],
    limit: int,
) -> list[Row]:
    """Confirmed registrations of scheduled trainings that have not started, whose reminder
    moment (start - lead) has come and that nobody has claimed yet; most urgent first."""
    return tx.all(
        "SELECT r.id AS registration_id, k.kind, r.created_at AS registered_at, t.starts_at,"
        " p.reachable"
        " FROM unnest(CAST(:kinds AS text[]), CAST(:leads AS int[]), CAST(:graces AS int[]))"
        "   AS k(kind, lead_s, grace_s)"
        " JOIN trainings t ON t.status = 'scheduled' AND t.starts_at > :now"
        "   AND t.starts_at - make_interval(secs => k.lead_s) <= :now"
        " JOIN registrations r ON r.training_id = t.id AND r.status = 'confirmed'"
        " JOIN pilots p ON p.id = r.pilot_id"
        " WHERE NOT EXISTS (SELECT 1 FROM reminders_sent s"
        "   WHERE s.registration_id = r.id AND s.kind = k.kind)"
        " ORDER BY t.starts_at - make_interval(secs => k.lead_s - k.grace_s), r.id"
        " LIMIT :limit",
        kinds=kinds,
        leads=lead_seconds,
        graces=grace_seconds,
        now=now,
        limit=limit,
    )


def claim(
    tx: Tx,
    *,
    registration_ids: list[int],
    kinds: list[str],
    outcomes: list[str | None],
    run_id: UUID,
    now: datetime,
) -> list[Row]:
    """Insert claims; returns only the rows this call won (others were claimed meanwhile).
    A row claimed with an outcome (a skip) is final; one with outcome NULL is to be sent."""
    return tx.all(
        "INSERT INTO reminders_sent (registration_id, kind, outcome, claimed_at, claimed_by)"
        " SELECT c.registration_id, c.kind, c.outcome, :now, CAST(:run AS uuid)"
        " FROM unnest(CAST(:ids AS bigint[]), CAST(:kinds AS text[]), CAST(:outcomes AS text[]))"
        "   AS c(registration_id, kind, outcome)"
        " ON CONFLICT (registration_id, kind) DO NOTHING"
        " RETURNING registration_id, kind, outcome",
        ids=registration_ids,
        kinds=kinds,
        outcomes=outcomes,
        run=str(run_id),
        now=now,
    )


def message_details(tx: Tx, registration_ids: list[int]) -> list[Row]:
    """What a reminder says and where it goes."""
    return tx.all(
        "SELECT r.id AS registration_id, r.channel_mhz, r.channel_label,"
        " p.id AS pilot_id, p.telegram_id, p.language,"
        " t.title, t.starts_at, v.name AS venue_name, v.address, v.latitude, v.longitude,"
        " v.time_zone"
        " FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
        " JOIN trainings t ON t.id = r.training_id JOIN venues v ON v.id = t.venue_id"
        " WHERE r.id = ANY(CAST(:ids AS bigint[]))",
        ids=registration_ids,
    )


def start_attempt(tx: Tx, *, registration_id: int, kind: str, run_id: UUID, now: datetime) -> bool:
    """Mark our claim as being sent, if the registration is still confirmed and the training
    still on. After this, a crash leaves the row 'sending' and it is never sent again."""
    return (
        tx.execute(
            "UPDATE reminders_sent s SET outcome = 'sending', attempted_at = :now"
            " WHERE s.registration_id = :id AND s.kind = :kind"
            " AND s.claimed_by = CAST(:run AS uuid) AND s.outcome IS NULL"
            " AND EXISTS (SELECT 1 FROM registrations r JOIN trainings t ON t.id = r.training_id"
            "   WHERE r.id = s.registration_id AND r.status = 'confirmed'"
            "   AND t.status = 'scheduled')",
            id=registration_id,
            kind=kind,
            run=str(run_id),
            now=now,
        )
        == 1
    )


def finish_many(
    tx: Tx,
    *,
    registration_ids: list[int],
    kinds: list[str],
    outcomes: list[str],
    sent_at: list[datetime | None],
    run_id: UUID,
) -> int:
    """Record the outcomes of our claims, many in one statement."""
    return tx.execute(
        "UPDATE reminders_sent s SET outcome = o.outcome, sent_at = o.sent_at"
        " FROM unnest(CAST(:ids AS bigint[]), CAST(:kinds AS text[]), CAST(:outcomes AS text[]),"
        "   CAST(:sent AS timestamptz[])) AS o(registration_id, kind, outcome, sent_at)"
        " WHERE s.registration_id = o.registration_id AND s.kind = o.kind"
        " AND s.claimed_by = CAST(:run AS uuid)",
        ids=registration_ids,
        kinds=kinds,
        outcomes=outcomes,
        sent=sent_at,
        run=str(run_id),
    )


def release(tx: Tx, *, registration_id: int, kind: str, run_id: UUID) -> None:
    """Give a claim back (nothing reached Telegram): a later run may send it, still on time."""
    tx.execute(
        "DELETE FROM reminders_sent WHERE registration_id = :id AND kind = :kind"
        " AND claimed_by = CAST(:run AS uuid) AND (outcome IS NULL OR outcome = 'sending')",
        id=registration_id,
        kind=kind,
        run=str(run_id),
    )


def release_unattempted(tx: Tx, *, run_id: UUID) -> int:
    return tx.execute(
        "DELETE FROM reminders_sent WHERE claimed_by = CAST(:run AS uuid) AND outcome IS NULL",
        run=str(run_id),
    )


def expire_stale_claims(tx: Tx, *, now: datetime, lease: timedelta) -> tuple[int, int]:
    """Claims of runs that died: unattempted ones are released (re-sent later if still on time);
    ones caught mid-request become 'unknown' (maybe delivered: never sent twice).
    Returns (released, unknown)."""
    cutoff = now - lease
    released = tx.execute(
        "DELETE FROM reminders_sent WHERE outcome IS NULL AND claimed_at < :cutoff",
        cutoff=cutoff,
    )
    unknown = tx.execute(
        "UPDATE reminders_sent SET outcome = 'unknown'"
        " WHERE outcome = 'sending' AND attempted_at < :cutoff",
        cutoff=cutoff,
    )
    return released, unknown


def mark_unreachable(tx: Tx, *, pilot_ids: list[int]) -> None:
    """These pilots blocked the bot (Telegram 403)."""
    tx.execute(
        "UPDATE pilots SET reachable = false, updated_at = now()"
        " WHERE id = ANY(CAST(:ids AS bigint[])) AND reachable",
        ids=pilot_ids,
    )


def purge_processed_updates(tx: Tx, *, now: datetime, limit: int) -> int:
    """Delete up to `limit` expired idempotency records (small batches keep locks short)."""
    return tx.execute(
        "DELETE FROM processed_updates WHERE ctid IN (SELECT ctid FROM processed_updates"
        " WHERE expires_at < :now LIMIT :limit)",
        now=now,
        limit=limit,
    )


def claims_for(tx: Tx, registration_ids: list[int]) -> list[Row]:
    """The claim rows of some registrations (for reports and tests)."""
    return tx.all(
        "SELECT registration_id, kind, outcome, claimed_at, attempted_at, sent_at"
        " FROM reminders_sent WHERE registration_id = ANY(CAST(:ids AS bigint[]))"
        " ORDER BY registration_id, kind",
        ids=registration_ids,
    )


def forget_sent_before(tx: Tx, training_id: int, kind: str, moment: datetime) -> int:
    """Drop the claims of `kind` sent before `moment` for this training's registrations (the
    training moved later: those reminders went out too early and are due again)."""
    return tx.execute(
        "DELETE FROM reminders_sent s USING registrations r"
        " WHERE r.id = s.registration_id AND r.training_id = :t AND s.kind = :k"
        " AND s.outcome = 'sent' AND s.sent_at < :moment",
        t=training_id,
        k=kind,
        moment=moment,
    )
