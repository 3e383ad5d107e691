import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Raster, parseColour } from '../../webview/topology/raster';

const BG = [30, 30, 30];
const fresh = (w = 40, h = 30) => {
  const r = new Raster(w, h);
  r.clear(BG[0], BG[1], BG[2]);
  return r;
};
const px = (r: Raster, x: number, y: number) => [...r.pixels.subarray((y * r.width + x) * 4, (y * r.width + x) * 4 + 4)];
/** How much of (255, 0, 0) over the background a pixel holds, 0..1, from its red channel. */
const cover = (r: Raster, x: number, y: number) => (px(r, x, y)[0] - BG[0]) / (255 - BG[0]);
const painted = (r: Raster) => {
  let n = 0;
  for (let i = 0; i < r.pixels.length; i += 4) if (r.pixels[i] !== BG[0] || r.pixels[i + 1] !== BG[1] || r.pixels[i + 2] !== BG[2]) n++;
  return n;
};
const totalCover = (r: Raster) => {
  let sum = 0;
  for (let y = 0; y < r.height; y++) for (let x = 0; x < r.width; x++) sum += cover(r, x, y);
  return sum;
};

test('clear makes every pixel the opaque colour', () => {
  const r = new Raster(3, 2);
  r.clear(1, 2, 3);
  for (let i = 0; i < 6; i++) assert.deepEqual([...r.pixels.subarray(i * 4, i * 4 + 4)], [1, 2, 3, 255]);
});

test('a one-pixel line on a row of pixel centres fills that row only, blended at its opacity', () => {
  const r = fresh();
  r.line(2, 10.5, 12, 10.5, 1, 255, 0, 0, 1);
  for (let x = 2; x < 12; x++) assert.deepEqual(px(r, x, 10), [255, 0, 0, 255], `x=${x}`);
  assert.deepEqual(px(r, 12, 10), [...BG, 255]);
  assert.deepEqual(px(r, 5, 9), [...BG, 255]);
  assert.deepEqual(px(r, 5, 11), [...BG, 255]);
  const half = fresh();
  half.line(2, 10.5, 12, 10.5, 1, 255, 0, 0, 0.5);
  assert.ok(Math.abs(cover(half, 5, 10) - 0.5) < 0.01, String(cover(half, 5, 10)));
});

test('a line between two rows covers each by half; a thin one is fainter in proportion', () => {
  const r = fresh();
  r.line(2, 10, 12, 10, 1, 255, 0, 0, 1);
  assert.ok(Math.abs(cover(r, 5, 9) - 0.5) < 0.01);
  assert.ok(Math.abs(cover(r, 5, 10) - 0.5) < 0.01);
  const thin = fresh();
  thin.line(2, 10.5, 12, 10.5, 0.25, 255, 0, 0, 1);
  assert.ok(Math.abs(cover(thin, 5, 10) - 0.25) < 0.01);
});

test("a slanted line's coverage adds up to its length times its width, steep or shallow", () => {
  for (const [ax, ay, bx, by] of [[3, 4, 33, 20], [5, 2, 14, 27], [33, 25, 4, 6]]) {
    for (const w of [1, 2.5]) {
      const r = fresh();
      r.line(ax, ay, bx, by, w, 255, 0, 0, 1);
      const want = Math.hypot(bx - ax, by - ay) * w;
      const got = totalCover(r);
      assert.ok(Math.abs(got - want) / want < 0.06, `${[ax, ay, bx, by]} w=${w}: ${got.toFixed(1)} against ${want.toFixed(1)}`);
    }
  }
});

test('a dashed line leaves its gaps: on 5, off 3 along a row', () => {
  const r = fresh();
  r.line(0, 5.5, 40, 5.5, 1, 255, 0, 0, 1, 5, 3);
  const row = Array.from({ length: 40 }, (_, x) => (cover(r, x, 5) > 0.5 ? '#' : '.')).join('');
  assert.equal(row, '#####...#####...#####...#####...#####...');
});

test('a line is clipped to the buffer before it is walked; what lies outside draws nothing, nor do bad numbers', () => {
  const r = fresh();
  r.line(-1e9, 7.5, 1e9, 7.5, 1, 255, 0, 0, 1);
  r.line(-1e9, -1e9, -5e8, -1e9, 3, 255, 0, 0, 1);
  r.line(100, 100, 200, 300, 2, 255, 0, 0, 1);
  // a line across the whole buffer: its 40 pixels (clipped first: a billion columns would take minutes)
  assert.equal(painted(r), 40);
  const n = fresh();
  n.line(NaN, 1, 5, 5, 1, 255, 0, 0, 1);
  n.line(1, 1, Infinity, 5, 1, 255, 0, 0, 1);
  n.line(1, 1, 1, 1, 1, 255, 0, 0, 1);
  n.disc(NaN, 4, 3, 255, 0, 0, 1);
  n.triangle(1, 1, 5, 5, NaN, 2, 255, 0, 0, 1);
  assert.equal(painted(n), 0);
});

test("a disc's coverage is its area, full at its centre; a ring leaves its inside; a tiny disc is one faint pixel", () => {
  const r = fresh();
  r.disc(20, 15, 6, 255, 0, 0, 1);
  assert.deepEqual(px(r, 20, 15), [255, 0, 0, 255]);
  assert.ok(Math.abs(totalCover(r) - Math.PI * 36) / (Math.PI * 36) < 0.03, String(totalCover(r)));
  assert.deepEqual(px(r, 20, 7), [...BG, 255]);
  const ring = fresh();
  ring.disc(20, 15, 8, 255, 0, 0, 1, 1.5);
  assert.deepEqual(px(ring, 20, 15), [...BG, 255]);
  assert.ok(Math.abs(totalCover(ring) - 2 * Math.PI * 8 * 1.5) / (2 * Math.PI * 8 * 1.5) < 0.06, String(totalCover(ring)));
  const tiny = fresh();
  tiny.disc(5.2, 5.7, 0.4, 255, 0, 0, 1);
  assert.equal(painted(tiny), 1);
  assert.ok(Math.abs(cover(tiny, 5, 5) - Math.PI * 0.16) < 0.01);
});

test("a triangle's coverage is its area, whichever way round its corners are given", () => {
  for (const pts of [[5, 5, 25, 5, 5, 25], [5, 5, 5, 25, 25, 5]] as const) {
    const r = fresh();
    r.triangle(pts[0], pts[1], pts[2], pts[3], pts[4], pts[5], 255, 0, 0, 1);
    assert.ok(Math.abs(totalCover(r) - 200) / 200 < 0.05, String(totalCover(r)));
    assert.deepEqual(px(r, 8, 8), [255, 0, 0, 255]);
    assert.deepEqual(px(r, 22, 22), [...BG, 255]);
  }
});

test("a rectangle's outline, dashed or not, leaves its inside", () => {
  const r = fresh();
  r.rect(5.5, 5.5, 30.5, 20.5, 1, 255, 0, 0, 1);
  assert.ok(cover(r, 5, 10) > 0.45 && cover(r, 15, 20) > 0.45);
  assert.deepEqual(px(r, 15, 12), [...BG, 255]);
  const d = fresh();
  d.rect(5.5, 5.5, 30.5, 20.5, 1, 255, 0, 0, 1, 4, 3);
  assert.ok(painted(d) < painted(r) * 0.75 && painted(d) > painted(r) * 0.45, `${painted(d)} of ${painted(r)}`);
});

test('colours: the forms a canvas gives back, and the short ones; anything else is null', () => {
  assert.deepEqual(parseColour('#e69f00'), [230, 159, 0, 1]);
  assert.deepEqual(parseColour('#80808059'), [128, 128, 128, 0x59 / 255]);
  assert.deepEqual(parseColour('#fff'), [255, 255, 255, 1]);
  assert.deepEqual(parseColour('rgba(128, 128, 128, 0.35)'), [128, 128, 128, 0.35]);
  assert.deepEqual(parseColour('rgb(1 2 3 / 50%)'), [1, 2, 3, 0.5]);
  assert.equal(parseColour('cornflowerblue'), null);
  assert.equal(parseColour('var(--x)'), null);
});
