"""Whether money goes back when a seat is given up: one rule, decided by the use case that
cancels and recorded with the registration (`refund_decision`, `refund_rule`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from fpv.db import Row

Decision = Literal["refund", "keep"]


@dataclass(frozen=True)
class RefundDecision:
    decision: Decision
    rule: str  # before_cutoff | after_cutoff | training_started | training_cancelled | admin_*

    @property
    def refund(self) -> bool:
        return self.decision == "refund"


def cutoff(training: Row) -> datetime:
    return training["starts_at"] - timedelta(hours=training["cancel_cutoff_hours"])


def decide(training: Row, now: datetime, *, admin_refund: bool | None = None) -> RefundDecision:
    """For a paid, confirmed seat. `training` carries starts_at, status, cancel_cutoff_hours.
    A cancelled training refunds everyone; a training that has started refunds nobody (it took
    place); an admin decides explicitly; a pilot (cancel or /delete_me) gets the money back up
    to the venue's cut-off and not after it."""
    if training["status"] == "cancelled":
        return RefundDecision("refund", "training_cancelled")
    if training["starts_at"] <= now:
        return RefundDecision("keep", "training_started")
    if admin_refund is not None:
        return RefundDecision(
            "refund" if admin_refund else "keep",
            "admin_refund" if admin_refund else "admin_no_refund",
        )
    if now <= cutoff(training):
        return RefundDecision("refund", "before_cutoff")
    return RefundDecision("keep", "after_cutoff")
