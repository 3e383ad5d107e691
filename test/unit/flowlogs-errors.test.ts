import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { IngestCancelledError, ingestBuffer, ingestCloudWatchEvents, ingestFiles } from '../../src/core/flowlogs/ingest';
import { CUSTOM_V5, DEFAULT_V2, REJECT_V8, headerOf, textOf, withDb, writeParquet } from './flowlogs-fixtures';

async function counts(db: Parameters<Parameters<typeof withDb>[0]>[0]) {
  return {
    files: Number(await db.value<bigint>(`SELECT count(*) FROM ingest_files`)),
    records: Number(await db.value<bigint>(`SELECT count(*) FROM flow_records`)),
    errors: Number(await db.value<bigint>(`SELECT count(*) FROM ingest_errors`)),
  };
}

test('malformed lines are counted and reported with line numbers (header included) while good lines load', async () => {
  await withDb(async (db, dir) => {
    const good = DEFAULT_V2.lines;
    const lines = [
      headerOf(DEFAULT_V2), // 1
      good[0], // 2
      '2 111111111111 eni-0a1b2c3d4e5f60001 198.51.100.10 10.0.1.5 49152 443 6 10', // 3: 9 fields
      good[1], // 4
      '2 111111111111 eni-0a1b2c3d4e5f60001 198.51.100.10 10.0.1.5 https 443 6 10 5200 1700000000 1700000060 ACCEPT OK', // 5: port not numeric
      '', // 6: an empty line is no record: a bad line
      good[2], // 7
      good[0] + ' extra', // 8: 15 fields
      good[3], // 9
      '2 111111111111 eni-0a1b2c3d4e5f60001 198.51.100.10 10.0.1.5 1 2 3 4 5 6 7 8 9 10', // 10: 19 fields
    ];
    const path = join(dir, 'mixed.log');
    await writeFile(path, lines.join('\n') + '\n');
    const [r] = await ingestFiles(db, [path], { maxReportedErrors: 4 });
    assert.equal(r.status, 'loaded', r.error);
    assert.equal(r.records, 4);
    assert.equal(r.badLines, 5);
    assert.deepEqual(r.errors.map((e) => e.line), [3, 5, 6, 8]);
    assert.match(r.errors[0].message, /9 fields, but the log format has 14/);
    assert.match(r.errors[1].message, /srcport.*"https".*not a number/);
    assert.equal(r.errors[2].message, 'an empty line');
    assert.match(r.errors[3].message, /15 fields/);
    assert.equal(r.errors[1].text, lines[4]);
    const stored = await db.all(`SELECT name, line, message, text FROM ingest_errors ORDER BY line`);
    assert.deepEqual(stored.map((e) => [e.name, Number(e.line)]), [[path, 3], [path, 5], [path, 6], [path, 8]]);
    assert.equal(await db.value(`SELECT bad_lines FROM ingest_files`), 5n);
    assert.equal(await db.value(`SELECT count(*) FROM flow_records`), 4n);

    // the same in a gzip without header, and in CloudWatch events (line = event number)
    const gz = join(dir, 'mixed.log.gz');
    await writeFile(gz, gzipSync(lines.slice(1).join('\n')));
    const [g] = await ingestFiles(db, [gz]);
    assert.deepEqual([g.status, g.records, g.badLines, g.errors.map((e) => e.line)], ['loaded', 4, 5, [2, 4, 5, 7, 9]]);
    const ev = await ingestCloudWatchEvents(db, 'cwl://g/s', lines.slice(1).filter(Boolean).map((message) => ({ message })));
    assert.deepEqual([ev.status, ev.records, ev.badLines, ev.errors.map((e) => e.line)], ['loaded', 4, 4, [2, 4, 6, 8]]);
  });
});

test('a truncated gzip and an unreadable file are reported by name; the rest of the batch loads, nothing of them stays', async () => {
  await withDb(async (db, dir) => {
    const first = join(dir, 'a.log');
    await writeFile(first, textOf(DEFAULT_V2, true));
    // large enough that the cut falls well inside the deflate stream, after whole lines
    const many = Array.from({ length: 4000 }, (_, i) => DEFAULT_V2.lines[i % 2].replace('49152', String(10000 + i)).replace('51000', String(20000 + i)));
    const full = gzipSync(headerOf(DEFAULT_V2) + '\n' + many.join('\n') + '\n');
    const truncated = join(dir, 'b.log.gz');
    await writeFile(truncated, full.subarray(0, Math.floor(full.length * 0.6)));
    const broken = join(dir, 'c.log');
    await symlink(join(dir, 'gone.log'), broken); // a dangling link: exists in the folder, cannot be read
    const missing = join(dir, 'missing.log.gz');
    const last = join(dir, 'd.log');
    await writeFile(last, textOf(REJECT_V8, true));

    const reports = await ingestFiles(db, [dir, missing]);
    const by = Object.fromEntries(reports.map((r) => [r.name, r]));
    assert.deepEqual(reports.map((r) => r.name), [first, truncated, broken, last, missing]);
    assert.equal(by[first].status, 'loaded');
    assert.equal(by[last].status, 'loaded');
    for (const bad of [truncated, broken, missing]) {
      assert.equal(by[bad].status, 'failed');
      assert.ok(by[bad].error?.includes(bad), by[bad].error);
    }
    assert.match(by[truncated].error ?? '', /truncated/);
    assert.deepEqual(await counts(db), { files: 2, records: DEFAULT_V2.lines.length + REJECT_V8.lines.length, errors: 0 });
    // a corrupt S3 object handed over as bytes fails the same way
    const obj = await ingestBuffer(db, 's3://bucket/key.log.gz', full.subarray(0, full.length - 9));
    assert.equal(obj.status, 'failed');
    assert.match(obj.error ?? '', /s3:\/\/bucket\/key\.log\.gz: the gzip data is (truncated|corrupt)/);
    assert.deepEqual(await counts(db), { files: 2, records: DEFAULT_V2.lines.length + REJECT_V8.lines.length, errors: 0 });
    // a Parquet object cut short
    const pq = join(dir, 'p.parquet');
    await writeParquet(db, DEFAULT_V2, pq);
    const cut = (await readFile(pq)).subarray(0, 200);
    const p = await ingestBuffer(db, 's3://bucket/cut.log.parquet', cut);
    assert.equal(p.status, 'failed');
    assert.match(p.error ?? '', /^cannot read Parquet file s3:\/\/bucket\/cut\.log\.parquet: /);
    assert.deepEqual(await counts(db), { files: 2, records: DEFAULT_V2.lines.length + REJECT_V8.lines.length, errors: 0 });
  });
});

test('loading the same content again under the same name adds nothing; changed content loads', async () => {
  await withDb(async (db, dir) => {
    const path = join(dir, 'a.log.gz');
    await writeFile(path, gzipSync(textOf(DEFAULT_V2, true) + 'bad line\n'));
    const [r1] = await ingestFiles(db, [path]);
    assert.equal(r1.status, 'loaded');
    const before = await counts(db);
    assert.deepEqual(before, { files: 1, records: DEFAULT_V2.lines.length, errors: 1 });
    const [r2] = await ingestFiles(db, [path]);
    const r3 = await ingestBuffer(db, path, gzipSync(textOf(DEFAULT_V2, true) + 'bad line\n'));
    assert.equal(r2.status, 'duplicate');
    assert.equal(r3.status, 'duplicate');
    assert.deepEqual(await counts(db), before);
    const events = REJECT_V8.lines.map((message) => ({ message }));
    assert.equal((await ingestCloudWatchEvents(db, 'cwl://g/s', events, { logFormat: REJECT_V8.format })).status, 'loaded');
    assert.equal((await ingestCloudWatchEvents(db, 'cwl://g/s', events, { logFormat: REJECT_V8.format })).status, 'duplicate');
    await appendFile(join(dir, 'plain.log'), textOf(DEFAULT_V2, true));
    await ingestFiles(db, [join(dir, 'plain.log')]);
    assert.deepEqual(await counts(db), { files: 3, records: 2 * DEFAULT_V2.lines.length + REJECT_V8.lines.length, errors: 1 });
  });
});

test('a wrong or missing log format is a clear error naming the file; nothing is stored', async () => {
  await withDb(async (db, dir) => {
    const v5 = join(dir, 'v5.log');
    await writeFile(v5, textOf(CUSTOM_V5, false));
    const [noFormat] = await ingestFiles(db, [v5]);
    assert.equal(noFormat.status, 'failed');
    assert.match(noFormat.error ?? '', /v5\.log: no header line and no log format given, and line 1 has 29 fields where the default format has 14/);

    const [wrongCount] = await ingestFiles(db, [v5], { logFormat: DEFAULT_V2.format });
    assert.equal(wrongCount.status, 'failed');
    assert.match(wrongCount.error ?? '', /v5\.log: line 1 has 29 fields, but the log format "\$\{version\} .*" has 14/);

    // same number of fields, wrong order: every line fails its types
    const shuffled = CUSTOM_V5.format.replace('${srcport}', '${tmp}').replace('${vpc-id}', '${srcport}').replace('${tmp}', '${vpc-id}');
    const [wrongOrder] = await ingestFiles(db, [v5], { logFormat: shuffled });
    assert.equal(wrongOrder.status, 'failed');
    assert.match(wrongOrder.error ?? '', /v5\.log: none of its 5 lines is a flow record \(line 1: srcport: "vpc-0aa11bb22cc33dd44" is not a number\); read with the log format "/);

    const [unknown] = await ingestFiles(db, [v5], { logFormat: '${version} ${no-such-field}' });
    assert.match(unknown.error ?? '', /v5\.log: unknown flow-log field "no-such-field"/);

    const cw = await ingestCloudWatchEvents(db, 'cwl://g/eni-1', CUSTOM_V5.lines.map((message) => ({ message })));
    assert.equal(cw.status, 'failed');
    assert.match(cw.error ?? '', /cwl:\/\/g\/eni-1: no header line and no log format given/);
    assert.deepEqual(await counts(db), { files: 0, records: 0, errors: 0 });

    const future = join(dir, 'future.log');
    await writeFile(future, headerOf(DEFAULT_V2) + ' flow-color\n' + DEFAULT_V2.lines[0] + ' blue\n');
    const [f] = await ingestFiles(db, [future]);
    assert.equal(f.status, 'failed');
    assert.equal(f.error, `${future}: the header line names field Flowlens does not know: flow-color`);

    // a header line describes its own file, whatever format the caller assumed
    const withHeader = join(dir, 'v5h.log');
    await writeFile(withHeader, textOf(CUSTOM_V5, true));
    const [h] = await ingestFiles(db, [withHeader], { logFormat: DEFAULT_V2.format });
    assert.equal(h.status, 'loaded', h.error);
    assert.equal(h.records, CUSTOM_V5.lines.length);
  });
});

test('empty objects and header-only files load as zero records, and only once', async () => {
  await withDb(async (db, dir) => {
    const empty = join(dir, 'empty.log.gz');
    await writeFile(empty, gzipSync(''));
    const headerOnly = join(dir, 'header.log');
    await writeFile(headerOnly, headerOf(DEFAULT_V2) + '\n');
    const reports = await ingestFiles(db, [empty, headerOnly, empty]);
    assert.deepEqual(reports.map((r) => [r.status, r.records, r.badLines]), [['loaded', 0, 0], ['loaded', 0, 0], ['duplicate', 0, 0]]);
    assert.equal((await ingestCloudWatchEvents(db, 'cwl://g/empty', [])).status, 'loaded');
  });
});

/**
 * The statement that reads a file's records: it stores them (a dataset that keeps records, or a staging table),
 * or counts and checks them where they are (a local file of a dataset that keeps none).
 */
const LOAD_STATEMENT = /^INSERT INTO (flow_records|flow_stage_)|^SELECT file_id, count\(\*\) AS n/;

test('cancellation: before a batch nothing loads; during a file its statement is interrupted and it rolls back', async () => {
  await withDb(async (db, dir) => {
    const small = join(dir, 'a.log');
    await writeFile(small, textOf(DEFAULT_V2, true));
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(ingestFiles(db, [small], { signal: pre.signal }), IngestCancelledError);
    assert.equal((await counts(db)).files, 0);

    await ingestFiles(db, [small]);

    // a file whose load takes a while (150,000 records, about 15 MB)
    const big = join(dir, 'b.log');
    const block = Array.from({ length: 10000 }, (_, i) => DEFAULT_V2.lines[0].replace('49152', String(1024 + i))).join('\n') + '\n';
    await writeFile(big, headerOf(DEFAULT_V2) + '\n');
    for (let i = 0; i < 15; i++) await appendFile(big, block);
    // abort 30 ms into the statement that loads the records (the real DuckDB statement runs; the
    // wrapper only tells the test when it starts)
    const ctl = new AbortController();
    const value = db.value.bind(db);
    const exec = db.exec.bind(db);
    const all = db.all.bind(db);
    const watch = (sql: string) => {
      if (LOAD_STATEMENT.test(sql)) setTimeout(() => ctl.abort(), 30);
    };
    db.all = (async (sql: string, params?: Parameters<typeof all>[1]) => {
      watch(sql);
      return all(sql, params);
    }) as typeof db.all;
    db.value = (async (sql: string, params?: Parameters<typeof value>[1]) => {
      watch(sql);
      return value(sql, params);
    }) as typeof db.value;
    db.exec = (async (sql: string, params?: Parameters<typeof exec>[1]) => {
      watch(sql);
      return exec(sql, params);
    }) as typeof db.exec;
    // the big file's statement is the one interrupted; the small one, loaded before and unchanged, is known unread
    const err = await ingestFiles(db, [big, small], { signal: ctl.signal }).then(() => null, (e: unknown) => e);
    db.value = value;
    db.exec = exec;
    db.all = all;
    assert.ok(err instanceof IngestCancelledError, `expected cancellation, got ${String(err)}`);
    assert.match(String(err.cause), /Interrupted/, 'the running statement was interrupted, not left to finish');
    assert.deepEqual(err.reports.map((r) => [r.name, r.status]), [[small, 'duplicate']]);
    assert.deepEqual(await counts(db), { files: 1, records: DEFAULT_V2.lines.length, errors: 0 });
    // the connection is usable and the file loads later
    const [again] = await ingestFiles(db, [big]);
    assert.equal(again.status, 'loaded');
    assert.equal(again.records, 150000);
  });
});

test('concurrent ingest calls on one dataset take turns instead of colliding in one transaction', async () => {
  await withDb(async (db, dir) => {
    const paths = await Promise.all(
      [DEFAULT_V2, REJECT_V8, CUSTOM_V5].map(async (s, i) => {
        const p = join(dir, `c${i}.log`);
        await writeFile(p, textOf(s, true));
        return p;
      }),
    );
    const results = await Promise.all([
      ingestFiles(db, [paths[0]]),
      ingestFiles(db, [paths[1]]),
      ingestCloudWatchEvents(db, 'cwl://g/s', DEFAULT_V2.lines.map((message) => ({ message }))),
      ingestFiles(db, [paths[2]]),
    ]);
    assert.deepEqual(results.flat().map((r) => r.status), ['loaded', 'loaded', 'loaded', 'loaded'], JSON.stringify(results));
    assert.equal((await counts(db)).records, 2 * DEFAULT_V2.lines.length + REJECT_V8.lines.length + CUSTOM_V5.lines.length);
  });
});

test("cancelling one caller does not interrupt another caller's load on the same dataset", async () => {
  await withDb(async (db, dir) => {
    const big = join(dir, 'big.log');
    const block = Array.from({ length: 10000 }, (_, i) => DEFAULT_V2.lines[1].replace('51000', String(1024 + i))).join('\n') + '\n';
    await writeFile(big, headerOf(DEFAULT_V2) + '\n');
    for (let i = 0; i < 10; i++) await appendFile(big, block);
    const small = join(dir, 'small.log');
    await writeFile(small, textOf(REJECT_V8, true));
    // the second caller starts (and is cancelled 50 ms later) while the first one's load statement runs
    const ctl = new AbortController();
    const exec = db.exec.bind(db);
    const all = db.all.bind(db);
    let second: Promise<unknown> | undefined;
    const watch = (sql: string) => {
      if (LOAD_STATEMENT.test(sql) && !second) {
        second = ingestFiles(db, [small], { signal: ctl.signal }).then(() => null, (e: unknown) => e);
        setTimeout(() => ctl.abort(), 50);
      }
    };
    db.exec = (async (sql: string, params?: Parameters<typeof exec>[1]) => {
      watch(sql);
      return exec(sql, params);
    }) as typeof db.exec;
    db.all = (async (sql: string, params?: Parameters<typeof all>[1]) => {
      watch(sql);
      return all(sql, params);
    }) as typeof db.all;
    const first = await ingestFiles(db, [big]);
    const cancelled = await second;
    db.exec = exec;
    db.all = all;
    assert.ok(second, 'the load statement ran (and started the second caller)');
    assert.deepEqual(first.map((r) => [r.status, r.records, r.error]), [['loaded', 100000, undefined]]);
    assert.ok(cancelled instanceof IngestCancelledError, String(cancelled));
    assert.deepEqual(await counts(db), { files: 1, records: 100000, errors: 0 });
  });
});
