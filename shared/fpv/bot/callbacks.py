"""Inline-button callback data: `verb` or `verb:arg:arg`, at most 64 bytes (Telegram's limit).

Buttons live on in chat history long after the state they were drawn for has changed, so every
argument is re-checked when pressed; data that does not parse (an old scheme, a tampered client)
is answered with a friendly "this button is out of date" rather than an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")

# verb -> number of arguments it takes
VERBS: dict[str, int] = {
    "ok": 1,  # consent given; arg: training to open afterwards (0 = none)
    "no": 0,  # consent refused
    "menu": 0,
    "cities": 1,  # page
    "city": 2,  # city id, page
    "venue": 2,  # venue id, page
    "tr": 1,  # training card
    "su": 2,  # sign up: training id, channel MHz (0 = automatic)
    "chs": 1,  # channel list for signing up to a training
    "my": 0,
    "cx": 1,  # ask to cancel a registration
    "cxy": 1,  # cancellation confirmed
    "chg": 1,  # channel change: list free channels for a registration
    "chgy": 2,  # channel change: registration id, MHz
    "pay": 1,  # the invoice of a held seat again: registration id
    "passes": 0,  # season passes: what is sold, the pilot's own
    "pbuy": 1,  # buy a pass: product id
    "prof": 0,
    "nick": 0,
    "eq": 0,  # equipment menu
    "eqb": 1,  # toggle an analog band
    "eqd": 1,  # choose a digital system
    "eqok": 0,  # equipment done (continues onboarding)
    "lang": 1,
    "show": 1,  # 1/0
    "del": 0,  # /delete_me confirmed
    "delno": 0,
    "vok": 1,  # voice assistant: confirm a proposal (its id, hex)
    "vno": 1,  # voice assistant: cancel a proposal
    "app": 1,  # app sign-in confirmed: nonce
    "appno": 1,  # app sign-in declined: nonce
    "devs": 0,  # the app's signed-in devices
    "devx": 1,  # sign a device out: device id
    "cal": 0,  # the private calendar link
    "calnew": 0,  # a new private calendar link (the old one stops)
}


@dataclass(frozen=True)
class Callback:
    verb: str
    args: tuple[str, ...] = ()

    def int_arg(self, index: int) -> int:
        return int(self.args[index])


def encode(verb: str, *args: object) -> str:
    if verb not in VERBS or len(args) != VERBS[verb]:
        raise ValueError(f"bad callback {verb}{args}")
    parts = [verb, *(str(a) for a in args)]
    if not all(_TOKEN.match(p) for p in parts):
        raise ValueError(f"callback parts must be short tokens: {parts}")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data too long: {data}")
    return data


def parse(data: str | None) -> Callback | None:
    """The callback, or None for data this version of the bot does not understand."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    verb, *args = data.split(":")
    if VERBS.get(verb) != len(args) or not all(_TOKEN.match(a) for a in args):
        return None
    return Callback(verb, tuple(args))


def int_args(callback: Callback) -> tuple[int, ...] | None:
    """All arguments as integers, or None when one is not a (non-negative) integer."""
    if not all(a.isascii() and a.isdigit() and len(a) <= 19 for a in callback.args):
        return None
    values = tuple(int(a) for a in callback.args)
    return values if all(v < 2**63 for v in values) else None  # PostgreSQL bigint
