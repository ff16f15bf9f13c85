// Render Mermaid files with the real Mermaid library in headless Chromium.
//   node render.mjs OUT_DIR FILE.mmd...
// Each FILE.mmd is parsed and rendered by mermaid.render(); a parse or render error fails
// the run. OUT_DIR receives FILE.svg and a screenshot FILE.png of the rendered chart.
// Chromium: $CHROMIUM, else chromium / chromium-browser / google-chrome on PATH.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const [outDir, ...files] = process.argv.slice(2);
if (!outDir || files.length === 0) {
  console.error("usage: node render.mjs OUT_DIR FILE.mmd...");
  process.exit(2);
}
function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    try { return execFileSync("which", [name]).toString().trim(); } catch { /* next */ }
  }
  throw new Error("no Chromium found (set CHROMIUM)");
}
const mermaidJs = join(dirname(require.resolve("mermaid/package.json")), "dist", "mermaid.min.js");
mkdirSync(outDir, { recursive: true });
const browser = await puppeteer.launch({
  executablePath: findChromium(), headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let failed = 0;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1600, height: 1000, deviceScaleFactor: 1 });
  await page.setContent("<!doctype html><html><body style='margin:0;background:white'><div id='out'></div></body></html>");
  await page.addScriptTag({ path: mermaidJs });
  await page.evaluate(() => window.mermaid.initialize({ startOnLoad: false, maxTextSize: 500000, maxEdges: 5000, securityLevel: "strict", flowchart: { useMaxWidth: false } }));
  for (const file of files) {
    const source = readFileSync(file, "utf8");
    const result = await page.evaluate(async (src) => {
      try {
        await window.mermaid.parse(src);
        const { svg } = await window.mermaid.render("chart", src);
        document.getElementById("out").innerHTML = svg;
        const el = document.querySelector("#out svg");
        const box = el.getBoundingClientRect();
        return { ok: true, svg, width: box.width, height: box.height, nodes: el.querySelectorAll(".node").length, edges: el.querySelectorAll(".edgePath, .flowchart-link").length };
      } catch (e) {
        return { ok: false, error: String(e && e.message ? e.message : e) };
      }
    }, source);
    const stem = basename(file).replace(/\.mmd$/, "");
    if (!result.ok) {
      failed += 1;
      console.error(`FAIL ${file}: ${result.error}`);
      continue;
    }
    writeFileSync(join(outDir, `${stem}.svg`), result.svg);
    const el = await page.$("#out svg");
    await el.screenshot({ path: join(outDir, `${stem}.png`) });
    console.log(`ok   ${file}: ${result.nodes} nodes, ${result.edges} edges, ${Math.round(result.width)}x${Math.round(result.height)} px -> ${join(outDir, stem + ".png")}`);
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
