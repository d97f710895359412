"""Process-wide adapters for Lambda handlers and the CLI, created lazily and reused while warm."""

from __future__ import annotations

from fpv.db import Database, database_for
from fpv.ports.events import EventBridgeBus, EventBus, InProcessEventBus
from fpv.ports.functions import AsyncFunctions, LambdaAsync
from fpv.settings import Settings, get_settings


class ConfigurationError(RuntimeError):
    """A required setting is missing or wrong; the message names the environment variable."""


def database(settings: Settings | None = None) -> Database:
    settings = settings or get_settings()
    url = settings.database_url_value()
    if not url:
        raise ConfigurationError("DATABASE_URL is not set")
    return database_for(url, settings.database_sslrootcert)


_bus: EventBus | None = None


def event_bus(settings: Settings | None = None) -> EventBus:
    """EventBridge when EVENT_BUS_NAME is set (AWS), else the process's in-process bus (local
    runner and tests), which the runner wires to the template's EventBridgeRule targets."""
    global _bus
    settings = settings or get_settings()
    if settings.event_bus_name:
        if not isinstance(_bus, EventBridgeBus):
            _bus = EventBridgeBus(settings.event_bus_name, settings.aws_endpoint_url)
    elif not isinstance(_bus, InProcessEventBus):
        _bus = InProcessEventBus()
    return _bus


_functions: AsyncFunctions | None = None


def set_local_functions(functions: AsyncFunctions | None) -> None:
    """The local runner's in-process invoker (None when the runner stops)."""
    global _functions
    _functions = functions


def async_functions(settings: Settings | None = None) -> AsyncFunctions | None:
    """Lambda async invoke when the function name is configured (AWS), else the local runner's
    in-process invoker, else None (nothing to hand work to: the caller says so)."""
    global _functions
    settings = settings or get_settings()
    if settings.voice_assistant_function:
        if not isinstance(_functions, LambdaAsync):
            _functions = LambdaAsync(settings.aws_endpoint_url)
        return _functions
    return _functions
