// A real MCP client: the official TypeScript SDK over Streamable HTTP with a bearer token.
// Usage: node ts_client.mjs URL TOKEN
// Prints {"tools": [...], "whoami": {...}, "denied": "..."} as JSON.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, token] = process.argv.slice(2);
const transport = new StreamableHTTPClientTransport(new URL(url), {
  requestInit: { headers: { Authorization: `Bearer ${token}` } },
});
const client = new Client({ name: "cognito-mcp-ts-test", version: "1.0.0" });
await client.connect(transport);
const tools = await client.listTools();
const me = await client.callTool({ name: "whoami", arguments: {} });
let denied = null;
try {
  await client.callTool({ name: "delete_user", arguments: { username: "nobody" } });
} catch (e) {
  denied = String(e && e.message ? e.message : e);
}
console.log(JSON.stringify({ tools: tools.tools.map((t) => t.name), whoami: me.structuredContent, denied }));
await client.close();
