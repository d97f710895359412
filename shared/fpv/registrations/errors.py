"""What can go wrong when signing up or cancelling; each carries a text key for the pilot."""

from __future__ import annotations


class RegistrationError(Exception):
    text_key = "registration.error.generic"


class PilotNotFound(RegistrationError):
    text_key = "registration.error.no_profile"


class TrainingNotFound(RegistrationError):
    text_key = "registration.error.training_gone"


class TrainingClosed(RegistrationError):
    """Cancelled, or already started: no sign-ups and no pilot cancellations."""

    text_key = "registration.error.training_closed"


class AlreadyRegistered(RegistrationError):
    text_key = "registration.error.already_registered"

    def __init__(self, registration_id: int, status: str) -> None:
        super().__init__(f"already registered ({status})")
        self.registration_id = registration_id
        self.status = status


class ChannelUnavailable(RegistrationError):
    """The chosen channel is taken or not allowed, or no channel fits the pilot's VTX."""

    text_key = "registration.error.channel_unavailable"


class CancelTooLate(RegistrationError):
    text_key = "registration.error.cancel_too_late"


class RegistrationNotFound(RegistrationError):
    """Unknown, not the caller's, or no longer active (already cancelled/expired)."""

    text_key = "registration.error.not_found"
