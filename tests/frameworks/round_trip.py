"""Run by tests/test_frameworks.py under the frameworks' own venv (they need the v1 MCP SDK).

    python round_trip.py openai-agents  SCRIPT_JSON COMMAND ARGS...  [--structured]
    python round_trip.py langchain      SCRIPT_JSON COMMAND ARGS...
    python round_trip.py converters     SCRIPT_JSON COMMAND ARGS...

openai-agents runs a whole agent against the model stand-in at OPENAI_BASE_URL (which records what the
model is handed); langchain-mcp-adapters invokes each scripted call as its agents do and prints the
ToolMessage content the model would get; converters prints how the official SDKs convert each inputSchema.
Output: one JSON document on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


async def openai_agents(
    script: list[dict[str, Any]], command: str, args: list[str], structured: bool
) -> dict[str, Any]:
    from agents import Agent, OpenAIResponsesModel, Runner, set_tracing_disabled
    from agents.mcp import MCPServerStdio
    from openai import AsyncOpenAI

    set_tracing_disabled(True)  # traces would go to OpenAI's servers
    params = {"command": command, "args": args}
    async with MCPServerStdio(
        params=params, use_structured_content=structured, client_session_timeout_seconds=30
    ) as server:
        model = OpenAIResponsesModel(model="gpt-5", openai_client=AsyncOpenAI())
        agent = Agent(
            name="hostup",
            instructions="Use the tools.",
            model=model,
            mcp_servers=[server],
            mcp_config={"convert_schemas_to_strict": True},
        )
        result = await Runner.run(agent, "Look at the ISO media of my HostUp VPS.", max_turns=len(script) + 3)
    return {"final": str(result.final_output)}


async def langchain(script: list[dict[str, Any]], command: str, args: list[str]) -> dict[str, Any]:
    from langchain_mcp_adapters.tools import load_mcp_tools

    async with (
        stdio_client(StdioServerParameters(command=command, args=args)) as streams,
        ClientSession(*streams) as session,
    ):
        await session.initialize()
        tools = {tool.name: tool for tool in await load_mcp_tools(session)}
        handed = []
        for number, step in enumerate(script):
            call = {"type": "tool_call", "name": step["tool"], "args": step["arguments"], "id": f"call_{number}"}
            message = await tools[step["tool"]].ainvoke(call)
            content = message.content
            text = (
                content
                if isinstance(content, str)
                else "\n".join(
                    block.get("text", json.dumps(block)) if isinstance(block, dict) else str(block) for block in content
                )
            )
            handed.append({"text": text, "status": getattr(message, "status", None)})
        offered = [
            {
                "name": name,
                "parameters": tool.args_schema
                if isinstance(tool.args_schema, dict)
                else tool.args_schema.model_json_schema(),
            }
            for name, tool in tools.items()
        ]
    return {"handed": handed, "offered": offered}


async def converters(command: str, args: list[str]) -> dict[str, Any]:
    """Each inputSchema through OpenAI's strict rules (openai-agents), google-genai's MCP conversion and
    Anthropic's strict-tool transform, as those SDKs ship them."""
    from agents.strict_schema import ensure_strict_json_schema
    from anthropic.lib._parse._transform import transform_schema
    from google.genai._mcp_utils import mcp_to_gemini_tool

    async with (
        stdio_client(StdioServerParameters(command=command, args=args)) as streams,
        ClientSession(*streams) as session,
    ):
        await session.initialize()
        tools = (await session.list_tools()).tools
    converted: dict[str, Any] = {}
    for tool in tools:
        entry: dict[str, Any] = {"original": tool.inputSchema}
        for name, convert in (
            ("openai-strict", lambda t: ensure_strict_json_schema(json.loads(json.dumps(t.inputSchema)))),
            ("anthropic", lambda t: transform_schema(json.loads(json.dumps(t.inputSchema)))),
            (
                "gemini",
                lambda t: (
                    mcp_to_gemini_tool(t).function_declarations[0].parameters.model_dump(mode="json", exclude_none=True)
                ),
            ),
        ):
            try:
                entry[name] = convert(tool)
            except Exception as error:
                entry[name] = {"error": f"{type(error).__name__}: {error}"}
        converted[tool.name] = entry
    return converted


def main() -> None:
    mode, script_json, command, *rest = sys.argv[1:]
    structured = "--structured" in rest
    args = [arg for arg in rest if arg != "--structured"]
    script = json.loads(script_json)
    if mode == "openai-agents":
        output = asyncio.run(openai_agents(script, command, args, structured))
    elif mode == "langchain":
        output = asyncio.run(langchain(script, command, args))
    else:
        output = asyncio.run(converters(command, args))
    print(json.dumps(output, ensure_ascii=False))


if __name__ == "__main__":
    main()
