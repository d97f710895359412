"""`fpv payments ...`: cancel a training (refunding its payers), work the refund queue now,
put a failed refund back in the queue, print a training's money."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from fpv.payments.ports import RecordingMetrics

if TYPE_CHECKING:
    from fpv.db import Database
    from fpv.payments.ports import PaymentPorts
    from fpv.ports.events import EventBus


def _env() -> tuple[Database, EventBus, PaymentPorts]:
    from fpv import runtime
    from fpv.payments.wiring import from_settings
    from fpv.settings import get_settings

    settings = get_settings()
    ports, _config = from_settings(settings)
    # EMF records go to stdout, where only Lambda's log shipping turns them into metrics; in a
    # shell they would only garble the command's output
    ports = replace(ports, metrics=RecordingMetrics())
    return runtime.database(settings), runtime.event_bus(settings), ports


def _cancel_training(args: argparse.Namespace) -> int:
    from fpv.payments.cancellation import cancel_training
    from fpv.registrations import TrainingNotFound

    db, bus, ports = _env()
    try:
        result = cancel_training(
            db, bus, ports, training_id=args.training_id, admin_id=args.admin_id
        )
    except TrainingNotFound:
        print(f"fpv: training {args.training_id} does not exist", file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "training_id": result.training_id,
                "newly_cancelled": result.newly_cancelled,
                "registrations_cancelled": result.registrations_cancelled,
                "refunds": [r.__dict__ for r in result.refunds],
                "pilots_told": result.pilots_told,
            },
            ensure_ascii=False,
        )
    )
    return 0


def _retry_refunds(_args: argparse.Namespace) -> int:
    from fpv.payments.refunds import retry_pending_refunds

    db, _bus, ports = _env()
    print(json.dumps(retry_pending_refunds(db, ports).as_dict()))
    return 0


def _retry_refund(args: argparse.Namespace) -> int:
    from fpv.payments.refunds import retry_failed_refund

    db, _bus, ports = _env()
    result = retry_failed_refund(db, ports, args.payment_id)
    print(json.dumps(result.__dict__))
    return 0 if result.status != "not_due" else 1


def _money(args: argparse.Namespace) -> int:
    from fpv.payments.ledger import training_money

    db, _bus, _ports = _env()
    totals = training_money(db, args.training_id, args.currency)
    print(json.dumps({**totals.__dict__, "net": totals.net, "owed_back": totals.owed_back}))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("payments", help="refunds, training cancellation, money")
    sub = parser.add_subparsers(dest="payments_command", required=True)
    cancel = sub.add_parser("cancel-training", help="cancel a training and refund every payer")
    cancel.add_argument("training_id", type=int)
    cancel.add_argument("--admin-id", type=int, default=None, help="recorded in the audit log")
    cancel.set_defaults(func=_cancel_training)
    sub.add_parser("retry-refunds", help="work every due refund now").set_defaults(
        func=_retry_refunds
    )
    retry = sub.add_parser("retry-refund", help="put a refund_failed payment back in the queue")
    retry.add_argument("payment_id", type=int)
    retry.set_defaults(func=_retry_refund)
    money = sub.add_parser("money", help="a training's payments and refunds")
    money.add_argument("training_id", type=int)
    money.add_argument("--currency", default="RUB", choices=("RUB", "XTR"))
    money.set_defaults(func=_money)
