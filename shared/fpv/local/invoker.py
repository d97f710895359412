"""Loads Lambda handlers from their folders and invokes them in-process, one at a time per
function (as one warm Lambda container does), keeping modules loaded between calls."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from fpv.local.apigw import LambdaContext
from fpv.local.template import FunctionDef

Handler = Callable[[dict[str, Any], Any], Any]


class FunctionInvoker:
    def __init__(self) -> None:
        self._modules: dict[str, ModuleType] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _load(self, fn: FunctionDef) -> Handler:
        module = self._modules.get(fn.logical_id)
        if module is None:
            name = f"fpv_lambda_{fn.logical_id}"
            spec = importlib.util.spec_from_file_location(name, fn.module_file)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {fn.module_file}")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)  # the "cold start"
            self._modules[fn.logical_id] = module
        return getattr(module, fn.attribute)

    def invoke(self, fn: FunctionDef, event: dict[str, Any]) -> Any:
        with self._guard:
            lock = self._locks.setdefault(fn.logical_id, threading.Lock())
        with lock:
            handler = self._load(fn)
            return handler(event, LambdaContext(fn.logical_id, fn.timeout, fn.memory))
