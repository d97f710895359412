"""Admin login, step 1 (`fpv.admin.auth.start_login`): does the answer's timing tell an unknown
login from a wrong password? Both must take the same path (Argon2id against a dummy hash for an
unknown login), so their medians should be within noise of each other.

Figures (all measured in this run, real PostgreSQL):
* baseline: one Argon2id verification alone (the cost both paths must pay);
* unknown login, wrong password, right password (the last also writes the challenge and hands the
  code to a sender that keeps it in memory): median and p90 per call, and the ratio
  unknown / wrong (1.00 = indistinguishable).

Database: TEST_DATABASE_URL or DATABASE_URL (a temporary database on that server), else the
embedded PostgreSQL under .fpv/bench-pgdata.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from bench.support import temporary_database

RUNS = 20


class _Keep:
    def send(self, telegram_id: int, text: str) -> None:
        pass


def _timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _report(name: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    p90 = statistics.quantiles(samples, n=10)[-1]
    print(f"{name:<34} median {median:7.1f} ms   p90 {p90:7.1f} ms")
    return median


def main() -> None:
    from fpv import audit
    from fpv.actors import Actor
    from fpv.admin import auth
    from fpv.admin.admins import add_admin
    from fpv.db import Database
    from fpv.migrate import migrate

    with temporary_database("fpv_bench_admin") as url:
        db = Database(url)
        migrate(db)
        password = "bench password 123"
        add_admin(
            db,
            Actor(kind="system", via="cli"),
            telegram_id=1,
            login="boss",
            password=password,
            role="superadmin",
        )
        stored = auth.hash_password(password)
        counter = iter(range(10**6))

        def attempt(login: str, pw: str) -> Callable[[], object]:
            def go() -> object:
                with db.transaction() as tx:  # the limits are not what is measured here
                    tx.execute("DELETE FROM admin_rate_limits")
                n = next(counter)
                client = audit.Client(ip=f"10.9.{n // 256 % 256}.{n % 256}", user_agent="bench")
                return auth.start_login(db, _Keep(), login=login, password=pw, client=client)

            return go

        attempt("ghost", "x")()  # warm up: connection, dummy hash
        base = _report(
            "argon2id verify alone", _timed(lambda: auth._password_ok(stored, "x"), RUNS)
        )
        # interleave the two so drift in machine load hits both alike
        unknown, wrong = [], []
        for _ in range(RUNS):
            unknown += _timed(attempt("ghost", "wrong password"), 1)
            wrong += _timed(attempt("boss", "wrong password"), 1)
        u = _report("unknown login", unknown)
        w = _report("known login, wrong password", wrong)
        r = _report("right password (code sent)", _timed(attempt("boss", password), RUNS // 2))
        print(f"ratio unknown / wrong password      {u / w:5.2f}  (1.00 = indistinguishable)")
        print(f"ratio wrong password / argon2 alone {w / base:5.2f}")
        print(f"ratio right / wrong password        {r / w:5.2f}")
        db.close()
