"""The Telegram bot: python-telegram-bot v22 handlers on the domain in `fpv`.

Kept import-light on purpose: the webhook's cold start imports only what it uses
(`fpv.bot.webhook` builds the application; the sandbox, CLI and poller are separate modules).
"""
