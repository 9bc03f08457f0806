#include "server/playground.h"

namespace bodyshape::server {
namespace {

// One literal so the binary serves the page with nothing beside it; element ids are what
// tests/e2e_playground_test.js drives.
constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bodyshape playground</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; background: #f4f4f6; color: #222; }
  header { background: #23283b; color: #fff; padding: 10px 20px; }
  header a { color: #9cc3ff; }
  main { display: flex; gap: 20px; padding: 20px; flex-wrap: wrap; }
  form { background: #fff; padding: 16px; border-radius: 8px; width: 300px; display: grid; gap: 10px; }
  label { display: grid; gap: 3px; font-size: 13px; color: #555; }
  input[type=text], input[type=password], select { padding: 6px; font: inherit; }
  fieldset { border: 1px solid #ddd; border-radius: 6px; display: flex; gap: 14px; }
  button { padding: 8px; font: inherit; cursor: pointer; border-radius: 6px; border: 0; }
  #run { background: #3b6ef5; color: #fff; }
  #maskButton { background: #e2e5ee; }
  button:disabled { opacity: .5; cursor: wait; }
  #status { min-height: 1.4em; font-size: 13px; }
  #status.error { color: #b00020; }
  #viewer { background: #fff; padding: 16px; border-radius: 8px; flex: 1; min-width: 320px; }
  #compare { position: relative; display: inline-block; max-width: 100%; user-select: none;
             touch-action: none; cursor: ew-resize; line-height: 0; }
  #compare img, #compare canvas { max-width: 100%; max-height: 75vh; }
  #after, #mask { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
  #after { clip-path: inset(0 0 0 50%); }
  #mask { pointer-events: none; opacity: .55; }
  #divider { position: absolute; top: 0; bottom: 0; left: 50%; width: 3px; background: #fff;
             box-shadow: 0 0 4px #000; pointer-events: none; }
  .tag { position: absolute; top: 6px; background: rgba(0,0,0,.6); color: #fff; font-size: 12px;
         padding: 2px 6px; border-radius: 4px; line-height: 1.4; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header><b>bodyshape</b> playground &middot; calls this server's API &middot;
  <a href="/openapi.json">openapi.json</a> &middot; <a href="/metrics">metrics</a></header>
<main>
<form id="form">
  <label>Photo <input id="photo" type="file" accept="image/*" required></label>
  <label>Email <input id="email" type="text" autocomplete="username"></label>
  <label>UserKey <input id="userKey" type="password" autocomplete="off"></label>
  <label>APIKey <input id="apiKey" type="password" autocomplete="off"></label>
  <label>Goal
    <select id="goal"><option value="best">best (slimmer)</option>
      <option value="worst">worst (fatter)</option></select></label>
  <fieldset><legend>Gender</legend>
    <label><input type="radio" name="gender" value="female" checked> female</label>
    <label><input type="radio" name="gender" value="male"> male</label></fieldset>
  <label>Intensity <span id="intensityText">1.0</span>
    <input id="intensity" type="range" min="0" max="2" step="0.1" value="1"></label>
  <button id="run" type="submit">Predict</button>
  <button id="maskButton" type="button">Show person mask</button>
  <div id="status" role="status"></div>
</form>
<section id="viewer">
  <div id="compare" hidden>
    <img id="before" alt="before">
    <img id="after" alt="after" hidden>
    <canvas id="mask" hidden></canvas>
    <div id="divider" hidden></div>
    <span class="tag" style="left:6px">before</span>
    <span class="tag" id="afterTag" style="right:6px" hidden>after</span>
  </div>
  <p id="hint">Choose a photo of a person, enter your keys
    (<code>bodyshape accounts create</code>) and press Predict.</p>
</section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
let photoBase64 = "";

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function keys() {
  return { Email: $("email").value, UserKey: $("userKey").value, APIKey: $("apiKey").value };
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  let json = null;
  try { json = await response.json(); } catch (e) { /* not JSON: reported below */ }
  if (!response.ok || !json || json.state !== true) {
    const message = json ? json.message + (json.detail ? " (" + json.detail + ")" : "")
                         : "HTTP " + response.status;
    throw new Error(message);
  }
  return json;
}

function setDivider(fraction) {
  const percent = Math.max(0, Math.min(1, fraction)) * 100;
  $("after").style.clipPath = "inset(0 0 0 " + percent + "%)";
  $("divider").style.left = percent + "%";
}

$("intensity").addEventListener("input", () => {
  $("intensityText").textContent = Number($("intensity").value).toFixed(1);
});

$("photo").addEventListener("change", async () => {
  const file = $("photo").files[0];
  if (!file) return;
  photoBase64 = await readBase64(file);
  $("before").src = URL.createObjectURL(file);
  for (const id of ["after", "mask", "divider", "afterTag"]) $(id).hidden = true;
  $("compare").hidden = false;
  $("hint").hidden = true;
  setStatus("");
});

$("compare").addEventListener("pointerdown", (event) => {
  if ($("after").hidden) return;
  const move = (e) => {
    const box = $("compare").getBoundingClientRect();
    setDivider((e.clientX - box.left) / box.width);
  };
  move(event);
  $("compare").setPointerCapture(event.pointerId);
  $("compare").onpointermove = move;
  $("compare").onpointerup = () => { $("compare").onpointermove = null; };
});

function busy(on) {
  $("run").disabled = on;
  $("maskButton").disabled = on;
}

$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!photoBase64) return setStatus("Choose a photo first.", true);
  busy(true);
  setStatus("Working...");
  const started = performance.now();
  try {
    const gender = document.querySelector("input[name=gender]:checked").value;
    const reply = await post("/api/analysis-future-shape", Object.assign(keys(), {
      base64Image: photoBase64, requestMessage: $("goal").value, gender: gender,
      intensity: Number($("intensity").value), outputFormat: "png" }));
    $("after").onload = () => {
      for (const id of ["after", "divider", "afterTag"]) $(id).hidden = false;
      setDivider(0.5);
      setStatus("Done in " + Math.round(performance.now() - started) + " ms: drag to compare.");
    };
    $("after").src = "data:image/png;base64," + reply.resultImage;
  } catch (error) {
    setStatus(error.message, true);
  } finally {
    busy(false);
  }
});

$("maskButton").addEventListener("click", async () => {
  if (!$("mask").hidden) { $("mask").hidden = true; return; }
  if (!photoBase64) return setStatus("Choose a photo first.", true);
  busy(true);
  setStatus("Finding people...");
  try {
    const reply = await post("/api/person-mask", Object.assign(keys(), { base64Image: photoBase64 }));
    const image = new Image();
    image.onload = () => {
      const canvas = $("mask");
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext("2d");
      context.drawImage(image, 0, 0);
      const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 0; i < pixels.data.length; i += 4) {  // person (white) -> magenta, rest clear
        const person = pixels.data[i] > 127;
        pixels.data[i] = 255; pixels.data[i + 1] = 0; pixels.data[i + 2] = 160;
        pixels.data[i + 3] = person ? 255 : 0;
      }
      context.putImageData(pixels, 0, 0);
      canvas.hidden = false;
      setStatus("Person mask shown; press again to hide.");
    };
    image.src = "data:image/png;base64," + reply.maskImage;
  } catch (error) {
    setStatus(error.message, true);
  } finally {
    busy(false);
  }
});
</script>
</body>
</html>
)html";

}  // namespace

std::string_view playground_html() { return kPage; }

}  // namespace bodyshape::server
