"""Data access for registrations that hold seats."""

from __future__ import annotations

from fpv.db import Tx


def insert_confirmed(
    tx: Tx,
    *,
    training_id: int,
    pilot_id: int,
    channel_mhz: int | None,
    channel_label: str | None,
    heat: int = 1,
) -> int:
    return tx.value(
        "INSERT INTO registrations"
        " (training_id, pilot_id, status, channel_mhz, channel_label, heat)"
        " VALUES (:tr, :p, 'confirmed', :mhz, :label, :heat) RETURNING id",
        tr=training_id,
        p=pilot_id,
        mhz=channel_mhz,
        label=channel_label,
        heat=heat,
    )
