"""Asynchronous function invocation port: hand work to another function and return at once.

In AWS: Lambda's asynchronous invoke (`InvocationType="Event"`): Lambda queues the event and
the caller never waits for the work. Locally: the runner registers an in-process invoker that
runs the template's function in a background thread, the same way EventBridge targets are run.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Collection
from typing import Any, Protocol

log = logging.getLogger("fpv.functions")


class InvokeFailed(RuntimeError):
    """The function could not be handed the event (throttled, unknown, network): try later."""


class AsyncFunctions(Protocol):
    def invoke_async(self, function: str, event: dict[str, Any]) -> None: ...


class LambdaAsync:
    """Lambda async invoke; the boto3 client is created on first use and reused while warm."""

    def __init__(self, endpoint_url: str | None = None) -> None:
        self._endpoint_url = endpoint_url
        self._client: Any = None

    def invoke_async(self, function: str, event: dict[str, Any]) -> None:
        if self._client is None:
            import boto3  # lazy: only requests that hand work over pay for it

            self._client = boto3.client("lambda", endpoint_url=self._endpoint_url)
        try:
            response = self._client.invoke(
                FunctionName=function, InvocationType="Event", Payload=json.dumps(event).encode()
            )
        except Exception as exc:  # botocore ClientError / EndpointConnectionError
            raise InvokeFailed(f"lambda invoke: {type(exc).__name__}") from None
        if response.get("StatusCode") != 202:
            raise InvokeFailed(f"lambda invoke answered {response.get('StatusCode')}")


class InProcessFunctions:
    """Runs `target(function, event)` in a daemon thread and returns at once (the local runner
    passes its FunctionInvoker; a failure is logged, as Lambda would record it)."""

    def __init__(
        self,
        target: Callable[[str, dict[str, Any]], Any],
        known: Collection[str] | None = None,
    ) -> None:
        self._target = target
        self._known = set(known) if known is not None else None
        self.threads: list[threading.Thread] = []

    def invoke_async(self, function: str, event: dict[str, Any]) -> None:
        if self._known is not None and function not in self._known:
            raise InvokeFailed(f"no function {function} here")  # as Lambda's 404

        def invoke() -> None:  # thread name "... (invoke)": test helpers join these
            try:
                self._target(function, event)
            except Exception:
                log.exception("async invocation of %s failed", function)

        thread = threading.Thread(target=invoke, daemon=True)
        self.threads.append(thread)
        thread.start()

    def join(self, timeout: float = 30.0) -> None:
        for thread in list(self.threads):
            thread.join(timeout)
