"""A fake OpenAI API on 127.0.0.1 for the voice assistant's tests (OPENAI_BASE_URL=`base_url`).

Serves the two endpoints the assistant calls, shaped like OpenAI's answers, with scripted
content: `/v1/audio/transcriptions` answers the next scripted transcript, `/v1/chat/completions`
the next scripted reply (tool calls or text). Errors (429, 500, ...) and slow answers (timeouts)
are scripted too; every request is recorded (model, audio size, messages, tools offered).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any

from fpv.local.loopback import LoopbackServer

TRANSCRIPTIONS = "/v1/audio/transcriptions"
CHAT = "/v1/chat/completions"


@dataclass
class Request:
    path: str
    params: dict[str, Any]
    authorization: str | None
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Fault:
    path: str | None
    status: int
    delay: float
    times: int
    gate: threading.Event | None = None


def tool_call(name: str, **arguments: Any) -> dict[str, Any]:
    """One tool call of a scripted chat reply."""
    return {"name": name, "arguments": arguments}


class FakeOpenAI(LoopbackServer):
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.transcripts: list[str] = []
        self.replies: list[dict[str, Any]] = []
        self._faults: list[_Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/v1"

    # --- scripting ----------------------------------------------------------------------------
    def script(self, transcript: str, *calls: dict[str, Any], text: str | None = None) -> None:
        """The next voice message says `transcript`; the model answers with these tool calls
        (or with plain `text`). Neither given: no chat reply is queued (an empty transcript
        never reaches the chat model)."""
        with self._lock:
            self.transcripts.append(transcript)
            if calls or text is not None:
                self.replies.append({"calls": list(calls), "text": text})

    def reply(self, *calls: dict[str, Any], text: str | None = None) -> None:
        """Only the next chat reply (for a typed message: nothing to transcribe)."""
        with self._lock:
            self.replies.append({"calls": list(calls), "text": text})

    def fail(self, path: str | None = None, *, status: int = 500, times: int = 1) -> None:
        with self._lock:
            self._faults.append(_Fault(path, status, 0.0, times))

    def stall(self, path: str | None = None, *, seconds: float, times: int = 1) -> None:
        """The next matching requests are answered only after `seconds` (client timeouts)."""
        with self._lock:
            self._faults.append(_Fault(path, 0, seconds, times))

    def hold(self, path: str | None = None, *, limit: float = 10.0) -> threading.Event:
        """The next matching request waits until the returned event is set (at most `limit`
        seconds), then is answered normally: shows who waits for OpenAI and who does not."""
        gate = threading.Event()
        with self._lock:
            self._faults.append(_Fault(path, 0, limit, 1, gate))
        return gate

    # --- inspection ---------------------------------------------------------------------------
    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # --- HTTP -----------------------------------------------------------------------------------
    def _send(self, request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:  # the client gave up (timeout test)
            pass

    def _params(self, request: BaseHTTPRequestHandler) -> dict[str, Any]:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                f"Content-Type: {ctype}\r\n\r\n".encode() + body
            )
            params: dict[str, Any] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                if part.get_filename():
                    params[name] = {"filename": part.get_filename(), "content": payload}
                else:
                    params[name] = payload.decode("utf-8")
            return params
        return json.loads(body) if body else {}

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.path in (None, path) and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = request.path.split("?")[0]
        params = self._params(request)
        with self._lock:
            self.requests.append(Request(path, params, request.headers.get("Authorization")))
        fault = self._take_fault(path)
        if fault is not None:
            if fault.gate is not None:
                fault.gate.wait(fault.delay)
            elif fault.delay:
                time.sleep(fault.delay)
            if fault.status:
                kind = "rate_limit_exceeded" if fault.status == 429 else "server_error"
                self._send(
                    request,
                    fault.status,
                    {"error": {"message": "scripted failure", "type": kind, "code": kind}},
                )
                return
        if path == TRANSCRIPTIONS:
            with self._lock:
                text = self.transcripts.pop(0) if self.transcripts else ""
            self._send(request, 200, {"text": text})
        elif path == CHAT:
            self._send(request, 200, self._completion(params))
        else:
            self._send(request, 404, {"error": {"message": "unknown endpoint", "type": "x"}})

    def _completion(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            scripted = self.replies.pop(0) if self.replies else {"calls": [], "text": ""}
        calls = [
            {
                "id": f"call_{next(self._ids)}",
                "type": "function",
                "function": {
                    "name": c["name"],
                    "arguments": json.dumps(c["arguments"], ensure_ascii=False),
                },
            }
            for c in scripted["calls"]
        ]
        message: dict[str, Any] = {"role": "assistant", "content": scripted["text"] or None}
        if calls:
            message["tool_calls"] = calls
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": params.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls" if calls else "stop",
                    "message": message,
                    "logprobs": None,
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
