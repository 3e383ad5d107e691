/**
 * The wizard's folder step and what an enrichment says, on real files with the real engine: the pre-scan
 * (the engine's own detection), a relative folder, the progress the engine reports per batch (files done of the
 * total, records), an enrichment that reads no records and why, and the output log's summary lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { enrich, openDataset, type EnrichSummary, type Progress } from '../../src/core/api';
import { scanFolder } from '../../src/core/scan';
import { formatScan } from '../../src/core/format';
import { EnrichWizard, WizardInputError, type WizardDeps } from '../../src/host/enrichWizard';
import { doubleLogged, emptyMessage, emptyReasons, fileLines, ProgressMeter, refreshMessage, timeLeft } from '../../src/host/enrichReport';
import type { EnrichResult } from '../../src/protocol/worker';
import { flowLogText, flowRecords } from '../support/follower';
import { writeEstate } from '../unit/inventory-fixtures';
import { requestFor } from '../../src/host/planRequest';

/** An estate folder: inventory (the hand-written estate), text, gzip and CloudWatch flow logs, and a stray note. */
function estateFolder(): string {
  const { dir, root } = writeEstate();
  const logs = join(root, '..', 'flowlogs');
  mkdirSync(logs);
  writeFileSync(join(logs, 'a.log'), flowLogText(flowRecords(1, 30).lines));
  writeFileSync(join(logs, 'b.log'), flowLogText(flowRecords(2, 20).lines));
  writeFileSync(join(logs, 'c.log.gz'), gzipSync(flowLogText(flowRecords(3, 10).lines)));
  writeFileSync(join(logs, 'd.json'), JSON.stringify({ logEvents: flowRecords(4, 5).lines.map((message, i) => ({ id: String(i), timestamp: 1790000000000, message })) }));
  writeFileSync(join(dir, 'notes.txt'), 'Exported from the prod account on Monday, see the wiki.\n');
  writeFileSync(join(dir, '.DS_Store'), 'hidden: not counted');
  return dir;
}

/** A folder with nothing Flowlens can read as flow logs. */
function junkFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-junk-'));
  writeFileSync(join(dir, 'README.md'), '# Flow logs\nThey will be copied here later.\n');
  writeFileSync(join(dir, 'notes.txt'), 'Exported from the prod account, on Monday.\n');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ bucket: 'flow-logs', region: 'us-east-1' }));
  return dir;
}

/** The engine's summary as the DuckDB worker sends it to the host. */
function asResult(s: EnrichSummary): EnrichResult {
  return {
    records: s.records,
    badLines: s.badLines,
    conversations: s.conversations,
    seconds: s.seconds,
    files: s.files.map((f) => ({ name: f.name, status: f.status, records: f.records, badLines: f.badLines, ...(f.error ? { error: f.error } : {}) })),
    inventoryWarnings: s.inventoryWarnings,
    warnings: s.warnings,
  };
}

test('the pre-scan counts flow-log files by format and inventory files, as the engine tells them apart', async () => {
  const dir = estateFolder();
  try {
    const scan = await scanFolder([dir]);
    const inventoryFiles = readdirSync(join(dir, 'inventory'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
    assert.equal(scan.flowLogs, 4);
    assert.deepEqual(scan.formats, { text: 2, gzip: 1, 'CloudWatch JSON': 1 });
    assert.equal(scan.inventory, inventoryFiles);
    assert.equal(scan.other, 1);
    assert.equal(formatScan(scan), `4 flow-log files (2 text, 1 CloudWatch JSON, 1 gzip), ${inventoryFiles} inventory files; 1 other file (notes.txt)`);
    // the scan agrees with what the enrichment then loads: every flow-log file it counted is loaded
    const db = await openDataset(join(dir, 'x.duckdb'));
    try {
      const s = await enrich(db, { source: { kind: 'files', flowLogs: [join(dir, 'flowlogs')], inventory: [join(dir, 'inventory')] } });
      assert.equal(s.files.filter((f) => f.status === 'loaded').length, scan.flowLogs);
      assert.deepEqual(s.inventoryWarnings.filter((w) => /not an inventory file/.test(w)), []);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function wizardDeps(workspaceFolder?: string): WizardDeps {
  return {
    listProfiles: async () => [],
    discoverFlowLogs: async () => ({ flowLogs: [], problems: [] }),
    listDatasets: async () => [],
    scanFolder: async (folder) => {
      const scan = await scanFolder([folder]);
      return { flowLogs: scan.flowLogs, inventory: scan.inventory, summary: formatScan(scan) };
    },
    ...(workspaceFolder ? { workspaceFolder } : {}),
  };
}

test('the folder step: a relative path from the workspace folder, then what it holds before enriching', async () => {
  const dir = estateFolder();
  try {
    const w = new EnrichWizard(wizardDeps(dir));
    w.answer('folder');
    const step = await w.prompt();
    assert.equal(step.type === 'input' && step.browse, 'folder');
    assert.throws(() => w.answer('no-such-subfolder'), (e: Error) => e instanceof WizardInputError && e.message === `${join(dir, 'no-such-subfolder')} does not exist`);
    w.answer('flowlogs');
    assert.equal(w.currentStep, 'folderScan');
    const scan = await w.prompt();
    assert.ok(scan.type === 'pick');
    assert.equal(scan.items[0].description, '4 flow-log files (2 text, 1 CloudWatch JSON, 1 gzip), 0 inventory files');
    assert.equal(scan.items[0].disabled, undefined);
    w.answer('enrich');
    assert.equal(w.currentStep, 'dataset');
    await w.prompt();
    w.answer('new');
    await w.prompt();
    w.answer('local');
    assert.deepEqual(w.plan(), { source: 'folder', folder: join(dir, 'flowlogs'), dataset: { mode: 'new', name: 'local' } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the folder step: a folder without flow logs cannot be enriched; "Choose another folder" goes back', async () => {
  const dir = junkFolder();
  try {
    const w = new EnrichWizard(wizardDeps());
    w.answer('folder');
    w.answer(dir);
    const scan = await w.prompt();
    assert.ok(scan.type === 'pick');
    assert.equal(scan.placeholder, `No flow-log files in ${dir}`);
    assert.equal(scan.items[0].disabled, true);
    assert.equal(scan.activeId, 'change');
    assert.match(scan.notes[0], /^0 flow-log files, 0 inventory files; 3 other files \(README\.md, config\.json, notes\.txt\)/);
    assert.throws(() => w.answer('enrich'), /no flow-log files/);
    w.answer('change');
    assert.equal(w.currentStep, 'folder');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress: the engine tells files done of the total and records, per batch, up to the last file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-progress-'));
  try {
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    for (let k = 1; k <= 5; k++) writeFileSync(join(logs, `f${k}.log`), flowLogText(flowRecords(k, 10 * k).lines));
    writeFileSync(join(logs, 'notes.txt'), 'not a flow log, loaded on its own\n');
    const db = await openDataset(join(dir, 'p.duckdb'));
    const seen: Progress[] = [];
    try {
      const s = await enrich(db, { source: { kind: 'files', flowLogs: [logs] }, onProgress: (p) => seen.push(p) });
      const counted = seen.filter((p) => p.phase === 'flow-logs' && p.total !== undefined);
      assert.ok(counted.length >= 2, JSON.stringify(seen));
      assert.ok(counted.every((p) => p.total === 6));
      for (let i = 1; i < counted.length; i++) assert.ok(counted[i].done! >= counted[i - 1].done! && counted[i].records! >= counted[i - 1].records!);
      const last = counted.at(-1)!;
      assert.equal(last.done, 6);
      assert.equal(last.records, 150);
      assert.equal(last.records, s.records);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('progress text: files done of the total, records/s and time left from the rate of this phase', () => {
  let now = 1_000_000;
  const m = new ProgressMeter(() => now, 2000);
  const first = m.update({ phase: 'flow-logs', message: 'reading flow logs from /x' });
  assert.deepEqual(first, { message: 'reading flow logs: reading flow logs from /x', log: 'reading flow logs: reading flow logs from /x' });
  now += 10;
  m.update({ phase: 'flow-logs', message: '0 of 1000 files read', done: 0, total: 1000, records: 0 });
  now += 4000;
  const mid = m.update({ phase: 'flow-logs', message: '250 of 1000 files read', done: 250, total: 1000, records: 1_000_000 });
  // 250 files in 4.01 s: 750 more take about 12 s; 1,000,000 records in 4.01 s
  assert.equal(mid.message, 'reading flow logs: 250 of 1,000 files · 249,377 records/s · about 13 s left');
  assert.equal(mid.increment, 25);
  assert.ok(mid.log);
  now += 500;
  const quiet = m.update({ phase: 'flow-logs', message: '260 of 1000 files read', done: 260, total: 1000, records: 1_040_000 });
  assert.equal(quiet.log, undefined, 'at most one log line per 2 s');
  now += 100;
  const end = m.update({ phase: 'flow-logs', message: '1000 of 1000 files read', done: 1000, total: 1000, records: 4_000_000 });
  assert.equal(end.increment, 74);
  assert.ok(end.log, 'the last batch is logged');
  assert.doesNotMatch(end.message, /left/);
  assert.equal(timeLeft(0.2), 'less than a second left');
  assert.equal(timeLeft(600), 'about 10 min left');
});

test('an enrichment that reads no records says why, most frequent reason first', async () => {
  const dir = junkFolder();
  const out = mkdtempSync(join(tmpdir(), 'flowlens-empty-'));
  try {
    const db = await openDataset(join(out, 'empty.duckdb'));
    let s: EnrichSummary;
    try {
      s = await enrich(db, { source: { kind: 'files', flowLogs: [dir] } });
    } finally {
      db.close();
    }
    assert.equal(s.records, 0);
    const r = asResult(s);
    const reasons = emptyReasons(r);
    assert.equal(reasons.length, 2, reasons.join('\n'));
    // the two prose files fail alike (their line and text differ): one reason, in the first one's words
    assert.match(reasons[0], /^2 files: not a flow-log file: line 1 is neither a flow-log header nor a record: "/);
    assert.match(reasons[1], /^1 file: not a flow-log file: JSON is not CloudWatch Logs events/);
    assert.equal(emptyMessage(r, true), `Flowlens: no flow records were read, so no dataset was made. ${reasons.join('; ')}.`);
    // the same folder again into a dataset that has its flow logs: loaded before
    const again = asResult({ ...s, files: [{ name: '/x/a.log', status: 'duplicate', records: 0, badLines: 0, errors: [] }] });
    assert.deepEqual(emptyReasons(again), ['1 file: loaded before (the same content is in the dataset)']);
    assert.deepEqual(emptyReasons({ ...r, files: [] }), ['no flow-log files were found']);
    // a sentence of its own: capitalised
    assert.equal(emptyMessage({ ...r, files: [] }, false), 'Flowlens: no flow records were read, so the dataset is unchanged. No flow-log files were found.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});

test('the output log summarises the files (not one line each) and lists failures, capped; Refresh says what it fetched', () => {
  const files: EnrichResult['files'] = [];
  for (let k = 0; k < 5721; k++) files.push({ name: `/s/${k}.log.gz`, status: 'loaded', records: 10, badLines: k === 7 ? 2 : 0 });
  for (let k = 0; k < 25; k++) files.push({ name: `/s/bad${k}.txt`, status: 'failed', records: 0, badLines: 0, error: 'not a flow-log file' });
  files.push({ name: '/s/copy.log.gz', status: 'duplicate', records: 0, badLines: 0 });
  const lines = fileLines(files);
  assert.equal(lines[0], '  5,747 files: 5,721 loaded (57,210 records), 1 loaded before, 25 failed');
  assert.equal(lines.filter((l) => l.startsWith('  file failed: ')).length, 20);
  assert.equal(lines[1], '  file failed: /s/bad0.txt: not a flow-log file');
  assert.ok(lines.includes('  … and 5 more (file failed)'));
  assert.ok(lines.includes('  bad lines in: /s/7.log.gz (2 of its lines rejected)'));
  assert.equal(lines.length, 1 + 20 + 1 + 1);
  const r: EnrichResult = { records: 57_210, badLines: 2, conversations: 900, seconds: 1, files, inventoryWarnings: [], warnings: [] };
  assert.equal(refreshMessage('logs', r), 'Flowlens: refreshed logs: fetched 5,721 new files (57,210 records), 1 already loaded, 25 failed; 900 conversations.');
  // interfaces logged by more than one flow log: the notification says what it means for the figures, the log names them
  assert.equal(doubleLogged(r), '');
  assert.equal(doubleLogged({ ...r, warnings: ['2 interfaces (eni-1, eni-2) are logged by more than one flow log: …'] }),
    ' Some interfaces are logged by more than one flow log; their traffic is counted once (see Show details).');
  assert.equal(refreshMessage('logs', { ...r, records: 0, files: files.filter((f) => f.status === 'duplicate') }), 'Flowlens: refreshed logs: no new files, 1 already loaded; 900 conversations.');
});

/** A custom format (16 fields, version 3) no known layout fits, as AWS writes it: no header line in a CloudWatch export. */
const CUSTOM_FORMAT = '${version} ${vpc-id} ${subnet-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${tcp-flags}';

function customLines(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = 1790000000 + 60 * i;
    lines.push(`3 vpc-0a1b2c3d subnet-0a1b2c3d eni-0a1b2c3d4e5f60718 10.0.1.${10 + (i % 5)} 10.0.2.20 ${40000 + i} 443 6 ${10 + i} ${1000 + i} ${t} ${t + 59} ACCEPT OK 19`);
  }
  return lines.join('\n') + '\n';
}

test('the folder step: files without a header in a format no layout fits ask for the log format, which the enrichment then reads them with', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-logformat-'));
  try {
    writeFileSync(join(dir, 'export-1.log'), customLines(7));
    writeFileSync(join(dir, 'export-2.log.gz'), gzipSync(customLines(5)));
    // headerless in AWS's default format: inferred, needs nothing
    writeFileSync(join(dir, 'default.log'), flowRecords(1, 4).lines.join('\n') + '\n');
    const scan = await scanFolder([dir]);
    assert.deepEqual(scan.needFormat, { files: 2, fieldCounts: [16], examples: ['export-1.log', 'export-2.log.gz'] });
    assert.equal(formatScan(scan), '3 flow-log files (2 text, 1 gzip), 0 inventory files; 2 files without a header line need the log format (16 fields: export-1.log, export-2.log.gz)');

    const deps = wizardDeps();
    deps.scanFolder = async (folder) => {
      const s = await scanFolder([folder]);
      return { flowLogs: s.flowLogs, inventory: s.inventory, summary: formatScan(s), ...(s.needFormat ? { needFormat: s.needFormat } : {}) };
    };
    const w = new EnrichWizard(deps);
    w.answer('folder');
    w.answer(dir);
    let step = await w.prompt();
    assert.ok(step.type === 'pick');
    assert.deepEqual(step.items.map((i) => i.id), ['enrich', 'logFormat', 'change']);
    assert.equal(step.activeId, 'logFormat');
    assert.equal(step.items[1].detail, 'For the 2 files without a header line: no known layout has 16 fields');
    assert.deepEqual(step.notes, ['Without their log format, the 2 files without a header line are not loaded (the others are).']);
    w.answer('logFormat');
    assert.equal(w.currentStep, 'logFormat');
    assert.equal((await w.prompt()).type, 'input');
    assert.throws(() => w.answer('${version} ${srcaddr} ${dstaddr}'), (e: Error) => e instanceof WizardInputError && e.message === 'this format has 3 fields, and the records without a header line have 16');
    assert.throws(() => w.answer('${version} ${no-such-field}'), (e: Error) => e instanceof WizardInputError && /no-such-field/.test(e.message));
    w.answer(`  ${CUSTOM_FORMAT} `);
    assert.equal(w.currentStep, 'folderScan');
    step = await w.prompt();
    assert.ok(step.type === 'pick');
    assert.equal(step.activeId, 'enrich');
    assert.equal(step.items[1].label, 'Change the log format…');
    assert.match(step.items[0].description ?? '', / · log format given \(16 fields\)$/);
    assert.deepEqual(step.notes, []);
    w.answer('enrich');
    await w.prompt();
    w.answer('new');
    await w.prompt();
    w.answer('local');
    const plan = w.plan();
    assert.deepEqual(plan, { source: 'folder', folder: dir, dataset: { mode: 'new', name: 'local' }, logFormat: CUSTOM_FORMAT });
    const request = requestFor(plan);
    assert.deepEqual(request.source, { kind: 'files', flowLogs: [dir], inventory: [dir], logFormat: CUSTOM_FORMAT });

    // the engine reads every file: the two with the format given, the default one as the one known layout it fits
    const db = await openDataset(join(dir, 'x.duckdb'));
    try {
      const s = await enrich(db, request as Parameters<typeof enrich>[1]);
      assert.deepEqual(s.files.map((f) => [f.name.replace(/^.*[\\/]/, ''), f.status, f.records]).sort(), [
        ['default.log', 'loaded', 4], ['export-1.log', 'loaded', 7], ['export-2.log.gz', 'loaded', 5],
      ]);
      assert.equal(Number(await db.value(`SELECT count(*) FROM flow_records WHERE vpc_id = 'vpc-0a1b2c3d' AND tcp_flags = 19`)), 12);
      assert.equal(s.files.find((f) => f.name.endsWith('default.log'))?.note,
        "no header line, and line 1 has 14 fields where the log format given has 16: read as AWS's default format, the only known layout it fits");
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the pre-scan infers a headerless layout from a DescribeFlowLogs response in the folder, as the enrichment does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-logformat-inv-'));
  try {
    writeFileSync(join(dir, 'export-1.log'), customLines(3));
    writeFileSync(join(dir, 'ec2.DescribeFlowLogs.json'), JSON.stringify({ FlowLogs: [{ FlowLogId: 'fl-0a1b2c3d4e5f60718', ResourceId: 'vpc-0a1b2c3d', LogDestinationType: 'cloud-watch-logs', LogGroupName: '/vpc/flows', LogFormat: CUSTOM_FORMAT }] }));
    const scan = await scanFolder([dir]);
    assert.equal(scan.inventory, 1);
    assert.equal(scan.needFormat, undefined);
    const db = await openDataset(join(dir, 'x.duckdb'));
    try {
      const s = await enrich(db, { source: { kind: 'files', flowLogs: [join(dir, 'export-1.log')], inventory: [join(dir, 'ec2.DescribeFlowLogs.json')] } });
      assert.deepEqual(s.files.map((f) => [f.status, f.records]), [['loaded', 3]]);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
