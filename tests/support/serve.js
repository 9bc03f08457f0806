// For the Node end-to-end tests: an account in a fresh data dir and `bodyshape serve` on a free
// loopback port with one worker, ready once it answers /healthz (failing early if it exits).
//
//   const { keys, base, server, log } = await startServe(binary, dataDir, "me@example.com");
"use strict";
const { spawn, execFileSync } = require("node:child_process");
const net = require("node:net");

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitHealthy(base, server) {
  for (let i = 0; i < 600; ++i) {
    if (server.exitCode !== null) throw new Error("bodyshape serve exited " + server.exitCode);
    try {
      if ((await fetch(base + "/healthz")).ok) return;
    } catch (e) { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("bodyshape serve did not answer /healthz within 60 s");
}

// The free port can be taken by another test between freePort() and the server's bind (ctest -j):
// a server that exits before it is healthy is started again on a new port, as
// tests/support/server_process.cpp does.
async function startServe(binary, dataDir, email) {
  const keys = JSON.parse(execFileSync(binary, ["accounts", "create", "--email", email,
                                                "--data-dir", dataDir]));
  let lastError;
  for (let attempt = 0; attempt < 5; ++attempt) {
    const port = await freePort();
    const base = "http://127.0.0.1:" + port;
    const server = spawn(binary, ["serve", "--host", "127.0.0.1", "--port", String(port),
                                  "--data-dir", dataDir, "--inference-workers", "1"],
                         { stdio: ["ignore", "ignore", "pipe"] });
    let serverLog = "";
    server.stderr.on("data", (chunk) => { serverLog += chunk; });
    try {
      await waitHealthy(base, server);
      return { keys, base, server, log: () => serverLog };
    } catch (e) {
      server.kill("SIGKILL");
      lastError = new Error(e.message + "\n" + serverLog);
      if (server.exitCode === null) break;  // it ran but never answered: not a port clash
    }
  }
  throw lastError;
}

module.exports = { startServe };
