// Prints the tools a cognito-mcp binary serves by default, as the .mcpb manifest lists them:
// [{"name": ..., "description": ...}], asked over stdio with MCP's own tools/list. Nothing
// reaches AWS: the pool id is a placeholder and listing tools calls no API.
//   node scripts/release/tools-json.mjs BINARY
import { spawn } from "node:child_process";
import { devNull } from "node:os";
import { createInterface } from "node:readline";

const binary = process.argv[2];
if (!binary) {
  console.error("usage: node scripts/release/tools-json.mjs BINARY");
  process.exit(2);
}
const child = spawn(binary, ["serve"], {
  stdio: ["pipe", "pipe", "inherit"],
  env: {
    PATH: process.env.PATH,
    AWS_REGION: "us-east-1",
    COGNITO_USER_POOL_ID: "us-east-1_ToolsList0",
    COGNITO_MCP_AUDIT_FILE: devNull,
    RUST_LOG: "warn",
  },
});
const send = (msg) => child.stdin.write(JSON.stringify({ jsonrpc: "2.0", ...msg }) + "\n");
const timer = setTimeout(() => {
  console.error(`tools-json: ${binary} did not answer tools/list within 60 s`);
  child.kill();
  process.exit(1);
}, 60_000);
child.on("exit", (code) => {
  console.error(`tools-json: ${binary} serve exited (${code}) before answering tools/list`);
  process.exit(1);
});
createInterface({ input: child.stdout }).on("line", (line) => {
  const msg = JSON.parse(line);
  if (msg.id === 1) {
    send({ method: "notifications/initialized" });
    send({ id: 2, method: "tools/list" });
  } else if (msg.id === 2) {
    clearTimeout(timer);
    if (!msg.result) {
      console.error(`tools-json: tools/list failed: ${line}`);
      process.exit(1);
    }
    const tools = msg.result.tools.map(({ name, description }) => ({ name, description }));
    process.stdout.write(JSON.stringify(tools, null, 2) + "\n");
    child.removeAllListeners("exit");
    child.kill();
  }
});
send({
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "tools-json", version: "1" } },
});
