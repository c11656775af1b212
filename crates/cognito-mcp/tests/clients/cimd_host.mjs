// Hosts client ID metadata documents over https, as an MCP client's vendor does at its own URL,
// for the stand-in's CIMD fetch (scripts/upstream-stand-in.mjs --cimd-ca, which trusts only the
// test's CA). Listens on 127.0.0.1 only.
//
// Usage (Node 22):  node cimd_host.mjs --cert CERT.pem --key KEY.pem
// Prints `origin https://localhost:PORT` once it listens, then reads JSON lines on stdin:
//   {"path": "/clients/ts.json", "document": {...}, "cache_control": "max-age=86400",
//    "status": 200, "location": "https://..."}
// Each line sets (or replaces) what GET PATH answers: the document as JSON, with client_id set to
// the document's own URL unless the document names one, the Cache-Control header when given, and
// another status (a redirect with its Location) when given. Each line is answered on stdout with
// `ok URL`. The line {"fetches": true} is answered with `fetches {"PATH": GETs so far}`. Stops
// when stdin closes.
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({ options: { cert: { type: "string" }, key: { type: "string" } } });
if (!opt.cert || !opt.key) {
  console.error("usage: cimd_host.mjs --cert CERT.pem --key KEY.pem");
  process.exit(2);
}

const routes = new Map(); // path -> {body, cacheControl, status, location}
const fetches = {};
let origin;

const server = createServer({ cert: readFileSync(opt.cert), key: readFileSync(opt.key) }, (req, res) => {
  const path = new URL(req.url, "https://localhost").pathname;
  const route = req.method === "GET" ? routes.get(path) : undefined;
  fetches[path] = (fetches[path] ?? 0) + 1;
  if (!route) {
    res.writeHead(404).end();
    return;
  }
  const headers = { "Content-Type": "application/json" };
  if (route.cacheControl) headers["Cache-Control"] = route.cacheControl;
  if (route.location) headers.Location = route.location;
  res.writeHead(route.status, headers).end(route.body);
});

server.listen(0, "127.0.0.1", () => {
  origin = `https://localhost:${server.address().port}`;
  process.stdout.write(`origin ${origin}\n`);
});

const rl = createInterface({ input: process.stdin });
rl.on("line", (line) => {
  if (!line.trim()) return;
  try {
    const cmd = JSON.parse(line);
    if (cmd.fetches) {
      process.stdout.write(`fetches ${JSON.stringify(fetches)}\n`);
      return;
    }
    const url = origin + cmd.path;
    const document = { client_id: url, ...cmd.document };
    routes.set(cmd.path, {
      body: JSON.stringify(document),
      cacheControl: cmd.cache_control,
      status: cmd.status ?? 200,
      location: cmd.location,
    });
    process.stdout.write(`ok ${url}\n`);
  } catch (e) {
    process.stdout.write(`error ${e.message}\n`);
  }
});
rl.on("close", () => process.exit(0));
