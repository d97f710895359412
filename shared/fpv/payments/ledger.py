"""Money per training, as the admin dashboard and the exports read it.

All amounts are in the currency's minor units (kopecks for RUB). `paid` is everything received;
`refunded` what went back; `net` = paid − refunded is what the club keeps. `refund_pending` and
`refund_failed` are amounts still owed back (in flight, or needing an operator).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fpv.dal import payments as dal
from fpv.db import Database


@dataclass(frozen=True)
class MoneyTotals:
    training_id: int
    currency: str
    payments: int = 0
    paid: int = 0
    refunded: int = 0
    refunds: int = 0
    refund_pending: int = 0
    refund_failed: int = 0

    @property
    def net(self) -> int:
        return self.paid - self.refunded

    @property
    def owed_back(self) -> int:
        return self.refund_pending + self.refund_failed


def trainings_money(
    db: Database, training_ids: Iterable[int], currency: str = "RUB"
) -> dict[int, MoneyTotals]:
    ids = sorted(set(training_ids))
    if not ids:
        return {}
    with db.transaction(readonly=True) as tx:
        rows = dal.money_by_training(tx, ids, currency)
    return {
        tid: MoneyTotals(tid, currency, **{k: int(v) for k, v in rows[tid].items()})
        if tid in rows
        else MoneyTotals(tid, currency)
        for tid in ids
    }


def training_money(db: Database, training_id: int, currency: str = "RUB") -> MoneyTotals:
    return trainings_money(db, [training_id], currency)[training_id]
