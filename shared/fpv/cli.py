"""The `fpv` command line. Errors a user can fix are one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from fpv import runtime
from fpv.db import DatabaseUnavailable, TlsConfigurationError
from fpv.local.template import TemplateError

Command = Callable[[argparse.Namespace], int | None]


def _dev(args: argparse.Namespace) -> int:
    from fpv.local.runner import serve

    serve(args.port, args.host, args.template, args.data_dir)
    return 0


def _invoke(args: argparse.Namespace) -> int:
    """Like `sam local invoke`, without Docker: the handler runs in this process with this
    environment's settings; its result is printed as JSON (an error as errorType/errorMessage,
    exit code 1)."""
    import contextlib
    import json
    import traceback

    from fpv.local.invoker import FunctionInvoker
    from fpv.local.runner import project_root
    from fpv.local.template import load_template

    template = load_template(args.template or project_root() / "template.yaml")
    fn = _find_function(template.functions, args.function)
    try:
        raw = sys.stdin.read() if str(args.event) == "-" else args.event.read_text()
        event = json.loads(raw)
    except OSError as exc:
        raise TemplateError(f"cannot read the event {args.event}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise TemplateError(f"the event {args.event} is not JSON ({exc.msg})") from exc
    try:
        # the function's own output (Powertools logs and metrics) goes to stderr, as with sam
        with contextlib.redirect_stdout(sys.stderr):
            result = FunctionInvoker().invoke(fn, event)
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        print(json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}))
        return 1
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


def _find_function(functions: dict, name: str):
    """A function by logical id (AlarmForwarderFunction), without the suffix (AlarmForwarder)
    or by its folder (alarm_forwarder)."""
    for candidate in (name, f"{name}Function"):
        if candidate in functions:
            return functions[candidate]
    for fn in functions.values():
        if fn.code_dir.name == name:
            return fn
    known = ", ".join(sorted(k.removesuffix("Function") for k in functions))
    raise TemplateError(f"no function {name!r} in the template (known: {known})")


def _migrate(_args: argparse.Namespace) -> int:
    from fpv.migrate import migrate

    applied = migrate(runtime.database())
    print(f"applied: {', '.join(map(str, applied))}" if applied else "schema is up to date")
    return 0


def _seed_demo(_args: argparse.Namespace) -> int:
    from fpv.demo import seed_demo

    print("demo data seeded" if seed_demo(runtime.database()) else "data exists; nothing seeded")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fpv", description="FPV Training Platform")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="run the whole platform locally (what `make run` starts)")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--template", type=Path, default=None, help="default: ./template.yaml")
    dev.add_argument(
        "--data-dir", type=Path, default=None, help="embedded database and site (default: .fpv)"
    )
    dev.set_defaults(func=_dev)
    invoke = sub.add_parser(
        "invoke", help="run one function locally with an event (like `sam local invoke`)"
    )
    invoke.add_argument("function", help="e.g. AlarmForwarder, HealthFunction or health")
    invoke.add_argument(
        "--event", "-e", type=Path, required=True, help="event JSON file (events/...), - = stdin"
    )
    invoke.add_argument("--template", type=Path, default=None, help="default: ./template.yaml")
    invoke.set_defaults(func=_invoke)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_migrate)
    sub.add_parser("seed-demo", help="seed demo data into an empty database").set_defaults(
        func=_seed_demo
    )

    for register in _plugins():
        register(sub)
    return parser


# Feature packages own their sub-commands: each module exposes `register(subparsers)` and imports
# its heavy dependencies only when its command runs.
FEATURE_COMMANDS = (
    "fpv.channels.cli",
    "fpv.site.cli",
    "fpv.bot.cli",
    "fpv.payments.cli",
    "fpv.jobs.cli",
    "fpv.passes_cli",
    "fpv.ratings.cli",
    "fpv.admin.cli",
    "fpv.api.cli",
)


def _plugins() -> list[Callable[[argparse._SubParsersAction], None]]:
    import importlib

    return [importlib.import_module(name).register for name in FEATURE_COMMANDS]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except (
        TemplateError,
        DatabaseUnavailable,
        TlsConfigurationError,
        runtime.ConfigurationError,
    ) as exc:
        print(f"fpv: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
