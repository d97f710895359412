"""Registrations: sign-up with a channel, seat holds for paid trainings, the waitlist,
cancellation with the venue's cut-off, and /delete_me."""

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
from fpv.registrations.seating import ChannelChoice
from fpv.registrations.service import (
    CancelResult,
    Promotion,
    Settlement,
    SignUpResult,
    cancel,
    change_channel,
    channel_choices,
    delete_person,
    expire_holds,
    my_registrations,
    promote_waitlist,
    settle_payment,
    sign_up,
)

__all__ = [
    "AlreadyRegistered",
    "CancelResult",
    "CancelTooLate",
    "ChannelChoice",
    "ChannelUnavailable",
    "PilotNotFound",
    "Promotion",
    "RegistrationError",
    "RegistrationNotFound",
    "Settlement",
    "SignUpResult",
    "TrainingClosed",
    "TrainingNotFound",
    "cancel",
    "change_channel",
    "channel_choices",
    "delete_person",
    "expire_holds",
    "my_registrations",
    "promote_waitlist",
    "settle_payment",
    "sign_up",
]
