// Interaction latencies of the topology view on the sample estate, as a user meets them: the real webview bundle
// in headless Chromium, its host answering through the real topology service, the extension's DuckDB child process
// (WorkerClient + duckdbWorker) and the sample estate's dataset. Each figure runs from the input event (a level
// picked, a search typed and Enter, a brush drawn on the timeline, "Focus neighbourhood" pressed) to the first frame
// drawn after the result is on screen (status line or details panel updated), measured in the page.
//   node bench/topology-interactions.mjs [--repeat 3]      (bench/topology.mjs runs it too, after the big graph)
// The dataset is made once in bench/.data/sample.duckdb (the sample estate: 61 days, 413 ENIs, ~1.02 M records since v6; remove it after the estate changes).
// Target (issue 12): each <= 300 ms.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus as cores, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** CPU time of a page's renderer process so far, in ms (CDP ProcessTime, 10 ms steps; steadier than wall time on a busy machine). */
const sessions = new WeakMap();
export async function cpuTime(page) {
  let cdp = sessions.get(page);
  if (!cdp) {
    sessions.set(page, (cdp = await page.context().newCDPSession(page)));
    await cdp.send('Performance.enable');
  }
  const { metrics } = await cdp.send('Performance.getMetrics');
  return (metrics.find((m) => m.name === 'ProcessTime')?.value ?? NaN) * 1000;
}

/** Builds what the host side needs (tsc output with the engine's SQL) and the sample dataset, once. */
export function prepare() {
  execFileSync(process.execPath, [join(root, 'node_modules/@typescript/native/bin/tsc'), '-p', 'tsconfig.test.json', '--outDir', 'out-bench'], { cwd: root, stdio: 'inherit' });
  execFileSync(process.execPath, [join(root, 'scripts/compile-sql.mjs'), 'out-bench'], { cwd: root, stdio: 'inherit' });
  return createRequire(join(root, 'out-bench', 'x.js'));
}

export async function sampleDataset(require) {
  const path = join(root, 'bench', '.data', 'sample.duckdb');
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  const { openDataset, enrich } = require('./src/core/api.js');
  const db = await openDataset(path);
  try {
    await enrich(db, { source: { kind: 'sample' } });
  } finally {
    db.close();
  }
  return path;
}

/**
 * Runs the interactions in `browser` (a playwright-core Chromium) with the webview bundle at `bundle`; prints and
 * returns the latencies in ms.
 */
export async function interactions(browser, bundle, { repeat = 3 } = {}) {
  const require = prepare();
  const dataset = await sampleDataset(require);
  const { WorkerClient } = require('./src/host/workerClient.js');
  const service = require('./src/core/topology/service.js');
  const { queryRowsVia } = require('./src/host/queryRows.js');
  const worker = new WorkerClient({ workerPath: join(root, 'out-bench/src/host/duckdbWorker.js') });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await worker.request('open', { path: dataset });
    const query = queryRowsVia((sql, params, rowCap, signal) => worker.request('query', { sql, params, rowCap }, { signal }));
    // the panel's own host: one session per panel when the service has them, else each request on its own
    const host = service.TopologySession ? new service.TopologySession({ query }) : { answer: (m) => service.answerRequest({ query }, m) };
    // as JSON text, as VS Code's postMessage carries it (handing playwright the object costs far more than that)
    let sent = 0;
    const toPage = (m) => {
      const text = JSON.stringify(m);
      sent += text.length;
      return page.evaluate((text) => window.dispatchEvent(new MessageEvent('message', { data: JSON.parse(text) })), text).catch(() => undefined);
    };
    await page.exposeBinding('__flowlensPost', (_source, m) => {
      if (m.kind === 'ready') void toPage({ kind: 'init', version: m.version, dataset: 'sample', state: null });
      else if (m.kind === 'request') void host.answer(m).then(toPage);
    });
    await page.setContent(`<!DOCTYPE html><html><head><style>${readFileSync(join(root, 'media/topology.css'), 'utf8')}</style></head><body></body></html>`);
    await page.evaluate(() => {
      window.acquireVsCodeApi = () => ({ getState: () => undefined, setState: () => {}, postMessage: (m) => window.__flowlensPost(m) });
      const status = () => document.getElementById('status')?.textContent ?? '';
      const details = () => document.getElementById('details');
      const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
      // the map is drawn and the status line says so (it says "Loading" from the moment a query starts)
      const mapShown = () => !status().startsWith('Loading') && /\d+ nodes/.test(status());
      const detailsShown = () => !details().hidden && details().textContent !== '' && !/^Loading/.test(details().textContent);
      async function timed(act, done) {
        const t0 = performance.now();
        await act();
        while (!done()) await frame();
        await frame(); // the frame with the result
        return performance.now() - t0;
      }
      const fire = (el, type, init = {}) => el.dispatchEvent(new (type.startsWith('key') ? KeyboardEvent : type.startsWith('mouse') ? MouseEvent : Event)(type, { bubbles: true, cancelable: true, view: window, ...init }));
      /** Draws a brush from fraction a to b of the timeline's width (a === b clears it). */
      function brush(a, b) {
        const overlay = document.querySelector('#timeline .brush .overlay');
        const r = overlay.getBoundingClientRect();
        const x = (f) => r.left + r.width * f;
        const y = r.top + r.height / 2;
        fire(overlay, 'mousedown', { clientX: x(a), clientY: y, button: 0, buttons: 1 });
        fire(window, 'mousemove', { clientX: x((a + b) / 2), clientY: y, buttons: 1 });
        fire(window, 'mousemove', { clientX: x(b), clientY: y, buttons: 1 });
        fire(window, 'mouseup', { clientX: x(b), clientY: y, button: 0, buttons: 0 });
      }
      window.bench = {
        mapShown,
        level: (level) => timed(() => { const s = document.getElementById('level'); s.value = level; fire(s, 'change'); }, mapShown),
        brush: (a, b) => timed(() => brush(a, b), mapShown),
        /** Brushes drawn one after the other every `gap` ms (a user dragging it about); the time is from the last one. */
        brushes: async (spans, gap) => {
          for (const [a, b] of spans.slice(0, -1)) {
            brush(a, b);
            await new Promise((r) => setTimeout(r, gap));
          }
          const [a, b] = spans[spans.length - 1];
          return timed(() => brush(a, b), mapShown);
        },
        search: (text) => timed(() => {
          const s = document.getElementById('search');
          s.value = text;
          fire(s, 'input');
          fire(s, 'keydown', { key: 'Enter' });
        }, detailsShown),
        focus: () => timed(() => document.getElementById('focus').click(), mapShown),
        wholeMap: () => document.getElementById('clear-focus').click(),
        peer: () => timed(() => document.querySelector('#details a[data-id]').click(), detailsShown),
      };
    });
    const code = readFileSync(bundle, 'utf8');
    const t0 = Date.now();
    await page.evaluate((code) => {
      const s = document.createElement('script');
      s.textContent = code;
      document.body.appendChild(s);
    }, code);
    await page.waitForFunction(() => window.bench.mapShown(), null, { polling: 50, timeout: 120000 });
    const open = Date.now() - t0;
    // CPU time of the DuckDB process (Linux: /proc, clock ticks of 10 ms), less sensitive to a busy machine than wall time
    const cpu = () => {
      try {
        const f = readFileSync(`/proc/${worker.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return (Number(f[11]) + Number(f[12])) * 10;
      } catch {
        return NaN;
      }
    };
    const runs = {};
    const cpus = {};
    const pageCpus = {};
    const hostCpus = {};
    const hostCpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const add = async (name, run) => {
      const c0 = cpu();
      const p0 = await cpuTime(page);
      const h0 = hostCpu();
      const s0 = sent;
      (runs[name] ??= []).push(await run());
      (replies[name] ??= []).push(sent - s0);
      (cpus[name] ??= []).push(cpu() - c0);
      (pageCpus[name] ??= []).push((await cpuTime(page)) - p0);
      (hostCpus[name] ??= []).push(hostCpu() - h0);
      // the webview's own steps of the last redraw (guard of the reply, fold and view, layout, scene), wall ms
      (steps[name] ??= []).push(await page.evaluate(() => ({ ...window.flowlensTopology.timings })));
    };
    const steps = {};
    const replies = {};
    for (let i = 0; i < repeat; i++) {
      for (const level of ['app', 'vpc', 'security-group', 'resource']) await add(`level -> ${level}`, () => page.evaluate((l) => window.bench.level(l), level));
      await add('brush (one window)', () => page.evaluate(() => window.bench.brush(0.3, 0.45)));
      await add('brush (5 drawn 100 ms apart, from the last)', () => page.evaluate(() => window.bench.brushes([[0.1, 0.3], [0.2, 0.4], [0.3, 0.5], [0.4, 0.6], [0.5, 0.7]], 100)));
      await add('brush cleared (whole range)', () => page.evaluate(() => window.bench.brush(0.5, 0.5)));
      await add('search + Enter (details shown)', () => page.evaluate(() => window.bench.search('shop')));
      await add('focus neighbourhood', () => page.evaluate(() => window.bench.focus()));
      await add('a peer in the details', () => page.evaluate(() => window.bench.peer()));
      await page.evaluate(() => window.bench.wholeMap());
    }
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`topology interactions on the sample estate (${dataset}), median of ${repeat}, ms from the input to the frame with the result; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cores().length} cores   [target <= 300 ms]`);
    console.log(`  open (script start -> map shown): ${open} ms`);
    for (const [name, xs] of Object.entries(runs)) {
      const last = steps[name][steps[name].length - 1];
      const parts = name.startsWith('level') ? `; webview steps ${Object.entries(last).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')} ms` : '';
      console.log(`  ${name}: ${Math.round(med(xs))} ms  (${xs.map((x) => Math.round(x)).join(', ')}); CPU: DuckDB process ${Math.round(med(cpus[name]))} ms, webview ${Math.round(med(pageCpus[name]))} ms, host and harness ${Math.round(med(hostCpus[name]))} ms; replies ${Math.round(med(replies[name]) / 1024)} kB${parts}`);
    }
    return { runs, cpus };
  } finally {
    await page.close();
    await worker.dispose();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { build } = await import('esbuild');
  const { chromium } = await import('playwright-core');
  const arg = (name, def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : def;
  };
  const out = join(root, 'bench', '.data', 'topology');
  mkdirSync(out, { recursive: true });
  await build({ entryPoints: [join(root, 'webview/topology/main.ts')], outfile: join(out, 'topology.js'), bundle: true, platform: 'browser', format: 'iife', target: 'es2022', minify: true, logLevel: 'warning' });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    await interactions(browser, join(out, 'topology.js'), { repeat: arg('repeat', 3) });
  } finally {
    await browser.close();
  }
}
