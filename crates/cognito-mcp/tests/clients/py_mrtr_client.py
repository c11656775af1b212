"""A real MCP client on protocol 2026-07-28: the Python `mcp` SDK (2.3.0) over stdio, with
`server/discover` instead of `initialize`, so server-to-client requests are out and a
confirmation comes as an `input_required` result (multi round-trip requests).

Usage: py_mrtr_client.py SCENARIO TOOL JSON_ARGS
  the server command is the JSON array in MCP_SERVER_CMD, run with this process's environment.
Scenarios:
  accept    answer the confirmation with yes and retry
  decline   answer it with no and retry
  other     answer yes, but retry a different call (other arguments) with that answer
Prints one JSON line: {"step": "result", "version", "first", "asked", "retried"}.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client


def dump(result):
    if result is None:
        return None
    return json.loads(result.model_dump_json(by_alias=True, exclude_none=True))


async def main():
    scenario, tool, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    command, *argv = json.loads(os.environ["MCP_SERVER_CMD"])
    params = StdioServerParameters(command=command, args=argv, env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        # Declaring an elicitation callback declares the capability.
        async def never(ctx, p):
            raise RuntimeError("no server-to-client request is expected on 2026-07-28")

        async with ClientSession(read, write, elicitation_callback=never) as session:
            await session.discover()
            first = await session.call_tool(tool, args, allow_input_required=True)
            asked, retried = [], None
            if isinstance(first, types.InputRequiredResult):
                responses = {}
                for key, request in (first.input_requests or {}).items():
                    asked.append(json.loads(request.model_dump_json(by_alias=True, exclude_none=True)))
                    answer = (
                        types.ElicitResult(action="accept", content={"confirm": True})
                        if scenario in ("accept", "other")
                        else types.ElicitResult(action="decline")
                    )
                    responses[key] = json.loads(answer.model_dump_json(by_alias=True, exclude_none=True))
                retry_args = dict(args)
                if scenario == "other":
                    retry_args["username"] = retry_args["username"] + "-other"
                retried = await session.call_tool(
                    tool,
                    retry_args,
                    input_responses=responses,
                    request_state=first.request_state,
                    allow_input_required=True,
                )
            print(
                json.dumps(
                    {
                        "step": "result",
                        "version": session._negotiated_version,
                        "first": dump(first),
                        "asked": asked,
                        "retried": dump(retried),
                    }
                ),
                flush=True,
            )


asyncio.run(main())
