/**
 * The enrichment pipeline: inventory in, flow logs in, then conversations and windows rebuilt in one
 * transaction (a cancelled or failed rebuild leaves the previous enrichment intact).
 */
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../store/db';
import type { EnrichOptions, EnrichSummary, FileReport, Progress } from '../api';
import { CancelledError, rebuild } from './rebuild';
import { ingestFiles } from '../flowlogs/ingest';
import { loadInventory } from '../inventory/load';
import { writeSampleEstate, type SampleOptions } from '../sample/index';

/** Where the sample estate is written: deterministic, so a re-run reuses it and loads nothing twice. */
export function sampleDir(options: SampleOptions): string {
  const key = `seed-${options.seed ?? 42}-days-${options.days ?? 61}-scale-${options.scale ?? 1}`;
  return join(tmpdir(), 'flowlens-sample', key);
}

export async function enrich(db: Db, opts: EnrichOptions): Promise<EnrichSummary> {
  const t0 = Date.now();
  const progress = (p: Progress) => opts.onProgress?.(p);
  const files: FileReport[] = [];
  const inventoryWarnings: string[] = [];
  let inventoryPaths: string[] = opts.inventory ? [opts.inventory] : [];
  let flowPaths: string[] = opts.flowLogs ?? [];

  if (opts.sample) {
    const sampleOpts: SampleOptions = typeof opts.sample === 'object' ? opts.sample : {};
    const dir = sampleDir(sampleOpts);
    if (!existsSync(join(dir, 'manifest.json'))) {
      progress({ phase: 'sample', message: `generating the sample estate in ${dir}` });
      await mkdir(dir, { recursive: true });
      await writeSampleEstate(dir, sampleOpts);
    }
    inventoryPaths = [...inventoryPaths, join(dir, 'inventory')];
    flowPaths = [...flowPaths, join(dir, 'flowlogs')];
  }
  if (opts.signal?.aborted) throw new CancelledError();

  if (inventoryPaths.length) {
    progress({ phase: 'inventory', message: `loading inventory from ${inventoryPaths.join(', ')}` });
    const report = await loadInventory(db, inventoryPaths, { signal: opts.signal });
    for (const f of report.files) {
      if (f.status === 'unrecognised') inventoryWarnings.push(`${f.name}: not an inventory file Flowlens recognises`);
      if (f.status === 'failed') inventoryWarnings.push(`${f.name}: ${f.error ?? 'failed'}`);
    }
    inventoryWarnings.push(...report.warnings);
  }
  if (opts.signal?.aborted) throw new CancelledError();

  if (flowPaths.length) {
    progress({ phase: 'flow-logs', message: `reading flow logs from ${flowPaths.join(', ')}` });
    files.push(...(await ingestFiles(db, flowPaths, { signal: opts.signal })));
  }
  if (opts.signal?.aborted) throw new CancelledError();

  const conversations = await rebuild(db, opts);
  return {
    files,
    inventoryWarnings,
    records: files.reduce((n, f) => n + (f.status === 'loaded' ? f.records : 0), 0),
    badLines: files.reduce((n, f) => n + f.badLines, 0),
    conversations,
    seconds: (Date.now() - t0) / 1000,
  };
}
