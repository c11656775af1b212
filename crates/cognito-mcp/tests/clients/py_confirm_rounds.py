"""A real MCP client on protocol 2026-07-28 (the Python `mcp` SDK over stdio) that plays
`input_required` confirmation rounds the way a hostile agent could: it calls a tool, is asked
to confirm, and then retries with a requestState of its choosing.

Usage: py_confirm_rounds.py TOOL JSON_ARGS JSON_PLAN
  the server command is the JSON array in MCP_SERVER_CMD, run with this process's environment.
  JSON_PLAN is a list of retries, each {"state": S, "answer": "accept"|"decline", "args": {...}?}
  where S is "issued" (the requestState of the first answer), "issued-altered" (the same with
  its last character changed), "none" (no requestState), or any other text, sent as it is.
  "args" replaces the first call's arguments.
Prints one JSON line: {"step": "result", "version", "first", "retries": [...]}.
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


def altered(state):
    last = state[-1]
    return state[:-1] + ("1" if last == "0" else "0")


async def main():
    tool, args, plan = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
    command, *argv = json.loads(os.environ["MCP_SERVER_CMD"])
    params = StdioServerParameters(command=command, args=argv, env=dict(os.environ))
    async with stdio_client(params) as (read, write):
        # Declaring an elicitation callback declares the capability.
        async def never(ctx, p):
            raise RuntimeError("no server-to-client request is expected on 2026-07-28")

        async with ClientSession(read, write, elicitation_callback=never) as session:
            await session.discover()
            first = await session.call_tool(tool, args, allow_input_required=True)
            issued = getattr(first, "request_state", None)
            retries = []
            for step in plan:
                state = step["state"]
                if state == "issued":
                    state = issued
                elif state == "issued-altered":
                    state = altered(issued)
                elif state == "none":
                    state = None
                answer = (
                    types.ElicitResult(action="accept", content={"confirm": True})
                    if step.get("answer", "accept") == "accept"
                    else types.ElicitResult(action="decline")
                )
                responses = {
                    "confirm": json.loads(answer.model_dump_json(by_alias=True, exclude_none=True))
                }
                result = await session.call_tool(
                    tool,
                    step.get("args", args),
                    input_responses=responses,
                    request_state=state,
                    allow_input_required=True,
                )
                retries.append(dump(result))
            print(
                json.dumps(
                    {
                        "step": "result",
                        "version": session._negotiated_version,
                        "first": dump(first),
                        "retries": retries,
                    }
                ),
                flush=True,
            )


asyncio.run(main())
