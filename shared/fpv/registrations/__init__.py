"""Registrations: sign-up with a channel, seat holds for paid trainings, the waitlist,
cancellation with the venue's cut-off, and /delete_me.

The errors load with the package; the use cases (`service`, and through `seating` the channel
allocator) on first use of one of their names (PEP 562), so a front door that imports this
package pays for them only when a registration is touched (cold start, issue #20).
"""

from typing import TYPE_CHECKING

from fpv.registrations.errors import (
    AlreadyRegistered,
    CancelTooLate,
    ChannelUnavailable,
    PilotNotFound,
    RegistrationError,
    RegistrationNotFound,
    TrainingClosed,
    TrainingNotFound,
)

if TYPE_CHECKING:
    from fpv.registrations.seating import ChannelChoice
    from fpv.registrations.service import (
        CancelResult,
        Deletion,
        Promotion,
        SeatFate,
        Settlement,
        SignUpResult,
        cancel,
        change_channel,
        channel_choices,
        delete_person,
        deletion_passes,
        deletion_preview,
        expire_holds,
        my_registrations,
        promote_waitlist,
        resend_invoice,
        settle_payment,
        sign_up,
    )

__all__ = [
    "AlreadyRegistered",
    "CancelResult",
    "CancelTooLate",
    "ChannelChoice",
    "ChannelUnavailable",
    "Deletion",
    "PilotNotFound",
    "Promotion",
    "RegistrationError",
    "RegistrationNotFound",
    "SeatFate",
    "Settlement",
    "SignUpResult",
    "TrainingClosed",
    "TrainingNotFound",
    "cancel",
    "change_channel",
    "channel_choices",
    "delete_person",
    "deletion_passes",
    "deletion_preview",
    "expire_holds",
    "my_registrations",
    "promote_waitlist",
    "resend_invoice",
    "settle_payment",
    "sign_up",
]


# the names not imported above, by the module that defines them
_LAZY = {**dict.fromkeys(__all__, "service"), "ChannelChoice": "seating"}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value
