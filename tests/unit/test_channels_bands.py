"""The band tables in code equal the reference table they cite (fpv/channels/bands.json)."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from fpv.channels.bands import ANALOG_BANDS, DIGITAL_SYSTEMS

REFERENCE = json.loads(resources.files("fpv.channels").joinpath("bands.json").read_text("utf-8"))


@pytest.mark.parametrize("code", sorted(ANALOG_BANDS))
def test_analog_band_equals_the_reference(code):
    band = ANALOG_BANDS[code]
    ref = REFERENCE[code]
    assert (list(band.channels), band.source) == (ref["channels"], ref["source"])


@pytest.mark.parametrize("system", sorted(DIGITAL_SYSTEMS))
def test_digital_system_channels_equal_the_reference(system):
    s = DIGITAL_SYSTEMS[system]
    assert list(s.channels) == REFERENCE[s.band_code]["channels"]
