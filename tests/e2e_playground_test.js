// The playground page (GET /) in headless Chromium against the real `bodyshape serve`: upload a
// photo, predict, and check that the result image appears; then show the person mask. Saves
// playground.png (and playground-mask.png) into the build dir as artefacts.
//
//   node tests/e2e_playground_test.js build/bodyshape build/tests
//
// Needs Debian's chromium (scripts/debian-packages.txt) and npm's playwright-core (package.json);
// without either it exits 77, which ctest reports as skipped.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { startServe } = require("./support/serve.js");

const SKIP = 77;
const CHROMIUM = "/usr/bin/chromium";
const PHOTO = path.join(__dirname, "..", "..", "shared", "testdata", "images",
                        "man_yoga_warrior_beach.jpg");

function skip(why) {
  console.log("SKIPPED: " + why);
  process.exit(SKIP);
}

async function main() {
  const [binary, artefactDir] = process.argv.slice(2);
  if (!binary || !artefactDir) throw new Error("usage: e2e_playground_test.js BODYSHAPE OUT_DIR");
  let chromium;
  try {
    ({ chromium } = require("playwright-core"));
  } catch (e) {
    skip("npm playwright-core is not installed (npm ci)");
  }
  if (!fs.existsSync(CHROMIUM)) skip(CHROMIUM + " is missing (apt-get install chromium)");

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bodyshape-playground-"));
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "bodyshape-chromium-"));
  const { keys, base, server, log } = await startServe(binary, dataDir, "play@example.com");
  let browser;
  try {
    try {
      // A fresh profile: playwright passes it as --user-data-dir.
      browser = await chromium.launchPersistentContext(profileDir, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1280, height: 800 },
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      });
    } catch (e) {
      skip("Chromium cannot start here: " + e.message.split("\n")[0]);
    }
    const page = browser.pages()[0] || await browser.newPage();
    const pageErrors = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    await page.goto(base + "/");
    await page.fill("#email", keys.Email);
    await page.fill("#userKey", keys.UserKey);
    await page.fill("#apiKey", keys.APIKey);
    await page.selectOption("#goal", "worst");
    await page.check("input[name=gender][value=male]");
    await page.fill("#intensity", "1.5");
    await page.setInputFiles("#photo", PHOTO);
    await page.waitForFunction(() => document.getElementById("before").naturalWidth > 0);
    await page.click("#run");
    await page.waitForSelector("#after:not([hidden])", { timeout: 60000 });
    const result = await page.evaluate(() => {
      const after = document.getElementById("after");
      return { width: after.naturalWidth, height: after.naturalHeight,
               png: after.src.startsWith("data:image/png;base64,iVBORw0KGgo"),
               status: document.getElementById("status").textContent };
    });
    if (result.width !== 1000 || result.height !== 667 || !result.png) {
      throw new Error("unexpected result image: " + JSON.stringify(result));
    }
    if (!/^Done in/.test(result.status)) throw new Error("status: " + result.status);
    // Drag the divider to 30 % of the width: the after image's clip follows.
    const box = await page.locator("#compare").boundingBox();
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.up();
    const clip = await page.evaluate(() => document.getElementById("after").style.clipPath);
    if (!/inset\(0(px)? 0(px)? 0(px)? 3\d(\.\d+)?%\)/.test(clip)) throw new Error("clip: " + clip);
    await page.screenshot({ path: path.join(artefactDir, "playground.png") });

    await page.click("#maskButton");
    await page.waitForSelector("#mask:not([hidden])", { timeout: 60000 });
    const maskSize = await page.evaluate(() => {
      const canvas = document.getElementById("mask");
      return [canvas.width, canvas.height];
    });
    if (maskSize[0] !== 1000 || maskSize[1] !== 667) throw new Error("mask size " + maskSize);
    await page.screenshot({ path: path.join(artefactDir, "playground-mask.png") });
    if (pageErrors.length) throw new Error("page errors: " + pageErrors.join("; "));
    console.log("PASSED: result " + result.width + "x" + result.height + ", " + result.status +
                "; screenshots in " + artefactDir);
  } catch (error) {
    console.error("server log:\n" + log().slice(-3000));
    throw error;
  } finally {
    if (browser) await browser.close();
    server.kill("SIGTERM");
    fs.rmSync(profileDir, { recursive: true, force: true });
  }
  await new Promise((resolve) => server.exitCode !== null ? resolve() : server.on("exit", resolve));
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error) => {
  console.error("FAILED: " + (error.stack || error));
  process.exit(1);
});
