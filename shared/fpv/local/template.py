"""Reads template.yaml, the one source of truth for functions, routes, schedules and event rules.

The local gateway serves exactly what this returns, so a function added to the template is
served locally without touching the runner.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}


class TemplateError(ValueError):
    """template.yaml cannot be served; the message is one line that says where and why."""


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that keeps CloudFormation short-form tags (!Ref, !Sub, ...) as plain data."""


def _cfn_tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


@dataclass(frozen=True)
class FunctionDef:
    logical_id: str
    code_dir: Path
    handler: str  # "module.function"
    timeout: int
    memory: int

    @property
    def module_file(self) -> Path:
        return self.code_dir / (self.handler.rsplit(".", 1)[0].replace(".", "/") + ".py")

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: FunctionDef
    pattern: re.Pattern[str] = field(compare=False)
    literal_segments: int = 0

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.method not in ("ANY", method):
            return None
        m = self.pattern.fullmatch(path)
        return None if m is None else {k: v for k, v in m.groupdict().items()}


@dataclass(frozen=True)
class Schedule:
    name: str
    function: FunctionDef
    expression: str  # rate(...) or cron(...)
    event: dict[str, Any]
    enabled: bool = True


@dataclass(frozen=True)
class EventRule:
    name: str
    function: FunctionDef
    pattern: dict[str, Any]


@dataclass
class AppTemplate:
    functions: dict[str, FunctionDef]
    routes: list[Route]
    schedules: list[Schedule]
    event_rules: list[EventRule]

    def find_route(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:  # sorted most specific first
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None


_PARAM = re.compile(r"\{([A-Za-z0-9_]+)(\+?)\}")


def _compile_path(where: str, path: Any) -> tuple[re.Pattern[str], int]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise TemplateError(f"{where}: Path {path!r} must be a string starting with '/'")
    regex, literal = "", 0
    for i, segment in enumerate(path.strip("/").split("/") if path != "/" else []):
        m = _PARAM.fullmatch(segment)
        if m:
            greedy = m[2] == "+"
            if greedy and i != len(path.strip("/").split("/")) - 1:
                raise TemplateError(f"{where}: greedy parameter must be last in {path!r}")
            regex += f"/(?P<{m[1]}>{'.+' if greedy else '[^/]+'})"
        elif "{" in segment or "}" in segment:
            raise TemplateError(f"{where}: malformed path parameter in {path!r}")
        else:
            regex += "/" + re.escape(segment)
            literal += 1
    return re.compile(regex or "/"), literal


def load_template(path: Path) -> AppTemplate:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise TemplateError(
            f"{path}:{line} is not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("Resources"), dict):
        raise TemplateError(f"{path}: no Resources section")
    root = path.parent
    glob = (doc.get("Globals") or {}).get("Function") or {}
    functions: dict[str, FunctionDef] = {}
    routes: list[Route] = []
    schedules: list[Schedule] = []
    rules: list[EventRule] = []
    seen_routes: dict[str, str] = {}
    for logical_id, resource in doc["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        where = f"{path.name}: {logical_id}"
        code_uri, handler = props.get("CodeUri"), props.get("Handler", glob.get("Handler"))
        if not isinstance(code_uri, str) or not isinstance(handler, str) or "." not in handler:
            raise TemplateError(
                f"{where}: needs a CodeUri folder and a Handler like app.lambda_handler"
            )
        fn = FunctionDef(
            logical_id,
            (root / code_uri).resolve(),
            handler,
            int(props.get("Timeout", glob.get("Timeout", 3))),
            int(props.get("MemorySize", glob.get("MemorySize", 128))),
        )
        if not fn.module_file.is_file():
            raise TemplateError(
                f"{where}: handler file {fn.module_file.relative_to(root)} not found"
            )
        functions[logical_id] = fn
        for event_id, event in (props.get("Events") or {}).items():
            ev_where = f"{where} event {event_id}"
            if not isinstance(event, dict):
                raise TemplateError(f"{ev_where}: must be a mapping")
            kind, ev = event.get("Type"), event.get("Properties") or {}
            if kind == "HttpApi":
                method = str(ev.get("Method", "")).upper()
                if method not in HTTP_METHODS:
                    raise TemplateError(
                        f"{ev_where}: Method {ev.get('Method')!r} is not an HTTP method"
                    )
                pattern, literal = _compile_path(ev_where, ev.get("Path"))
                key = f"{method} {ev['Path']}"
                if key in seen_routes:
                    raise TemplateError(
                        f"{ev_where}: route {key} is also served by {seen_routes[key]}"
                    )
                seen_routes[key] = logical_id
                routes.append(Route(method, ev["Path"], fn, pattern, literal))
            elif kind in ("Schedule", "ScheduleV2"):
                expr = ev.get("ScheduleExpression") if kind == "ScheduleV2" else ev.get("Schedule")
                if not isinstance(expr, str) or not re.fullmatch(r"(rate|cron)\(.+\)", expr):
                    raise TemplateError(
                        f"{ev_where}: schedule expression {expr!r} is not rate(...) or cron(...)"
                    )
                payload = ev.get("Input")
                try:
                    body = json.loads(payload) if isinstance(payload, str) else {}
                except json.JSONDecodeError as exc:
                    raise TemplateError(f"{ev_where}: Input is not JSON ({exc.msg})") from exc
                enabled = (
                    ev.get("State", "ENABLED") != "DISABLED"
                    and ev.get("Enabled", True) is not False
                )
                schedules.append(Schedule(f"{logical_id}.{event_id}", fn, expr, body, enabled))
            elif kind == "EventBridgeRule":
                rules.append(EventRule(f"{logical_id}.{event_id}", fn, ev.get("Pattern") or {}))
    # API Gateway prefers the most literal match; greedy and ANY routes last.
    routes.sort(key=lambda r: (-r.literal_segments, "+}" in r.path, r.method == "ANY", r.path))
    return AppTemplate(functions, routes, schedules, rules)
