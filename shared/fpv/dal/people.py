"""Data access for consent and pilots (a nickname and the Telegram id: nothing else)."""

from __future__ import annotations

from fpv.db import Tx


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
