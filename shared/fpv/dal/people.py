"""Data access for consent and pilots (a nickname and the Telegram id: nothing else)."""

from __future__ import annotations

from fpv.db import Row, Tx


def record_consent(tx: Tx, *, telegram_id: int, policy_version: str) -> None:
    tx.execute(
        "INSERT INTO user_consent (telegram_id, policy_version) VALUES (:t, :v)"
        " ON CONFLICT (telegram_id) DO UPDATE SET policy_version = EXCLUDED.policy_version,"
        " given_at = now(), withdrawn_at = NULL",
        t=telegram_id,
        v=policy_version,
    )


def insert_pilot(
    tx: Tx,
    *,
    telegram_id: int,
    nickname: str | None,
    show_on_site: bool = False,
    language: str = "ru",
) -> int:
    return tx.value(
        "INSERT INTO pilots (telegram_id, nickname, show_on_site, language)"
        " VALUES (:t, :n, :show, :lang) RETURNING id",
        t=telegram_id,
        n=nickname,
        show=show_on_site,
        lang=language,
    )


_PILOT_COLUMNS = (
    "p.id, p.telegram_id, p.nickname, p.language, p.equipment, p.show_on_site, p.reachable"
)


def consent(tx: Tx, telegram_id: int) -> Row | None:
    """The person's consent row if it is in force (given and not withdrawn)."""
    return tx.one(
        "SELECT telegram_id, policy_version, given_at FROM user_consent"
        " WHERE telegram_id = :t AND withdrawn_at IS NULL",
        t=telegram_id,
    )


def pilot(tx: Tx, telegram_id: int) -> Row | None:
    """The pilot with consent in force, or None (no consent means we know nobody)."""
    return tx.one(
        f"SELECT {_PILOT_COLUMNS} FROM pilots p"  # noqa: S608 - constant column list
        " JOIN user_consent c ON c.telegram_id = p.telegram_id AND c.withdrawn_at IS NULL"
        " WHERE p.telegram_id = :t",
        t=telegram_id,
    )


def ensure_pilot(tx: Tx, *, telegram_id: int, language: str) -> None:
    """Create the pilot row at consent (no nickname yet); an existing one is kept as it is."""
    tx.execute(
        "INSERT INTO pilots (telegram_id, language) VALUES (:t, :lang)"
        " ON CONFLICT (telegram_id) DO NOTHING",
        t=telegram_id,
        lang=language,
    )


def nickname_taken(tx: Tx, nickname: str, *, except_telegram_id: int) -> bool:
    return bool(
        tx.value(
            "SELECT EXISTS (SELECT 1 FROM pilots WHERE lower(nickname) = lower(:n)"
            " AND telegram_id <> :t)",
            n=nickname,
            t=except_telegram_id,
        )
    )


def update_pilot(tx: Tx, telegram_id: int, **fields: object) -> bool:
    """Set some of nickname / language / equipment / show_on_site / reachable."""
    allowed = ("nickname", "language", "equipment", "show_on_site", "reachable")
    names = [name for name in allowed if name in fields]
    if set(fields) - set(allowed) or not names:
        raise ValueError(f"cannot update pilot fields {sorted(fields)}")
    assignments = ", ".join(f"{name} = :{name}" for name in names)
    return (
        tx.execute(
            f"UPDATE pilots SET {assignments}, updated_at = now() WHERE telegram_id = :t",  # noqa: S608 - names from the allow-list
            t=telegram_id,
            **{name: fields[name] for name in names},
        )
        == 1
    )


def active_training_ids(tx: Tx, telegram_id: int) -> list[int]:
    """Trainings where the pilot currently holds or waits for a seat (their public footprint)."""
    rows = tx.all(
        "SELECT DISTINCT r.training_id FROM registrations r JOIN pilots p ON p.id = r.pilot_id"
        " WHERE p.telegram_id = :t AND r.status IN ('waitlisted', 'pending_payment', 'confirmed')"
        " ORDER BY r.training_id",
        t=telegram_id,
    )
    return [r["training_id"] for r in rows]


def on_a_leaderboard(tx: Tx, telegram_id: int) -> bool:
    """The pilot has a rating in some season and city (a leaderboard may show them)."""
    return bool(
        tx.value(
            "SELECT EXISTS (SELECT 1 FROM pilot_ratings pr JOIN pilots p ON p.id = pr.pilot_id"
            " WHERE p.telegram_id = :t)",
            t=telegram_id,
        )
    )
