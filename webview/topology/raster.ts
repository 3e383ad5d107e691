/**
 * A small software rasteriser for big maps: anti-aliased lines (any width, optionally dashed) and discs, blended
 * into an RGBA pixel buffer that the canvas takes whole (`putImageData`). Chromium without a GPU strokes a canvas
 * path through Skia's general path filler (5,000 circles and 20,000 lines cost 120 ms a frame here) and WebGL
 * runs on SwiftShader (1.2 s); writing the pixels straight is several times cheaper, so a big map is really redrawn
 * every frame of a gesture instead of moving its last picture. Coverage is exact for a line's width across each
 * column (or row) it crosses and by distance for a disc's rim, so edges come out as smooth as the canvas draws them.
 * Pure: no DOM, so the tests run it in Node.
 */
/** The alpha byte of an opaque pixel's word (little-endian: the word's top byte), as a signed 32-bit integer. */
const OPAQUE = 255 << 24;

export class Raster {
  readonly pixels: Uint8ClampedArray<ArrayBuffer>;
  /** The same pixels a word each (signed: an opaque pixel's word stays a small integer to the engine, not a double). */
  private readonly words: Int32Array;

  constructor(readonly width: number, readonly height: number) {
    this.pixels = new Uint8ClampedArray(width * height * 4);
    this.words = new Int32Array(this.pixels.buffer);
  }

  /** Every pixel the opaque colour (r, g, b). */
  clear(r: number, g: number, b: number): void {
    // little-endian: the first byte of a word is its lowest
    this.words.fill(OPAQUE | (b << 16) | (g << 8) | r);
  }

  /** Blends (r, g, b) over the pixel at word index j at opacity a8 (0..256): one read and one write of its word. */
  private put(j: number, r: number, g: number, b: number, a8: number): void {
    const v = this.words[j];
    // red and blue blended together in one word (neither carries into the other), then green
    this.words[j] = OPAQUE | ((((v & 0xff00ff) * (256 - a8) + ((b << 16) | r) * a8) >> 8) & 0xff00ff) | ((((v & 0xff00) * (256 - a8) + (g << 8) * a8) >> 8) & 0xff00);
  }

  /** Blends (r, g, b) over pixel (x, y) at opacity a (0..1). */
  private blend(x: number, y: number, r: number, g: number, b: number, a: number): void {
    this.put(y * this.width + x, r, g, b, (a * 256) | 0);
  }

  /**
   * A line from (ax, ay) to (bx, by), `w` pixels wide, in (r, g, b) at opacity `a`; dashed when `on` > 0 (`on`
   * pixels drawn, `off` left, measured from (ax, ay)). A line thinner than a pixel is drawn one pixel wide and
   * fainter in proportion. What lies outside the buffer costs nothing.
   */
  line(ax: number, ay: number, bx: number, by: number, w: number, r: number, g: number, b: number, a: number, on = 0, off = 0): void {
    if (!Number.isFinite(ax + ay + bx + by + w) || w <= 0 || a <= 0) return;
    if (w < 1) {
      a *= w;
      w = 1;
    }
    const dx = bx - ax;
    const dy = by - ay;
    const len = Math.hypot(dx, dy);
    if (len < 1e-9) return;
    // the part of the line inside the buffer, widened by the line's width (Liang-Barsky)
    const pad = w + 1;
    let t0 = 0;
    let t1 = 1;
    const clip = (p: number, q: number): boolean => {
      if (p === 0) return q >= 0;
      const t = q / p;
      if (p < 0) {
        if (t > t1) return false;
        if (t > t0) t0 = t;
      } else {
        if (t < t0) return false;
        if (t < t1) t1 = t;
      }
      return true;
    };
    if (!clip(-dx, ax + pad) || !clip(dx, this.width + pad - ax) || !clip(-dy, ay + pad) || !clip(dy, this.height + pad - ay)) return;
    const period = on > 0 ? on + Math.max(0, off) : 0;
    const xMajor = Math.abs(dx) >= Math.abs(dy);
    // walk the major axis one pixel at a time; across it, the line's extent is its width over cos(angle)
    const major = xMajor ? dx : dy;
    const slope = (xMajor ? dy : dx) / major;
    const half = ((w / 2) * len) / Math.abs(major);
    const a0 = xMajor ? ax : ay; // where the line starts, on the major axis and across it
    const c0 = xMajor ? ay : ax;
    const lenMajor = xMajor ? this.width : this.height;
    const lenMinor = xMajor ? this.height : this.width;
    // words from one pixel to the next along the major axis and across it
    const stepMajor = xMajor ? 1 : this.width;
    const stepMinor = xMajor ? this.width : 1;
    const ea = a0 + t0 * major;
    const eb = a0 + t1 * major;
    const ms = Math.max(0, Math.ceil(Math.min(ea, eb) - 0.5));
    const me = Math.min(lenMajor - 1, Math.floor(Math.max(ea, eb) - 0.5));
    const words = this.words;
    const a8 = (a * 256) | 0;
    const rb = (b << 16) | r;
    const g8 = g << 8;
    const dashScale = len / major;
    let centre = c0 + (ms + 0.5 - a0) * slope;
    for (let m = ms; m <= me; m++, centre += slope) {
      if (period > 0 && (((m + 0.5 - a0) * dashScale) % period + period) % period >= on) continue;
      let lo = centre - half;
      let hi = centre + half;
      let p0 = Math.floor(lo);
      let p1 = Math.floor(hi);
      if (p1 >= lenMinor) {
        p1 = lenMinor - 1;
        hi = lenMinor;
      }
      if (p0 < 0) {
        p0 = 0;
        lo = 0;
      }
      if (p0 > p1) continue;
      const base = m * stepMajor;
      // the end pixels are covered in proportion, the ones between fully
      for (let q = p0; q <= p1; q++) {
        let o = a8;
        if (q === p0) o = (a * Math.min(1, Math.min(q + 1, hi) - lo) * 256) | 0;
        else if (q === p1) o = (a * (hi - q) * 256) | 0;
        const j = base + q * stepMinor;
        const v = words[j];
        words[j] = OPAQUE | ((((v & 0xff00ff) * (256 - o) + rb * o) >> 8) & 0xff00ff) | ((((v & 0xff00) * (256 - o) + g8 * o) >> 8) & 0xff00);
      }
    }
  }

  /**
   * A filled disc of radius `rad` at (cx, cy), or with `ring` > 0 only its rim, `ring` pixels wide, centred on the
   * radius. Edge pixels are covered by their distance to the rim.
   */
  disc(cx: number, cy: number, rad: number, r: number, g: number, b: number, a: number, ring = 0): void {
    if (!Number.isFinite(cx + cy + rad) || rad <= 0 || a <= 0) return;
    const reach = rad + (ring > 0 ? ring / 2 : 0) + 0.5;
    const x0 = Math.max(0, Math.floor(cx - reach));
    const x1 = Math.min(this.width - 1, Math.floor(cx + reach));
    const y0 = Math.max(0, Math.floor(cy - reach));
    const y1 = Math.min(this.height - 1, Math.floor(cy + reach));
    if (ring === 0 && rad < 0.7) {
      // smaller than a pixel: the pixel under its centre, as opaque as the disc's area covers it
      const x = Math.floor(cx);
      const y = Math.floor(cy);
      if (x >= 0 && y >= 0 && x < this.width && y < this.height) this.blend(x, y, r, g, b, a * Math.min(1, Math.PI * rad * rad));
      return;
    }
    const words = this.words;
    const a8 = (a * 256) | 0;
    const rb = (b << 16) | r;
    const g8 = g << 8;
    // a filled disc's pixels nearer its centre than rad - 0.71 are wholly inside it: no distance to take
    const inner = ring === 0 && rad > 0.71 ? rad - 0.71 : 0;
    for (let y = y0; y <= y1; y++) {
      const ddy = y + 0.5 - cy;
      let i0 = 1;
      let i1 = 0;
      if (inner > Math.abs(ddy)) {
        const half = Math.sqrt(inner * inner - ddy * ddy);
        i0 = Math.ceil(cx - half - 0.5);
        i1 = Math.floor(cx + half - 0.5);
      }
      // and those further than its reach are wholly outside
      if (reach <= Math.abs(ddy)) continue;
      const outer = Math.sqrt(reach * reach - ddy * ddy);
      const xa = Math.max(x0, Math.floor(cx - outer));
      const xb = Math.min(x1, Math.floor(cx + outer));
      const row = y * this.width;
      for (let x = xa; x <= xb; x++) {
        if (x >= i0 && x <= i1) {
          const j = row + x;
          const v = words[j];
          words[j] = OPAQUE | ((((v & 0xff00ff) * (256 - a8) + rb * a8) >> 8) & 0xff00ff) | ((((v & 0xff00) * (256 - a8) + g8 * a8) >> 8) & 0xff00);
          continue;
        }
        const ddx = x + 0.5 - cx;
        const d = Math.sqrt(ddx * ddx + ddy * ddy);
        const cov = ring > 0 ? Math.min(ring, ring / 2 + 0.5 - Math.abs(d - rad)) : rad + 0.5 - d;
        if (cov <= 0) continue;
        this.blend(x, y, r, g, b, cov >= 1 ? a : a * cov);
      }
    }
  }

  /**
   * A filled triangle (an arrow head), its edges covered by their distance to each pixel's centre. Meant for small
   * ones: every pixel of its bounding box is tested.
   */
  triangle(x0: number, y0: number, x1: number, y1: number, x2: number, y2: number, r: number, g: number, b: number, a: number): void {
    if (!Number.isFinite(x0 + y0 + x1 + y1 + x2 + y2) || a <= 0) return;
    // counter-clockwise, so each edge's inside is on its left
    const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    if (area === 0) return;
    if (area < 0) {
      [x1, y1, x2, y2] = [x2, y2, x1, y1];
    }
    const edges = [[x0, y0, x1, y1], [x1, y1, x2, y2], [x2, y2, x0, y0]].map(([ax, ay, bx, by]) => {
      const l = Math.hypot(bx - ax, by - ay) || 1;
      return [ax, ay, (bx - ax) / l, (by - ay) / l];
    });
    const xs = Math.max(0, Math.floor(Math.min(x0, x1, x2) - 1));
    const xe = Math.min(this.width - 1, Math.ceil(Math.max(x0, x1, x2) + 1));
    const ys = Math.max(0, Math.floor(Math.min(y0, y1, y2) - 1));
    const ye = Math.min(this.height - 1, Math.ceil(Math.max(y0, y1, y2) + 1));
    for (let y = ys; y <= ye; y++) {
      for (let x = xs; x <= xe; x++) {
        let d = Infinity;
        for (const [ax, ay, ux, uy] of edges) d = Math.min(d, ux * (y + 0.5 - ay) - uy * (x + 0.5 - ax));
        const cov = d + 0.5;
        if (cov > 0) this.blend(x, y, r, g, b, cov >= 1 ? a : a * cov);
      }
    }
  }

  /** An axis-aligned rectangle's outline, `w` pixels wide, dashed as `line` is. */
  rect(x0: number, y0: number, x1: number, y1: number, w: number, r: number, g: number, b: number, a: number, on = 0, off = 0): void {
    this.line(x0, y0, x1, y0, w, r, g, b, a, on, off);
    this.line(x1, y0, x1, y1, w, r, g, b, a, on, off);
    this.line(x1, y1, x0, y1, w, r, g, b, a, on, off);
    this.line(x0, y1, x0, y0, w, r, g, b, a, on, off);
  }
}

/**
 * A CSS colour as red, green, blue (0-255) and alpha (0-1), from the forms a canvas gives back for its fillStyle
 * ('#rrggbb', 'rgba(r, g, b, a)') and the short forms '#rgb', '#rrggbbaa'. Anything else is null.
 */
export function parseColour(text: string): [number, number, number, number] | null {
  const s = text.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,4})$/.exec(s);
  if (m) {
    const d = [...m[1]].map((c) => parseInt(c + c, 16));
    return [d[0], d[1], d[2], d.length > 3 ? d[3] / 255 : 1];
  }
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/.exec(s);
  if (m) {
    const v = parseInt(m[1], 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255, m[2] ? parseInt(m[2], 16) / 255 : 1];
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+)(%?))?\s*\)$/.exec(s);
  if (m) {
    const alpha = m[4] === undefined ? 1 : m[5] ? Number(m[4]) / 100 : Number(m[4]);
    return [Math.round(Number(m[1])), Math.round(Number(m[2])), Math.round(Number(m[3])), Math.max(0, Math.min(1, alpha))];
  }
  return null;
}
