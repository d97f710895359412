"""Scheduled jobs: reminders 24 h and 1 h before a training (with hold expiry and idempotency
housekeeping, the `reminders` function) and nightly backups with a tested restore (the `backup`
function, `fpv backup`, `fpv restore`)."""
