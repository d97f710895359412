"""Season passes in the admin: the organizer's door to `fpv.passes`, which owns the rules (who
may define, retire and refund which products and passes; credits; the audit entries). Here its
refusals become the admin API's errors, and lists are cut to the admin's venues."""

from __future__ import annotations

from typing import Any

from fpv import audit, passes
from fpv.actors import Actor
from fpv.admin.common import scope
from fpv.admin.errors import Conflict, Forbidden, Invalid, NotFound
from fpv.dal import passes as dal
from fpv.db import Database
from fpv.payments import ports as p


def _refused(exc: passes.PassError) -> Exception:
    if isinstance(exc, passes.NotAllowed):
        return Forbidden(str(exc))
    if isinstance(exc, passes.NotFound):
        return NotFound(str(exc))
    if isinstance(exc, passes.InUse):
        return Conflict(str(exc))
    return Invalid(str(exc))


def _product(db: Database, actor: Actor, product_id: int) -> dict[str, Any]:
    with db.transaction(readonly=True) as tx:
        rows = dal.products_in(tx, scope(actor))
    found = next((r for r in rows if r["id"] == product_id), None)
    if found is None:
        raise NotFound("pass product not found")
    return found


def list_products(db: Database, actor: Actor) -> list[dict[str, Any]]:
    """Club-wide products and the admin's venues' ones, retired ones too, with passes sold."""
    with db.transaction(readonly=True) as tx:
        return dal.products_in(tx, scope(actor))


def create_product(
    db: Database, actor: Actor, fields: dict[str, Any], client: audit.Client
) -> dict[str, Any]:
    scope(actor)  # organizers only
    try:
        product_id = passes.create_product(
            db,
            actor,
            title=fields["title"],
            valid_days=fields["valid_days"],
            price_kopecks=fields["price_kopecks"],
            trainings=fields.get("trainings"),
            venue_id=fields.get("venue_id"),
            track_types=tuple(fields.get("track_types") or ()),
            client=client,
        )
    except passes.PassError as exc:
        raise _refused(exc) from None
    return _product(db, actor, product_id)


def retire_product(
    db: Database, actor: Actor, product_id: int, client: audit.Client
) -> dict[str, Any]:
    scope(actor)
    _product(db, actor, product_id)  # another venue's product is not found
    try:
        passes.retire_product(db, actor, product_id, client=client)
    except passes.PassError as exc:
        raise _refused(exc) from None
    return _product(db, actor, product_id)


def list_sold(
    db: Database,
    actor: Actor,
    *,
    product_id: int | None = None,
    status: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Passes bought at the admin's venues (club-wide ones: superadmins), with credits used
    and left."""
    with db.transaction(readonly=True) as tx:
        return dal.sold(
            tx, scope(actor), product_id=product_id, status=status, limit=limit, offset=offset
        )


def refund_pass(
    db: Database, ports: p.PaymentPorts, actor: Actor, pass_id: int, client: audit.Client
) -> dict[str, Any]:
    """Refund a pass none of whose credits is in use; the money goes back at once where the
    provider answers (else the refund worker retries). Twice: nothing more happens."""
    from fpv.payments.refunds import work_refunds

    scope(actor)
    try:
        queued = passes.refund(db, actor, pass_id, client=client)
    except passes.PassError as exc:
        raise _refused(exc) from None
    refunds = work_refunds(db, ports, queued)
    with db.transaction(readonly=True) as tx:
        row = dal.pass_by_id(tx, pass_id)
    assert row is not None
    return {
        "pass_id": pass_id,
        "status": row["status"],
        "refunds": [{"payment_id": r.payment_id, "status": r.status} for r in refunds],
    }
