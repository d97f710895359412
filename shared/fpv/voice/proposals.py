"""Proposals: what the assistant will do after one tap on Confirm.

A proposal holds the validated tool calls (never the audio or the transcript), expires after
`minutes`, and is claimed atomically on Confirm (pending → executing): a double tap, a
redelivered callback or a second device executes it once. Cancel executes nothing. Once
decided, the stored arguments are wiped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fpv.actors import Actor, admin
from fpv.dal import voice as dal
from fpv.db import Database
from fpv.texts import t
from fpv.voice.tools import Refused, Registry, ToolContext

log = logging.getLogger("fpv.voice")


def actor_of(row: dict[str, Any]) -> Actor:
    return admin(row["id"], row["role"], set(row["venue_ids"] or []), via="voice")


def store(
    db: Database,
    *,
    admin_id: int,
    chat_id: int,
    language: str,
    actions: list[dict[str, Any]],
    now: datetime,
    minutes: int,
) -> str:
    with db.transaction() as tx:
        dal.purge_proposals(tx, before=now)  # expired ones go, arguments and all
        return dal.insert_proposal(
            tx,
            admin_id=admin_id,
            chat_id=chat_id,
            language=language,
            actions=actions,
            now=now,
            expires_at=now + timedelta(minutes=minutes),
        )


@dataclass(frozen=True)
class Decision:
    outcome: str  # done | failed | expired | already | cancelled | not_admin
    text: str


def confirm(
    db: Database, tools: Registry, ctx: ToolContext, *, telegram_id: int, proposal_id: str
) -> Decision:
    """Confirm pressed: the admin (re-read now: role and venues as they are) claims the proposal
    and its actions run through the use cases; each one's result is reported."""
    lang = ctx.language
    with db.transaction() as tx:
        who = dal.active_admin_by_telegram(tx, telegram_id)
        if who is None:
            return Decision("not_admin", t("voice.for_organizers", lang))
        claimed = dal.claim_proposal(tx, proposal_id, admin_id=who["id"], now=ctx.now)
        if claimed is None:
            row = dal.proposal(tx, proposal_id)
    if claimed is None:
        if row is not None and row["admin_id"] == who["id"] and row["status"] == "executing":
            return Decision("already", t("voice.confirm.already", lang))
        if row is not None and row["admin_id"] == who["id"] and row["status"] == "done":
            return Decision("already", t("voice.confirm.already", lang))
        if row is not None and row["admin_id"] == who["id"] and row["status"] == "cancelled":
            return Decision("cancelled", t("voice.confirm.cancelled", lang))
        return Decision("expired", t("voice.confirm.expired", lang))
    actor = actor_of(who)
    ctx.language = lang = claimed["language"]
    lines, failed = [], False
    for action in claimed["actions"]:
        tool = tools.get(action["tool"])
        try:
            if tool is None or not tool.mutating:
                raise Refused("voice.refused.bad_arguments", tool=action["tool"])
            lines.append("✅ " + tool.run(ctx, actor, tool.parse(action["args"])))
        except Refused as exc:
            failed = True
            lines.append("⛔ " + exc.text(lang))
        except Exception as exc:  # a bug or an outage: say so, never retry by itself
            failed = True
            log.exception("voice action %s failed: %s", action["tool"], type(exc).__name__)
            lines.append("⛔ " + t("voice.confirm.failed", lang))
    with db.transaction() as tx:
        dal.finish_proposal(tx, proposal_id, status="failed" if failed else "done")
    return Decision("failed" if failed else "done", "\n".join(lines))


def cancel(
    db: Database, *, telegram_id: int, proposal_id: str, now: datetime, lang: str
) -> Decision:
    with db.transaction() as tx:
        who = dal.active_admin_by_telegram(tx, telegram_id)
        if who is None:
            return Decision("not_admin", t("voice.for_organizers", lang))
        if dal.cancel_proposal(tx, proposal_id, admin_id=who["id"], now=now):
            return Decision("cancelled", t("voice.confirm.cancelled", lang))
    return Decision("expired", t("voice.confirm.expired", lang))
