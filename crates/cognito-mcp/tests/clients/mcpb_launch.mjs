// Starts an unpacked .mcpb bundle's server the way Claude Desktop does, and uses it: the
// manifest and the user's answers to its form are resolved into a command, arguments and
// environment by @anthropic-ai/mcpb's getMcpConfigForManifest (the code the desktop hosts use),
// and the official TypeScript SDK starts that over stdio with the host's own environment
// underneath, lists the tools and calls list_users.
//   node mcpb_launch.mjs MCPB_MODULE UNPACKED_DIR USER_CONFIG_JSON HOST_ENV_JSON
// HOST_ENV_JSON is what the host's environment adds (HOME, and moto's endpoint in the tests).
// Prints {"launch": {...}, "tools": [names], "list_users": {...}}. Run from a copy beside the
// SDK's node_modules.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";

const [mcpbModule, dir, userConfig, hostEnv] = process.argv.slice(2);
const { getMcpConfigForManifest } = await import(pathToFileURL(mcpbModule).href);
const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8"));
const launch = await getMcpConfigForManifest({
  manifest,
  extensionPath: dir,
  systemDirs: { HOME: homedir(), DESKTOP: homedir(), DOCUMENTS: homedir(), DOWNLOADS: homedir() },
  userConfig: JSON.parse(userConfig),
  pathSeparator: path.sep,
});
if (!launch) {
  console.error("getMcpConfigForManifest gave no config: a required field is missing");
  process.exit(1);
}
const transport = new StdioClientTransport({
  command: launch.command,
  args: launch.args,
  env: { ...getDefaultEnvironment(), ...JSON.parse(hostEnv), ...launch.env },
  stderr: "inherit",
});
const client = new Client({ name: "cognito-mcp-mcpb-launch", version: "1.0.0" });
await client.connect(transport);
const tools = (await client.listTools()).tools.map((t) => t.name);
const listed = await client.callTool({ name: "list_users", arguments: {} });
await client.close();
process.stdout.write(JSON.stringify({ launch, tools, list_users: listed.structuredContent ?? listed }) + "\n");
