// The README's client examples, run exactly as written against the real `bodyshape serve`: every
// fenced block after an `<!-- snippet: NAME -->` comment is saved byte for byte and run (bash,
// python3, node) in its own temporary folder. The only inputs are the environment variables the
// snippets document (BODYSHAPE_URL, BODYSHAPE_EMAIL, BODYSHAPE_USER_KEY, BODYSHAPE_API_KEY, PHOTO,
// BODYSHAPE_DATA_DIR). Each must print a success (state true / 1) and write its file; the
// prediction snippets must also fail with a wrong API key (so the keys are really read).
//
//   node tests/e2e_snippets_test.js build/bodyshape [README.md]
//
// Needs curl, python3 with requests (Debian python3-requests) and base64; loopback only. A
// missing python `requests` skips that snippet, and the test exits 77 (skipped) if nothing failed.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { startServe } = require("./support/serve.js");

const SKIP = 77;
const PHOTO = path.join(__dirname, "..", "..", "shared", "testdata", "images",
                        "man_yoga_warrior_beach.jpg");
const PHOTO_SIZE = [1000, 667];
// The snippets the README must keep, and what each must leave behind.
const EXPECTED = {
  "future-shape-curl": "after.png",
  "future-shape-python": "after.png",
  "future-shape-javascript": "after.png",
  "segmentation-curl": "mask.json",
};
// Debian's python3, where scripts/setup installs python3-requests (a pyenv or venv python first on
// PATH may lack it); any python3 elsewhere.
const PYTHON = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const RUNNERS = {  // fence language -> [file name, command]
  bash: ["snippet.sh", (file) => ["bash", [file]]],
  python: ["snippet.py", (file) => [PYTHON, [file]]],
  js: ["client.mjs", (file) => [process.execPath, [file]]],
};
const SUCCESS = /"?state"?\s*:\s*(true|True|1)\b/;

function extractSnippets(readme) {
  const snippets = [];
  const pattern = /<!-- snippet: ([\w-]+) -->\n```(\w+)\n([\s\S]*?)\n```\n/g;
  for (const match of readme.matchAll(pattern)) {
    snippets.push({ name: match[1], language: match[2], code: match[3] + "\n" });
  }
  return snippets;
}

// Runs one snippet in a fresh folder with only the documented variables set (any BODYSHAPE_* of
// the caller's environment is dropped; proxies are bypassed for loopback).
function runSnippet(snippet, variables) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bodyshape-snippet-"));
  const [fileName, command] = RUNNERS[snippet.language];
  fs.writeFileSync(path.join(dir, fileName), snippet.code);
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("BODYSHAPE_")) env[key] = value;
  }
  Object.assign(env, { NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost" },
                variables);
  const [program, args] = command(fileName);
  const run = spawnSync(program, args, { cwd: dir, env, encoding: "utf8", timeout: 120000,
                                         maxBuffer: 64 << 20 });
  return { dir, status: run.status, error: run.error,
           output: (run.stdout || "") + (run.stderr || "") };
}

function checkOutputFile(name, file) {
  if (!fs.existsSync(file)) throw new Error(name + ": wrote no " + path.basename(file));
  const bytes = fs.readFileSync(file);
  if (file.endsWith(".png")) {
    // PNG signature, then IHDR's width and height.
    if (bytes.length < 24 || bytes.toString("latin1", 1, 4) !== "PNG") {
      throw new Error(name + ": " + path.basename(file) + " is not a PNG");
    }
    const size = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
    if (size[0] !== PHOTO_SIZE[0] || size[1] !== PHOTO_SIZE[1]) {
      throw new Error(name + ": after.png is " + size.join("x"));
    }
  } else {
    const mask = JSON.parse(bytes.toString("utf8"));
    if (mask.state !== 1 || mask.data.length !== PHOTO_SIZE[1] ||
        mask.data[0].length !== PHOTO_SIZE[0] || !mask.data.some((row) => row.includes(1))) {
      throw new Error(name + ": unexpected mask " + bytes.toString("utf8", 0, 200));
    }
  }
}

async function main() {
  const [binary, readmePath = path.join(__dirname, "..", "README.md")] = process.argv.slice(2);
  if (!binary) throw new Error("usage: e2e_snippets_test.js BODYSHAPE [README.md]");
  const snippets = extractSnippets(fs.readFileSync(readmePath, "utf8"));
  const names = snippets.map((s) => s.name);
  for (const name of Object.keys(EXPECTED)) {
    if (!names.includes(name)) throw new Error("README.md has no snippet " + name);
  }
  for (const snippet of snippets) {
    if (!RUNNERS[snippet.language]) {
      throw new Error("snippet " + snippet.name + ": no runner for ```" + snippet.language);
    }
  }
  const hasRequests = spawnSync(PYTHON, ["-c", "import requests"]).status === 0;

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bodyshape-snippets-"));
  const email = "snippets@example.com";
  const { keys, base, server, log } = await startServe(binary, dataDir, email);
  const variables = {
    BODYSHAPE_URL: base, BODYSHAPE_EMAIL: email, BODYSHAPE_USER_KEY: keys.UserKey,
    BODYSHAPE_API_KEY: keys.APIKey, PHOTO, BODYSHAPE_DATA_DIR: dataDir,
  };
  const failures = [];
  const skipped = [];
  try {
    for (const snippet of snippets) {
      if (snippet.language === "python" && !hasRequests) {
        console.log("SKIPPED " + snippet.name + ": python3 has no requests " +
                    "(apt-get install python3-requests)");
        skipped.push(snippet.name);
        continue;
      }
      const started = Date.now();
      const run = runSnippet(snippet, variables);
      try {
        if (run.error) throw new Error(snippet.name + ": " + run.error.message);
        if (run.status !== 0) throw new Error(snippet.name + ": exit status " + run.status);
        if (!SUCCESS.test(run.output)) throw new Error(snippet.name + ": printed no success");
        if (EXPECTED[snippet.name]) {
          checkOutputFile(snippet.name, path.join(run.dir, EXPECTED[snippet.name]));
        }
        // With a wrong API key the same snippet must not print a success.
        if (snippet.name.startsWith("future-shape-")) {
          const wrong = runSnippet(snippet, { ...variables, BODYSHAPE_API_KEY: "wrong" });
          fs.rmSync(wrong.dir, { recursive: true, force: true });
          if (SUCCESS.test(wrong.output)) {
            throw new Error(snippet.name + ": printed a success with a wrong API key:\n" +
                            wrong.output.slice(0, 300));
          }
        }
        console.log("ok " + snippet.name + " (" + (Date.now() - started) + " ms): " +
                    run.output.trim().split("\n")[0].slice(0, 100));
      } catch (error) {
        failures.push(error.message);
        console.error("FAIL " + error.message + "\n--- output:\n" + run.output.slice(0, 2000));
      } finally {
        fs.rmSync(run.dir, { recursive: true, force: true });
      }
    }
  } catch (error) {
    console.error("server log:\n" + log().slice(-3000));
    throw error;
  } finally {
    server.kill("SIGTERM");
  }
  await new Promise((resolve) => server.exitCode !== null ? resolve() : server.on("exit", resolve));
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (failures.length) {
    console.error("server log:\n" + log().slice(-3000));
    throw new Error(failures.length + " snippet(s) failed: " + failures.join("; "));
  }
  if (skipped.length) {
    console.log("SKIPPED: " + skipped.join(", "));
    process.exit(SKIP);
  }
  console.log("PASSED: " + names.join(", "));
}

main().catch((error) => {
  console.error("FAILED: " + (error.stack || error));
  process.exit(1);
});
