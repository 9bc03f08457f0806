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

async function startServe(binary, dataDir, email) {
  const keys = JSON.parse(execFileSync(binary, ["accounts", "create", "--email", email,
                                                "--data-dir", dataDir]));
  const port = await freePort();
  const base = "http://127.0.0.1:" + port;
  const server = spawn(binary, ["serve", "--host", "127.0.0.1", "--port", String(port),
                                "--data-dir", dataDir, "--inference-workers", "1"],
                       { stdio: ["ignore", "ignore", "pipe"] });
  let serverLog = "";
  server.stderr.on("data", (chunk) => { serverLog += chunk; });
  try {
    await waitHealthy(base, server);
  } catch (e) {
    server.kill("SIGKILL");
    throw new Error(e.message + "\n" + serverLog);
  }
  return { keys, base, server, log: () => serverLog };
}

module.exports = { startServe };
