// A real MCP client: the official TypeScript SDK over stdio, driving one scenario against the
// cognito-mcp binary. Usage: node ts_stdio_client.mjs SCENARIO
// The server command is the JSON array in MCP_SERVER_CMD; the tool arguments are the JSON in
// MCP_ARGS. Prints one JSON line per step.
//
// Scenarios:
//   progress        call MCP_TOOL with MCP_ARGS and a progress handler
//   cancel          the same, aborted once progress reaches MCP_CANCEL_AT, then list users
//   elicit-accept   a client that can elicit and says yes: call MCP_TOOL
//   elicit-decline  a client that can elicit and says no: call MCP_TOOL
//   no-elicit       a client without elicitation: call MCP_TOOL as given
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";

const scenario = process.argv[2];
const [command, ...args] = JSON.parse(process.env.MCP_SERVER_CMD);
const tool = process.env.MCP_TOOL;
const toolArgs = JSON.parse(process.env.MCP_ARGS || "{}");
const out = (step, data) => console.log(JSON.stringify({ step, ...data }));

const elicits = scenario.startsWith("elicit-");
const client = new Client(
  { name: "cognito-mcp-ts-stdio-test", version: "1.0.0" },
  { capabilities: elicits ? { elicitation: { form: {} } } : {} },
);
const asked = [];
if (elicits) {
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(request.params);
    return scenario === "elicit-accept"
      ? { action: "accept", content: { confirm: true } }
      : { action: "decline" };
  });
}
const transport = new StdioClientTransport({ command, args, env: { ...process.env }, stderr: "ignore" });
await client.connect(transport);

const timeout = 600000;
if (scenario === "progress") {
  const progress = [];
  const result = await client.callTool({ name: tool, arguments: toolArgs }, undefined, {
    timeout,
    onprogress: (p) => progress.push(p),
  });
  out("result", { progress, result });
} else if (scenario === "cancel") {
  const progress = [];
  const controller = new AbortController();
  const cancelAt = Number(process.env.MCP_CANCEL_AT);
  let error = null;
  try {
    await client.callTool({ name: tool, arguments: toolArgs }, undefined, {
      timeout,
      signal: controller.signal,
      onprogress: (p) => {
        progress.push(p);
        if (p.progress >= cancelAt) controller.abort("enough");
      },
    });
  } catch (e) {
    error = String(e && e.message ? e.message : e);
  }
  // What the server does after the cancellation must be done within a few seconds.
  await new Promise((r) => setTimeout(r, 3000));
  const listed = await client.callTool({
    name: "list_users",
    arguments: { all_pages: true, filter: process.env.MCP_LIST_FILTER },
  });
  await new Promise((r) => setTimeout(r, 2000));
  const later = await client.callTool({
    name: "list_users",
    arguments: { all_pages: true, filter: process.env.MCP_LIST_FILTER },
  });
  out("cancelled", {
    error,
    progress,
    count: listed.structuredContent.count,
    count_later: later.structuredContent.count,
  });
} else {
  const result = await client.callTool({ name: tool, arguments: toolArgs }, undefined, { timeout });
  out("result", { asked, result });
}
await client.close();
