"""An organiser cancels a training: every active registration is withdrawn, every payer is
refunded exactly once, every pilot is told (through the outbox, queued in the same commit).

One transaction marks the training cancelled, withdraws the registrations, queues the refunds
and writes the audit record, so a crash leaves either nothing or everything owed in the queue.
Refunds are then worked at once (the refund worker retries any the provider did not take).
Calling it again changes nothing and refunds nobody twice: the payments are no longer 'paid',
and each refund carries its own idempotence key to the provider.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fpv import audit, delivery, notices, outbox, passes
from fpv.actors import SYSTEM, Actor
from fpv.actors import admin as admin_actor
from fpv.dal import payments as dal
from fpv.dal import registrations as reg_dal
from fpv.db import Database
from fpv.payments import ports as p
from fpv.payments.refunds import RefundResult, attempt_refund
from fpv.ports.events import SCHEDULE_CHANGED, EventBus
from fpv.registrations import TrainingNotFound

log = logging.getLogger("fpv.payments.cancellation")


@dataclass(frozen=True)
class TrainingCancellation:
    training_id: int
    newly_cancelled: bool
    registrations_cancelled: int
    refunds: list[RefundResult] = field(default_factory=list)
    pilots_told: int = 0


def cancel_training(
    db: Database,
    bus: EventBus,
    ports: p.PaymentPorts,
    *,
    training_id: int,
    admin_id: int | None = None,
    now: datetime | None = None,
    actor: Actor | None = None,
    client: audit.Client | None = None,
) -> TrainingCancellation:
    """`actor` (optional): who asks; a local admin only at their venues (else TrainingNotFound,
    as for a training that does not exist), and the audit record says through which door."""
    now = now or datetime.now(UTC)
    via = {"via": actor.via} if actor is not None else {}
    if actor is None:  # the CLI: an admin id, or the system (both see every venue)
        actor = admin_actor(admin_id, "superadmin", set(), via="cli") if admin_id else SYSTEM
    events: list[int] = []
    notices_ids: list[int] = []
    with db.transaction() as tx:
        training = reg_dal.lock_training(tx, training_id)
        if training is None or (actor is not None and not actor.sees_venue(training["venue_id"])):
            raise TrainingNotFound(f"training {training_id} does not exist")
        newly = dal.set_training_cancelled(tx, training_id)
        withdrawn = dal.active_registrations(tx, training_id)
        for reg in withdrawn:
            reg_dal.set_status(tx, reg["id"], "cancelled")
            paid = reg["status"] == "confirmed" and training["price_kopecks"] > 0
            if paid:
                reg_dal.record_refund_decision(tx, reg["id"], "refund", "training_cancelled")
                passes.give_back(tx, reg["id"], now)  # a seat paid with a pass credit
            notice = notices.training_cancelled(tx, training, reg, refund=paid)
            notices_ids += [notice] if notice is not None else []
        refund_ids = dal.request_refunds_for_training(
            tx, training_id, reason="training_cancelled", now=now
        )
        if newly or withdrawn or refund_ids:
            audit.record(
                tx,
                actor,
                "training.cancel",
                f"training:{training_id}",
                client=client,
                venue_id=training["venue_id"],
                details={"registrations": len(withdrawn), "refunds": len(refund_ids), **via},
            )
        if newly or withdrawn:
            events.append(
                outbox.event(
                    tx,
                    SCHEDULE_CHANGED,
                    {"training_id": training_id, "reason": "training_cancelled"},
                )
            )
    outbox.publish_now(db, bus, events)
    told = 0
    if ports.deliverers is not None and notices_ids:  # else the outbox worker sends them
        told = delivery.send(db, ports.deliverers, notices_ids).delivered
    refunds = [attempt_refund(db, ports, pid, now=now) for pid in refund_ids]
    log.info(
        "training %s cancelled: %s registrations withdrawn, %s refunds",
        training_id,
        len(withdrawn),
        len(refund_ids),
    )
    return TrainingCancellation(training_id, newly, len(withdrawn), refunds, told)
