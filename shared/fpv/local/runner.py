"""`fpv dev`: the whole platform in one process (what `make run` starts)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from fpv import runtime
from fpv.db import Database, close_finished_thread_connections, close_thread_connections
from fpv.demo import seed_demo
from fpv.local.embedded import embedded_postgres
from fpv.local.gateway import LocalGateway
from fpv.local.invoker import FunctionInvoker
from fpv.local.scheduler import LocalScheduler
from fpv.local.template import AppTemplate, EventRule, Schedule, load_template
from fpv.migrate import migrate
from fpv.ports.events import InProcessEventBus
from fpv.ports.functions import InProcessFunctions
from fpv.ports.storage import LocalDirStorage
from fpv.settings import get_settings
from fpv.site.build import build_site
from fpv.site.security import site_headers

log = logging.getLogger("fpv.local")
REAP_SECONDS = 5.0  # how often connections left by ended threads (pool workers) are closed


def project_root() -> Path:
    """The checkout: where template.yaml is (the package is installed editable from it)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "template.yaml").is_file():
            return parent
    return Path.cwd()


def _rule_matches(rule: EventRule, event: dict[str, Any]) -> bool:
    for key in ("source", "detail-type"):
        wanted = rule.pattern.get(key)
        if wanted is not None and event.get(key) not in wanted:
            return False
    return True


@contextmanager
def platform(
    root: Path, *, data_dir: Path, template_path: Path | None = None, schedules: bool = True
) -> Iterator[LocalGateway]:
    """Database up and migrated, demo data on first start, site built, event rules and schedules
    wired; yields the gateway (an ASGI app). Everything started here stops on exit."""
    template: AppTemplate = load_template(template_path or root / "template.yaml")
    with ExitStack() as stack:
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = stack.enter_context(embedded_postgres(data_dir / "pgdata"))
            log.info("embedded PostgreSQL on %s", data_dir / "pgdata")
        os.environ.setdefault("SITE_DIR", str(data_dir / "site"))
        sandbox_routes = []
        if not os.environ.get("TELEGRAM_BOT_TOKEN"):  # no bot: chat with it at /dev/chat
            from fpv.bot.sandbox import start_sandbox

            sandbox_routes = start_sandbox(stack)
        get_settings.cache_clear()
        settings = get_settings()
        db: Database = runtime.database(settings)
        applied = migrate(db)
        if applied:
            log.info("applied migrations %s", applied)
        if seed_demo(db):
            log.info("seeded demo data")
        site_dir = Path(settings.site_dir)
        build_site(db, LocalDirStorage(site_dir))

        invoker = FunctionInvoker()

        def invoke_by_name(function: str, event: dict[str, Any]) -> Any:
            return invoker.invoke(template.functions[function], event)

        # Lambda's async invoke (the webhook hands admins' voice messages to the assistant)
        functions = InProcessFunctions(invoke_by_name, known=template.functions)
        runtime.set_local_functions(functions)
        stack.callback(functions.join)
        stack.callback(runtime.set_local_functions, None)
        bus = runtime.event_bus(settings)
        deliveries: list[threading.Thread] = []  # the running ones (ended ones are dropped)
        deliveries_lock = threading.Lock()
        if isinstance(bus, InProcessEventBus):

            def invoke_target(rule: EventRule, event: dict[str, Any]) -> None:
                try:
                    invoker.invoke(rule.function, event)
                except Exception:  # as EventBridge: the target failed, the publisher never knows
                    log.exception("event target %s failed", rule.name)
                finally:
                    close_thread_connections()  # this thread ends now: its connections too

            def deliver(event: dict[str, Any]) -> None:
                for rule in template.event_rules:
                    if _rule_matches(rule, event):
                        # EventBridge delivers asynchronously: the publisher never waits.
                        thread = threading.Thread(
                            target=invoke_target, args=(rule, event), daemon=True
                        )
                        with deliveries_lock:
                            deliveries[:] = [t for t in deliveries if t.is_alive()]
                            deliveries.append(thread)
                        thread.start()

            bus.subscribe(deliver)

            def wait_for_deliveries() -> None:
                with deliveries_lock:
                    running = list(deliveries)
                for thread in running:
                    thread.join(timeout=30)

            # On exit (last in, first out): stop delivering, then let deliveries finish.
            stack.callback(wait_for_deliveries)
            stack.callback(bus.unsubscribe, deliver)

        if schedules:

            def fire(schedule: Schedule, event: dict[str, Any]) -> None:
                invoker.invoke(schedule.function, event)

            scheduler = LocalScheduler(template.schedules, fire)
            scheduler.start()
            stack.callback(scheduler.stop)
        stack.callback(db.close)
        stack.enter_context(_reaping_connections())
        admin_dir = root / "static_site" / "admin" / "dist"  # the bundle `make admin-page` builds
        if not (admin_dir / "index.html").is_file():
            log.warning("the admin page is not built: run `make admin-page` (/admin/ is 404)")
        yield LocalGateway(
            template,
            site_dir=site_dir,
            admin_dir=admin_dir,
            invoker=invoker,
            extra_routes=sandbox_routes,
            site_headers=site_headers(settings.site_tile_url),
        )


@contextmanager
def _reaping_connections(every: float = REAP_SECONDS) -> Iterator[None]:
    """Request threads come and go (the server's thread pool retires idle workers): close the
    database connections of those that ended, so a long `fpv dev` session holds no more
    connections than it has live threads."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            closed = close_finished_thread_connections()
            if closed:
                log.debug("closed %d connections of ended threads", closed)

    thread = threading.Thread(target=loop, name="fpv-connection-reaper", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        close_finished_thread_connections()


def serve(
    port: int,
    host: str = "127.0.0.1",
    template_path: Path | None = None,
    data_dir: Path | None = None,
) -> None:
    import uvicorn

    root = project_root()
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    data_dir = data_dir or root / ".fpv"
    chat = "" if os.environ.get("TELEGRAM_BOT_TOKEN") else ", bot chat: /dev/chat"
    with platform(root, data_dir=data_dir, template_path=template_path) as gateway:
        print(
            f"FPV platform on http://{host}:{port}/  (admin: /admin/, health: /api/health{chat})",
            flush=True,
        )
        uvicorn.run(gateway, host=host, port=port, log_level="info", lifespan="off")
