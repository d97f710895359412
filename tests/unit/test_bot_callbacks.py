"""Callback data: compact, within Telegram's 64 bytes, and unknown data is recognised as stale."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fpv.bot import callbacks
from fpv.bot.callbacks import VERBS, Callback, encode, int_args, parse

BIG = 2**63 - 1  # PostgreSQL bigint


@given(
    verb=st.sampled_from([v for v, n in VERBS.items()]),
    ids=st.lists(st.integers(min_value=0, max_value=BIG), min_size=2, max_size=2),
)
def test_encode_parse_round_trip_within_64_bytes(verb, ids):
    args = ids[: VERBS[verb]]
    data = encode(verb, *args)
    assert len(data.encode()) <= callbacks.MAX_BYTES
    cb = parse(data)
    assert cb == Callback(verb, tuple(str(a) for a in args))
    assert int_args(cb) == tuple(args)


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "nope",  # unknown verb
        "tr",  # missing argument
        "tr:1:2",  # too many arguments
        "su:1",  # too few
        "tr:1;DROP",  # not a token
        "x" * 65,  # beyond Telegram's limit
        "tr:" + "9" * 70,
    ],
)
def test_unknown_or_malformed_data_is_stale(data):
    assert parse(data) is None


def test_non_integer_ids_are_caught():
    cb = parse("tr:abc")
    assert cb is not None and int_args(cb) is None
    assert int_args(parse("su:12:0")) == (12, 0)
    assert int_args(parse(f"tr:{2**63}")) is None  # beyond bigint: no database lookup


def test_encode_refuses_what_parse_would_not_accept():
    with pytest.raises(ValueError):
        encode("tr")  # missing argument
    with pytest.raises(ValueError):
        encode("nope", 1)
    with pytest.raises(ValueError):
        encode("eqd", "has space")


def test_every_route_has_a_verb_and_vice_versa():
    from fpv.bot.application import ROUTES

    assert set(ROUTES) == set(VERBS)
