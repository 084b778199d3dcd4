"""A scripted stand-in for the model APIs that real hosts call, on 127.0.0.1.

Claude Code speaks Anthropic's Messages API, Gemini CLI Google's generateContent, Codex CLI OpenAI's
Responses API. The stand-in reads each request the host sends, asks for the scripted tool calls one at a
time (finding each tool by the end of its name, as hosts prefix them), and records every tool result the
host puts in front of the model: what a real model would read. Requests without our tools (titles,
summaries) get a short text answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FINAL_TEXT = "Done."
CALL_ID = "call_hostup_{}"


@dataclass(frozen=True)
class ToolCall:
    tool: str  # our tool's name; the host's name for it ends with this
    arguments: dict[str, Any]


@dataclass
class Conversation:
    """What the stand-in saw: the tools each host offered, and the tool results it handed the model."""

    script: list[ToolCall]
    offered: list[dict[str, Any]] = field(default_factory=list)  # tool declarations, as the host sent them
    handed: dict[int, str] = field(default_factory=dict)  # call number -> what the model was given
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def result(self, index: int) -> str:
        paths = [request["path"] for request in self.requests]
        names = sorted({tool_name(tool) for tool in self.offered if "hostup" in tool_name(tool)})
        assert index in self.handed, (
            f"no result was handed to the model for call {index}: requests {paths}, tools {names}"
        )
        return self.handed[index]

    def offered_tool(self, tool: str) -> dict[str, Any]:
        found = [declared for declared in self.offered if tool_name(declared).endswith(tool)]
        assert found, f"{tool} was never offered; offered: {[tool_name(t) for t in self.offered]}"
        return found[-1]


def tool_name(declared: dict[str, Any]) -> str:
    return str(declared.get("name", ""))


def call_number(call_id: str) -> int | None:
    prefix = CALL_ID.format("")
    return int(call_id[len(prefix) :]) if call_id.startswith(prefix) and call_id[len(prefix) :].isdigit() else None


def as_text(content: Any) -> str:
    """A tool result's content as the model reads it: a string as is, blocks joined by their text."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            as_text(block.get("text", block)) if isinstance(block, dict) else str(block) for block in content
        )
    return json.dumps(content, ensure_ascii=False)


class Protocol:
    """One model API: where our tools are in a request, which results came back, how to answer."""

    def tools(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def results(self, body: dict[str, Any]) -> dict[int, str]:
        raise NotImplementedError

    def answer(self, call: tuple[int, str, dict[str, Any]] | None, body: dict[str, Any]) -> tuple[str, bytes]:
        """(content type, body) asking for `call` (number, host tool name, arguments) or saying FINAL_TEXT."""
        raise NotImplementedError


def sse(events: list[tuple[str | None, dict[str, Any]]]) -> bytes:
    lines = []
    for name, data in events:
        if name is not None:
            lines.append(f"event: {name}")
        lines.append(f"data: {json.dumps(data)}\n")
    return ("\n".join(lines) + "\n").encode()


class Anthropic(Protocol):
    def tools(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        return [tool for tool in body.get("tools", []) if isinstance(tool, dict)]

    def results(self, body: dict[str, Any]) -> dict[int, str]:
        found = {}
        for message in body.get("messages", []):
            for block in message.get("content", []) if isinstance(message.get("content"), list) else []:
                if isinstance(block, dict) and block.get("type") == "tool_result":
                    number = call_number(str(block.get("tool_use_id", "")))
                    if number is not None:
                        found[number] = as_text(block.get("content"))
        return found

    def answer(self, call: tuple[int, str, dict[str, Any]] | None, body: dict[str, Any]) -> tuple[str, bytes]:
        if call is None:
            block: dict[str, Any] = {"type": "text", "text": ""}
            delta: dict[str, Any] = {"type": "text_delta", "text": FINAL_TEXT}
            stop = "end_turn"
        else:
            number, name, arguments = call
            block = {"type": "tool_use", "id": CALL_ID.format(number), "name": name, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(arguments)}
            stop = "tool_use"
        usage = {"input_tokens": 1, "output_tokens": 1}
        message = {"id": "msg_stand_in", "type": "message", "role": "assistant", "model": body.get("model", "m")}
        if not body.get("stream"):
            content = dict(block)
            if call is None:
                content["text"] = FINAL_TEXT
            else:
                content["input"] = call[2]
            whole = message | {"content": [content], "stop_reason": stop, "stop_sequence": None, "usage": usage}
            return "application/json", json.dumps(whole).encode()
        events: list[tuple[str | None, dict[str, Any]]] = [
            (
                "message_start",
                {
                    "type": "message_start",
                    "message": message | {"content": [], "stop_reason": None, "stop_sequence": None, "usage": usage},
                },
            ),
            ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": 1},
                },
            ),
            ("message_stop", {"type": "message_stop"}),
        ]
        return "text/event-stream", sse(events)


class Gemini(Protocol):
    def __init__(self, *, streaming: bool) -> None:
        self.streaming = streaming

    def tools(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        declared = []
        for tool in body.get("tools", []):
            declared += tool.get("functionDeclarations", []) if isinstance(tool, dict) else []
        return declared

    def results(self, body: dict[str, Any]) -> dict[int, str]:
        found = {}
        for content in body.get("contents", []):
            for part in content.get("parts", []):
                response = part.get("functionResponse") if isinstance(part, dict) else None
                if isinstance(response, dict):
                    number = call_number(str(response.get("id", "")))
                    if number is None:  # Gemini CLI may not echo ids: take the results in order
                        number = len(found)
                    found[number] = json.dumps(response.get("response"), ensure_ascii=False)
        return found

    def answer(self, call: tuple[int, str, dict[str, Any]] | None, body: dict[str, Any]) -> tuple[str, bytes]:
        if call is None:
            part: dict[str, Any] = {"text": FINAL_TEXT}
        else:
            number, name, arguments = call
            part = {"functionCall": {"name": name, "args": arguments, "id": CALL_ID.format(number)}}
        chunk = {
            "candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2},
        }
        if not self.streaming:
            return "application/json", json.dumps(chunk).encode()
        return "text/event-stream", sse([(None, chunk)])


class OpenAIResponses(Protocol):
    def tools(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Function tools; Codex groups a server's tools in a `namespace` tool, named here `namespace.tool`."""
        found = []
        for tool in body.get("tools", []):
            if isinstance(tool, dict) and tool.get("type") == "namespace":
                found += [inner | {"name": f"{tool['name']}.{inner['name']}"} for inner in tool.get("tools", [])]
            elif isinstance(tool, dict):
                found.append(tool)
        return found

    def results(self, body: dict[str, Any]) -> dict[int, str]:
        found = {}
        for item in body.get("input", []):
            if isinstance(item, dict) and item.get("type") == "function_call_output":
                number = call_number(str(item.get("call_id", "")))
                if number is not None:
                    found[number] = as_text(item.get("output"))
        return found

    def answer(self, call: tuple[int, str, dict[str, Any]] | None, body: dict[str, Any]) -> tuple[str, bytes]:
        if call is None:
            item: dict[str, Any] = {
                "type": "message",
                "id": "msg_stand_in",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": FINAL_TEXT, "annotations": []}],
            }
        else:
            number, name, arguments = call
            namespace, _, function = name.rpartition(".")
            item = {
                "type": "function_call",
                "id": f"fc_{number}",
                "call_id": CALL_ID.format(number),
                "name": function,
                "arguments": json.dumps(arguments),
                "status": "completed",
            } | ({"namespace": namespace} if namespace else {})
        response = {"id": "resp_stand_in", "object": "response", "status": "completed", "model": body.get("model", "m")}
        usage = {
            "input_tokens": 1,
            "output_tokens": 1,
            "total_tokens": 2,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        }
        if not body.get("stream"):
            return "application/json", json.dumps(response | {"output": [item], "usage": usage}).encode()
        events: list[tuple[str | None, dict[str, Any]]] = [
            (
                "response.created",
                {"type": "response.created", "response": response | {"status": "in_progress", "output": []}},
            ),
            ("response.output_item.added", {"type": "response.output_item.added", "output_index": 0, "item": item}),
            ("response.output_item.done", {"type": "response.output_item.done", "output_index": 0, "item": item}),
            (
                "response.completed",
                {"type": "response.completed", "response": response | {"output": [item], "usage": usage}},
            ),
        ]
        return "text/event-stream", sse(events)


def protocol_for(path: str) -> Protocol | None:
    if path.startswith("/v1/messages") and "count_tokens" not in path:
        return Anthropic()
    if "generatecontent" in path.lower():
        return Gemini(streaming="streamGenerateContent" in path)
    if path.rstrip("/").endswith("/responses"):
        return OpenAIResponses()
    return None


def next_call(
    conversation: Conversation, protocol: Protocol, body: dict[str, Any]
) -> tuple[int, str, dict[str, Any]] | None:
    """The first scripted call whose result is not in this request, under the host's name for the tool.

    Claude Code offers deferred tools only after its ToolSearch has selected them: the stand-in asks for
    that first, as a model would."""
    offered = protocol.tools(body)
    results = protocol.results(body)
    with conversation.lock:
        conversation.offered += offered
        conversation.handed.update(results)
    for number, step in enumerate(conversation.script):
        if number in results:
            continue
        names = [tool_name(tool) for tool in offered if tool_name(tool).endswith(step.tool)]
        if names:
            return number, names[0], step.arguments
        if any(tool_name(tool) == "ToolSearch" for tool in offered):
            search = 1000 + number
            if search not in results:
                return search, "ToolSearch", {"query": f"select:mcp__hostup__{step.tool}"}
        return None  # the host does not offer it: the test reads that from `offered`
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    conversation: Conversation

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.reply(404, "application/json", b'{"error":{"message":"not here"}}')

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        with self.conversation.lock:
            self.conversation.requests.append({"path": self.path, "body": body})
        protocol = protocol_for(self.path)
        if protocol is None:
            self.reply(404, "application/json", b'{"error":{"message":"not here"}}')
            return
        content_type, answer = protocol.answer(next_call(self.conversation, protocol, body), body)
        self.reply(200, content_type, answer)

    def reply(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def model_stand_in(script: list[ToolCall]) -> Iterator[tuple[str, Conversation]]:
    """The stand-in's base URL (http://127.0.0.1:PORT) and what it records, for one host run."""
    conversation = Conversation(script=script)
    handler = type("ScriptedHandler", (Handler,), {"conversation": conversation})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", conversation
    finally:
        server.shutdown()
        server.server_close()
