"""`fpv passes ...`: define a pass product, list products, refund an unused pass (as the
system actor, for operators; the admin API calls the same use cases with an admin actor)."""

from __future__ import annotations

import argparse
import json
import sys


def _add_product(args: argparse.Namespace) -> int:
    from fpv import passes, runtime
    from fpv.actors import Actor

    try:
        product_id = passes.create_product(
            runtime.database(),
            Actor(kind="system", via="cli"),
            title=args.title,
            valid_days=args.days,
            price_kopecks=round(args.price * 100),
            trainings=args.trainings,
            venue_id=args.venue,
            track_types=tuple(args.track or ()),
        )
    except passes.PassError as exc:
        print(f"fpv: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"product_id": product_id}))
    return 0


def _list(_args: argparse.Namespace) -> int:
    from fpv import passes, runtime

    for product in passes.products(runtime.database()):
        print(json.dumps({k: v for k, v in product.items()}, ensure_ascii=False, default=str))
    return 0


def _refund(args: argparse.Namespace) -> int:
    from fpv import passes, runtime
    from fpv.actors import Actor

    try:
        queued = passes.refund(runtime.database(), Actor(kind="system", via="cli"), args.pass_id)
    except passes.PassError as exc:
        print(f"fpv: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"refunds_queued": queued}))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("passes", help="season passes: products and refunds")
    sub = parser.add_subparsers(dest="passes_command", required=True)
    add = sub.add_parser("add-product", help="define a pass product")
    add.add_argument("--title", required=True)
    add.add_argument("--days", type=int, required=True, help="valid this many days after purchase")
    add.add_argument("--price", type=float, required=True, help="rubles")
    add.add_argument("--trainings", type=int, default=None, help="credits (omit: unlimited)")
    add.add_argument("--venue", type=int, default=None, help="venue id (omit: the whole club)")
    add.add_argument("--track", action="append", help="track type covered (repeat; omit: all)")
    add.set_defaults(func=_add_product)
    sub.add_parser("list", help="the products on sale").set_defaults(func=_list)
    refund = sub.add_parser("refund", help="refund a pass no credit of which is in use")
    refund.add_argument("pass_id", type=int)
    refund.set_defaults(func=_refund)
