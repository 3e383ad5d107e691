/**
 * The page side of test/e2e/raster.test.ts (bundled by esbuild for Chromium): a big synthetic scene painted twice,
 * by the canvas's own paths (drawScene) and by the raster (rasterScene), and both pictures' pixels handed back.
 */
import { drawScene, rasterScene } from '../../webview/topology/graphview';
import { Raster, parseColour } from '../../webview/topology/raster';
import { readTheme, type Scene, type SceneEdge, type SceneGroup, type SceneNode } from '../../webview/topology/scene';

export interface Painted {
  width: number;
  height: number;
  canvas: number[];
  raster: number[];
  nodes: { x: number; y: number; r: number; fill: [number, number, number] }[];
  drawn: [number, number];
}

export function paintBoth(width: number, height: number, n: number, m: number, zoom: number): Painted {
  let seed = 11;
  const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const theme = readTheme(() => '');
  const kinds = ['same-az', 'cross-az', 'nat', 'igw', 'rejected'] as const;
  const nodes: SceneNode[] = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, label: `node-${i}`, type: i % 7 === 0 ? 'rds:db' : 'ec2:instance', x: 20 + rnd() * 1360, y: 20 + rnd() * 860, r: 2 + rnd() * 6, match: false }));
  const edges: SceneEdge[] = [];
  for (let i = 0; i < m; i++) {
    const s = nodes[Math.floor(rnd() * n)];
    const t = nodes[Math.floor(rnd() * n)];
    edges.push({ id: `e${i}`, s, t, width: 0.5 + rnd() * 3, kind: kinds[i % kinds.length], highlighted: false });
  }
  const groups: SceneGroup[] = [
    { key: 'vpc-a', level: 'vpc', label: 'vpc-a', x0: 10, y0: 10, x1: 700, y1: 880 },
    { key: 'az-a', level: 'az', label: 'us-east-1a', x0: 30, y0: 30, x1: 660, y1: 400 },
  ];
  const scene: Scene = { nodes, edges, groups, byId: new Map(nodes.map((x) => [x.id, x])), highlighting: false, searching: false, comparing: false };
  const t = { x: 0, y: 0, k: zoom };
  const a = document.createElement('canvas');
  a.width = width;
  a.height = height;
  const ca = a.getContext('2d')!;
  const d1 = drawScene(ca, scene, theme, t, width, height, 1);
  const b = document.createElement('canvas');
  b.width = width;
  b.height = height;
  const cb = b.getContext('2d')!;
  const probe = document.createElement('canvas').getContext('2d')!;
  const rgba = (css: string) => {
    probe.fillStyle = '#000000';
    probe.fillStyle = css;
    return parseColour(String(probe.fillStyle)) ?? ([128, 128, 128, 1] as const);
  };
  const raster = new Raster(width, height);
  const d2 = rasterScene(cb, raster, new ImageData(raster.pixels, width, height), scene, theme, t, 1, rgba);
  document.body.append(a, b);
  return {
    width, height,
    canvas: [...ca.getImageData(0, 0, width, height).data],
    raster: [...cb.getImageData(0, 0, width, height).data],
    nodes: nodes.map((x) => ({ x: x.x * t.k, y: x.y * t.k, r: x.r * t.k, fill: rgba(theme.nodeFill(x.type)).slice(0, 3) as [number, number, number] })),
    drawn: [d1, d2],
  };
}
