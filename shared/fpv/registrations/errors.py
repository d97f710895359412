"""What can go wrong when signing up or cancelling (callers word it for the pilot)."""

from __future__ import annotations


class RegistrationError(Exception):
    """Base of every refusal below."""


class PilotNotFound(RegistrationError):
    """No pilot profile for this Telegram id (no consent yet, or deleted)."""


class TrainingNotFound(RegistrationError):
    """No such training."""


class TrainingClosed(RegistrationError):
    """Cancelled, or already started: no sign-ups and no pilot cancellations."""


class AlreadyRegistered(RegistrationError):
    """The pilot already holds, waits for or has a seat at this training."""

    def __init__(self, registration_id: int, status: str) -> None:
        super().__init__(f"already registered ({status})")
        self.registration_id = registration_id
        self.status = status


class ChannelUnavailable(RegistrationError):
    """The chosen channel is taken or not allowed, or no channel fits the pilot's VTX."""


class CancelTooLate(RegistrationError):
    """The venue's cancellation cut-off has passed."""


class RegistrationNotFound(RegistrationError):
    """Unknown, not the caller's, or no longer active (already cancelled/expired)."""
