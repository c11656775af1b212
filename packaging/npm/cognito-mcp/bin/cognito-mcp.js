#!/usr/bin/env node
// The `cognito-mcp` command of the npm package: finds the binary that npm installed for this
// platform (one of the optionalDependencies, chosen by their os, cpu and libc fields, as esbuild
// and Biome do) and runs it with this process's arguments, standard streams and environment.
// COGNITO_MCP_BINARY names another binary to run instead. Kept free of dependencies.
"use strict";

const { spawn } = require("node:child_process");

/** This machine's platform key: linux-x64, linux-arm64-musl, darwin-arm64, win32-x64... */
function platformKey() {
  const { platform, arch } = process;
  if (platform !== "linux") return `${platform}-${arch}`;
  // glibcVersionRuntime is present when Node runs on glibc, and absent on musl (Alpine).
  const report = process.report && process.report.getReport();
  const glibc = report && report.header && report.header.glibcVersionRuntime;
  return glibc ? `linux-${arch}` : `linux-${arch}-musl`;
}

function binaryPath() {
  const override = process.env.COGNITO_MCP_BINARY;
  if (override) return override;
  const key = platformKey();
  const exe = process.platform === "win32" ? "cognito-mcp.exe" : "cognito-mcp";
  const pkg = `@cognito-mcp/${key}`;
  try {
    return require.resolve(`${pkg}/bin/${exe}`);
  } catch {
    const known = Object.keys(require("../package.json").optionalDependencies || {});
    const hint = known.includes(pkg)
      ? `npm did not install ${pkg}: reinstall without --no-optional / --omit=optional, ` +
        `or install ${pkg} yourself`
      : `there is no cognito-mcp binary for ${key} (packages exist for ` +
        `${known.map((k) => k.replace("@cognito-mcp/", "")).join(", ")}); ` +
        "build it with `cargo install cognito-mcp` and set COGNITO_MCP_BINARY to its path";
    process.stderr.write(`cognito-mcp: ${hint}\n`);
    process.exit(1);
  }
}

// COGNITO_MCP_LAUNCHER tells `cognito-mcp install` to write an npx entry, not this cache's path.
const child = spawn(binaryPath(), process.argv.slice(2), {
  stdio: "inherit",
  env: { ...process.env, COGNITO_MCP_LAUNCHER: "npx" },
});
child.on("error", (err) => {
  process.stderr.write(`cognito-mcp: could not run ${err.path || "the binary"}: ${err.message}\n`);
  process.exit(1);
});
// The MCP client stops a stdio server with a signal: pass it on, then leave the way the binary did.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else {
    process.exit(code === null ? 1 : code);
  }
});
