// The big map's raster (webview/topology/raster.ts, rasterScene) against the canvas's own paths (drawScene), in
// Chromium: one synthetic scene painted both ways (raster-page.ts), zoomed in (lines, dashes, arrow heads, labels
// readable) and fitted dense (the level of detail at work). The two pictures must agree pixel for pixel but for
// anti-aliasing; every node's centre must hold its fill. Only Chromium is needed, not code-server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { REPO, chromiumPath } from './harness';
import type { Painted } from './raster-page';

const missing = existsSync(chromiumPath()) ? undefined : `no Chromium at ${chromiumPath()} (apt-get install chromium)`;
if (missing && process.env.CI === 'true') throw new Error(missing);

/** How two pictures differ: the share of pixels with a channel apart by more than 48, and of pixels not background. */
function compare(p: Painted) {
  let far = 0;
  let fgCanvas = 0;
  let fgRaster = 0;
  const bg = p.canvas.slice(0, 3);
  const off = (d: number[], i: number) => Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) > 12;
  for (let i = 0; i < p.canvas.length; i += 4) {
    if (Math.max(Math.abs(p.canvas[i] - p.raster[i]), Math.abs(p.canvas[i + 1] - p.raster[i + 1]), Math.abs(p.canvas[i + 2] - p.raster[i + 2])) > 48) far++;
    if (off(p.canvas, i)) fgCanvas++;
    if (off(p.raster, i)) fgRaster++;
  }
  // every node in view, of a few pixels, that no later node covers: its centre pixel is its fill
  let checked = 0;
  const wrong: string[] = [];
  p.nodes.forEach((n, i) => {
    if (n.r < 2 || n.x < 2 || n.y < 2 || n.x > p.width - 2 || n.y > p.height - 2) return;
    if (p.nodes.slice(i + 1).some((o) => Math.hypot(o.x - n.x, o.y - n.y) < o.r + 1)) return;
    checked++;
    const j = (Math.floor(n.y) * p.width + Math.floor(n.x)) * 4;
    const got = [p.raster[j], p.raster[j + 1], p.raster[j + 2]];
    if (got.some((v, c) => Math.abs(v - n.fill[c]) > 3)) wrong.push(`node ${i}: ${got} for ${n.fill}`);
  });
  const px = p.width * p.height;
  return { far: far / px, fg: fgRaster / fgCanvas, checked, wrong };
}

test('the raster paints what the canvas paints: zoomed in and fitted dense', { skip: missing }, async () => {
  const bundle = await build({
    entryPoints: [join(REPO, 'test/e2e/raster-page.ts')], bundle: true, write: false, format: 'iife', globalName: 'rasterPage',
    platform: 'browser', target: 'es2022', logLevel: 'warning',
  });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.setContent('<!DOCTYPE html><html><body></body></html>');
    await page.addScriptTag({ content: bundle.outputFiles[0].text });
    const paint = (k: number, n: number, m: number) =>
      page.evaluate(([k, n, m]) => (window as unknown as { rasterPage: typeof import('./raster-page') }).rasterPage.paintBoth(700, 450, n, m, k), [k, n, m] as const);

    // zoomed in: 600 nodes and 800 edges, a third of them in view
    const near = await paint(1.5, 600, 800);
    assert.equal(near.drawn[0], near.drawn[1]);
    assert.ok(near.drawn[0] > 100, `${near.drawn[0]} edges in view`);
    const a = compare(near);
    assert.ok(a.far < 0.01, `zoomed in: ${(a.far * 100).toFixed(2)} % of the pixels differ`);
    assert.ok(Math.abs(a.fg - 1) < 0.03, `zoomed in: the raster covers ${(a.fg * 100).toFixed(1)} % of what the canvas covers`);
    assert.ok(a.checked > 30 && a.wrong.length <= a.checked * 0.03, `${a.wrong.length} of ${a.checked} nodes: ${a.wrong.slice(0, 3).join('; ')}`);

    // fitted: 3,000 nodes and 6,000 edges, more than the level of detail's 5,000: the same 5,000 drawn by both
    const far = await paint(0.5, 3000, 6000);
    assert.deepEqual(far.drawn, [5000, 5000]);
    const b = compare(far);
    assert.ok(b.far < 0.03, `fitted: ${(b.far * 100).toFixed(2)} % of the pixels differ`);
    assert.ok(Math.abs(b.fg - 1) < 0.03, `fitted: the raster covers ${(b.fg * 100).toFixed(1)} % of what the canvas covers`);
    assert.ok(b.checked > 1000 && b.wrong.length <= b.checked * 0.01, `${b.wrong.length} of ${b.checked} nodes: ${b.wrong.slice(0, 3).join('; ')}`);
  } finally {
    await browser.close();
  }
});
