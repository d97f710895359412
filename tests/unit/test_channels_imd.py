"""IMD rating (ET IMDTabler v1.3) and the band tables."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fpv.channels import (
    ANALOG_BANDS,
    DIGITAL_SYSTEMS,
    Equipment,
    all_analog_frequencies,
    analog_names,
    imd_rating,
    imd_report,
    imd_total,
    parse_analog_label,
)
from fpv.channels.imd import max_total_for_rating, rating_from_total

# --------------------------------------------------------------------------- published ratings


@pytest.mark.parametrize(
    ("freqs", "rating"),
    [
        ((5658, 5732, 5843, 5880), 100),  # R1 R3 R6 R7
        ((5658, 5695, 5760, 5800, 5880, 5917), 29),  # IMD6C
        ((5645, 5685, 5760, 5805, 5905, 5945), 67),  # ETBest6
        ((5760, 5800, 5840), -63),
    ],
)
def test_published_ratings(freqs, rating):
    assert imd_rating(freqs) == rating
    assert imd_rating(reversed(freqs)) == rating
    assert imd_report(freqs).rating == rating


def test_rating_of_band_names():
    r1_r3_r6_r7 = [parse_analog_label(x) for x in ("R1", "R3", "R6", "R7")]
    assert r1_r3_r6_r7 == [5658, 5732, 5843, 5880]
    assert imd_rating(r1_r3_r6_r7) == 100


def test_report_names_the_pairs_that_cause_the_worst_products():
    report = imd_report([5760, 5800, 5840])
    assert report.min_spacing == 40
    assert report.closest_pair == (5760, 5800)
    worst = report.products[0]
    assert worst.penalty == 1225 and worst.distance == 0
    # 2*5800 - 5840 lands exactly on 5760, 2*5800 - 5760 on 5840
    pairs = {(p.f_i, p.f_j, p.mhz, p.victim_mhz) for p in report.worst(2)}
    assert pairs == {(5800, 5840, 5760, 5760), (5800, 5760, 5840, 5840)}
    assert report.total == sum(p.penalty for p in report.products)
    assert list(report.products) == sorted(report.products, key=lambda p: -p.penalty)
    assert "IMD rating -63" in report.summary()


def test_report_of_a_rating_100_set():
    report = imd_report([5658, 5732, 5843, 5880])
    assert report.total < 5 * 4  # what rating 100 means for 4 frequencies
    assert all(p.penalty > 0 and p.distance < 35 for p in report.products)
    assert report.min_spacing == 37


def test_small_sets():
    assert imd_rating([]) == 100
    assert imd_rating([5800]) == 100
    assert imd_report([5800]).min_spacing is None
    # a duplicate frequency is two transmitters on top of each other
    assert imd_rating([5800, 5800]) < 0


def test_products_outside_the_window_are_ignored():
    # 2*5362 - 5945 = 4779 and 2*5945 - 5362 = 6528 are outside 5100..6099
    assert imd_total([5362, 5945]) == 0


def test_non_integer_frequency_is_rejected():
    with pytest.raises(ValueError, match="whole number"):
        imd_rating([5800.5, 5840])


def test_java_truncation():
    # 100 - trunc(trunc(total / 5) / n)
    assert rating_from_total(0, 3) == 100
    assert rating_from_total(4, 1) == 100
    assert rating_from_total(5, 1) == 99
    assert rating_from_total(14, 3) == 100  # 14//5 = 2, 2//3 = 0
    assert rating_from_total(15, 3) == 99
    assert rating_from_total(2450, 3) == -63


@given(st.integers(min_value=1, max_value=10), st.integers(min_value=-2000, max_value=100))
def test_max_total_for_rating_is_the_exact_threshold(n, rating):
    t = max_total_for_rating(rating, n)
    assert rating_from_total(t, n) >= rating
    assert rating_from_total(t + 1, n) < rating


# --------------------------------------------------------------------------- properties

FREQS = st.lists(st.integers(min_value=5300, max_value=6000), min_size=1, max_size=9)


def _reference_rating(freqs: list[int]) -> int:
    """The DESIGN §6 formula, written independently."""
    total = 0
    for i, fi in enumerate(freqs):
        for j, fj in enumerate(freqs):
            if i == j:
                continue
            p = 2 * fi - fj
            if not 5100 <= p <= 6099:
                continue
            d = min(abs(p - f) for f in freqs)
            if d < 35:
                total += (35 - d) ** 2
    n = len(freqs)
    a = int(total / 5)  # truncation toward zero, like Java
    return 100 - int(a / n)


@settings(max_examples=300, deadline=None)
@given(FREQS)
def test_rating_matches_the_formula(freqs):
    assert imd_rating(freqs) == _reference_rating(freqs)
    assert imd_rating(freqs) <= 100


@settings(max_examples=200, deadline=None)
@given(FREQS, st.randoms(use_true_random=False))
def test_rating_does_not_depend_on_order(freqs, rnd):
    shuffled = list(freqs)
    rnd.shuffle(shuffled)
    assert imd_rating(shuffled) == imd_rating(freqs)


@settings(max_examples=300, deadline=None)
@given(FREQS, st.integers(min_value=5300, max_value=6000))
def test_total_never_drops_when_a_frequency_is_added(freqs, extra):
    # the allocator's bounds rely on this
    assert imd_total([*freqs, extra]) >= imd_total(freqs)


# --------------------------------------------------------------------------- bands

DESIGN_TABLE = {
    "R": (5658, 5695, 5732, 5769, 5806, 5843, 5880, 5917),
    "F": (5740, 5760, 5780, 5800, 5820, 5840, 5860, 5880),
    "A": (5865, 5845, 5825, 5805, 5785, 5765, 5745, 5725),
    "B": (5733, 5752, 5771, 5790, 5809, 5828, 5847, 5866),
    "E": (5705, 5685, 5665, 5645, 5885, 5905, 5925, 5945),
    "L": (5362, 5399, 5436, 5473, 5510, 5547, 5584, 5621),
}


def test_analog_bands_match_the_design_table():
    assert {code: band.channels for code, band in ANALOG_BANDS.items()} == DESIGN_TABLE
    assert len(all_analog_frequencies()) == len({f for b in DESIGN_TABLE.values() for f in b})


def test_one_frequency_many_names_shown_in_the_pilots_band():
    assert analog_names(5880) == ("R7", "F8")
    assert Equipment.parse("R,F").label(5880) == "R7"
    assert Equipment.parse("F,R").label(5880) == "F8"
    assert Equipment.parse("A").label(5725) == "A8"  # A is descending
    assert Equipment.parse("R").label(5740) is None
    assert parse_analog_label("e8") == 5945
    assert parse_analog_label("R9") is None
    assert parse_analog_label("5800") is None


def test_digital_systems_have_labels_and_bandwidths():
    o3 = DIGITAL_SYSTEMS["dji-o3"]
    assert o3.label(5669) == "DJI O3 CH1"
    assert o3.bandwidth_mhz == 20
    assert DIGITAL_SYSTEMS["dji-v1-25"].label(5839) == "DJI V1 CH8"  # public channel
    assert DIGITAL_SYSTEMS["dji-v1-50"].bandwidth_mhz == 50
    assert DIGITAL_SYSTEMS["hdzero"].label(5880) == "HDZero R7"
    for system in DIGITAL_SYSTEMS.values():
        assert len(system.channels) == len(system.labels) == len(set(system.channels))
        assert system.bandwidth_mhz >= 20
        assert system.source
