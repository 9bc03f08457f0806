// For the Node end-to-end tests: an account in a fresh data dir and `bodyshape serve` on a free
// loopback port (port 0, read from its log) with one worker, ready once it answers /healthz
// (failing early if it exits).
//
//   const { keys, base, server, log } = await startServe(binary, dataDir, "me@example.com");
"use strict";
const { spawn, execFileSync } = require("node:child_process");

// The port in the server's "listening ... port=N" log line, once it is there.
function listeningPort(log) {
  const match = / listening .*\bport=(\d+)/.exec(log);
  return match ? Number(match[1]) : 0;
}

async function waitHealthy(server, log) {
  for (let i = 0; i < 600; ++i) {
    if (server.exitCode !== null) throw new Error("bodyshape serve exited " + server.exitCode);
    const port = listeningPort(log());
    if (port) {
      const base = "http://127.0.0.1:" + port;
      try {
        if ((await fetch(base + "/healthz")).ok) return base;
      } catch (e) { /* not answering yet */ }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("bodyshape serve did not answer /healthz within 60 s");
}

// The server binds port 0 and logs the port it got: a port chosen here could be taken by another
// test between choosing and binding it (ctest -j), as tests/support/server_process.cpp explains.
async function startServe(binary, dataDir, email) {
  const keys = JSON.parse(execFileSync(binary, ["accounts", "create", "--email", email,
                                                "--data-dir", dataDir]));
  const server = spawn(binary, ["serve", "--host", "127.0.0.1", "--port", "0",
                                "--data-dir", dataDir, "--inference-workers", "1"],
                       { stdio: ["ignore", "ignore", "pipe"] });
  let serverLog = "";
  server.stderr.on("data", (chunk) => { serverLog += chunk; });
  const log = () => serverLog;
  try {
    const base = await waitHealthy(server, log);
    return { keys, base, server, log };
  } catch (e) {
    server.kill("SIGKILL");
    throw new Error(e.message + "\n" + serverLog);
  }
}

module.exports = { startServe };
