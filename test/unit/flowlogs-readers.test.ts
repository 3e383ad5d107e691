import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ingestBuffer, ingestCloudWatchEvents, ingestFiles } from '../../src/core/flowlogs/ingest';
import { FLOW_FIELDS, formatString } from '../../src/core/model/flowFields';
import type { Db } from '../../src/core/store/db';
import {
  CUSTOM_V5, DEFAULT_V2, ECS_V7, REJECT_V8, SAMPLES, expectedRows, fieldsOf, headerOf, otherColumnsNull, storedRows, textOf, withDb, writeParquet,
  type Sample,
} from './flowlogs-fixtures';

async function assertStored(db: Db, name: string, sample: Sample, reader: string): Promise<void> {
  const fields = fieldsOf(sample);
  assert.deepEqual(await storedRows(db, name, fields), expectedRows(fields, sample.lines), `${sample.title} via ${reader}`);
  assert.deepEqual(await otherColumnsNull(db, name, fields), [], `${sample.title} via ${reader}: columns outside the format stay NULL`);
  const file = await db.one<{ reader: string; records: bigint; bad_lines: bigint; log_format: string }>(
    `SELECT reader, records, bad_lines, log_format FROM ingest_files WHERE name = $name`, { name },
  );
  assert.equal(file?.reader, reader);
  assert.equal(file?.records, BigInt(sample.lines.length));
  assert.equal(file?.bad_lines, 0n);
  assert.equal(file?.log_format, formatString(fields));
}

test('fixtures hold as many tokens as their formats have fields', () => {
  for (const s of SAMPLES) for (const line of s.lines) assert.equal(line.split(' ').length, fieldsOf(s).length, `${s.title}: ${line}`);
});

test('text with a header line: every sample, format taken from the header', async () => {
  await withDb(async (db, dir) => {
    for (const s of SAMPLES) {
      const path = join(dir, `${s.title.replace(/\W+/g, '_')}.log`);
      await writeFile(path, textOf(s, true));
      const [r] = await ingestFiles(db, [path]);
      assert.equal(r.status, 'loaded', r.error);
      assert.equal(r.records, s.lines.length);
      await assertStored(db, path, s, 'text');
    }
  });
});

test('text without a header: default format detected by its 14 fields, custom formats from logFormat', async () => {
  await withDb(async (db, dir) => {
    const plain = join(dir, 'default.log');
    await writeFile(plain, textOf(DEFAULT_V2, false));
    const [r] = await ingestFiles(db, [plain]);
    assert.equal(r.status, 'loaded', r.error);
    await assertStored(db, plain, DEFAULT_V2, 'text');
    for (const s of [CUSTOM_V5, ECS_V7, REJECT_V8]) {
      const path = join(dir, `${s.title.replace(/\W+/g, '_')}.txt`);
      await writeFile(path, textOf(s, false));
      const [x] = await ingestFiles(db, [path], { logFormat: s.format });
      assert.equal(x.status, 'loaded', x.error);
      await assertStored(db, path, s, 'text');
    }
  });
});

test('gzip: by .gz name and by magic bytes alone, with and without header', async () => {
  await withDb(async (db, dir) => {
    const a = join(dir, '111111111111_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20231114T2215Z_0a1b2c3d.log.gz');
    await writeFile(a, gzipSync(textOf(CUSTOM_V5, true)));
    const b = join(dir, 'no-extension');
    await writeFile(b, gzipSync(textOf(DEFAULT_V2, false)));
    // larger than the head that is sniffed: the header must still be found in a partial gzip stream
    let seed = 7;
    const rnd = (m: number) => (seed = (seed * 48271) % 2147483647) % m;
    const bigSample: Sample = {
      title: 'many default records',
      format: DEFAULT_V2.format,
      lines: Array.from({ length: 6000 }, (_, i) =>
        `2 111111111111 eni-0a1b2c3d4e5f6${String(rnd(10000)).padStart(4, '0')} 10.0.${rnd(256)}.${rnd(256)} 192.0.2.${rnd(256)} ${rnd(65536)} 443 6 ${rnd(900) + 1} ${rnd(900000) + 40} ${1700000000 + i} ${1700000060 + i} ACCEPT OK`),
    };
    const c = join(dir, 'big.log.gz');
    const cBytes = gzipSync(textOf(bigSample, true));
    assert.ok(cBytes.length > 64 * 1024, `compressed fixture is ${cBytes.length} bytes`);
    await writeFile(c, cBytes);
    const reports = await ingestFiles(db, [a, b, c]);
    assert.deepEqual(reports.map((r) => [r.status, r.badLines]), [['loaded', 0], ['loaded', 0], ['loaded', 0]], JSON.stringify(reports));
    await assertStored(db, a, CUSTOM_V5, 'gzip');
    await assertStored(db, b, DEFAULT_V2, 'gzip');
    await assertStored(db, c, bigSample, 'gzip');
  });
});

test('S3 Parquet: AWS column names and INT32/INT64/STRING types, every sample', async () => {
  await withDb(async (db, dir) => {
    for (const s of SAMPLES) {
      const path = join(dir, `${s.title.replace(/\W+/g, '_')}.log.parquet`);
      await writeParquet(db, s, path);
      const types = await db.all<{ name: string; type: string }>(`SELECT name, type FROM parquet_schema('${path}') WHERE name IN ('version', 'packets', 'srcaddr')`);
      for (const t of types) assert.equal(t.type, { version: 'INT32', packets: 'INT64', srcaddr: 'BYTE_ARRAY' }[t.name]);
      const [r] = await ingestFiles(db, [path]);
      assert.equal(r.status, 'loaded', r.error);
      await assertStored(db, path, s, 'parquet');
    }
  });
});

test('every catalogued field (versions 2-8) loads through text and Parquet', async () => {
  await withDb(async (db, dir) => {
    const fields = FLOW_FIELDS;
    const value = (f: (typeof fields)[number], row: number) =>
      f.type === 'VARCHAR' ? (f.name.endsWith('addr') ? `2001:DB8::${row + 1}` : `${f.name}-v${row}`)
        : f.name === 'start' || f.name === 'end' ? String(1700000000 + row * 60 + (f.name === 'end' ? 59 : 0)) // plausible times
        : String(100 + row * 7 + fields.indexOf(f));
    const all: Sample = {
      title: 'all fields',
      format: formatString(fields),
      lines: [0, 1].map((row) => fields.map((f) => value(f, row)).join(' ')),
    };
    const text = join(dir, 'all.log');
    await writeFile(text, textOf(all, true));
    const pq = join(dir, 'all.parquet');
    await writeParquet(db, all, pq);
    const reports = await ingestFiles(db, [text, pq]);
    assert.deepEqual(reports.map((r) => r.status), ['loaded', 'loaded'], JSON.stringify(reports));
    await assertStored(db, text, all, 'text');
    await assertStored(db, pq, all, 'parquet');
  });
});

test('CloudWatch Logs: API events, FilterLogEvents JSON, subscription payload (gzipped), S3 objects by buffer', async () => {
  await withDb(async (db, dir) => {
    const events = DEFAULT_V2.lines.map((message, i) => ({
      message, timestamp: 1700000000000 + i, ingestionTime: 1700000300000, logStreamName: 'eni-0a1b2c3d4e5f60001-all', eventId: String(1000 + i),
    }));
    const api = await ingestCloudWatchEvents(db, 'cwl://flow-logs/eni-0a1b2c3d4e5f60001-all', events);
    assert.equal(api.status, 'loaded', api.error);
    await assertStored(db, 'cwl://flow-logs/eni-0a1b2c3d4e5f60001-all', DEFAULT_V2, 'cloudwatch');

    const v5events = CUSTOM_V5.lines.map((message, i) => ({ message, timestamp: 1700000000000 + i }));
    const api5 = await ingestCloudWatchEvents(db, 'cwl://flow-logs/v5', v5events, { logFormat: CUSTOM_V5.format });
    assert.equal(api5.status, 'loaded', api5.error);
    await assertStored(db, 'cwl://flow-logs/v5', CUSTOM_V5, 'cloudwatch');

    const filter = join(dir, 'filter-log-events.json');
    await writeFile(filter, JSON.stringify({ events: ECS_V7.lines.map((message, i) => ({ logStreamName: 'eni-x', timestamp: i, message, ingestionTime: i, eventId: String(i) })), searchedLogStreams: [] }, null, 2));
    const sub = join(dir, 'subscription.json.gz');
    const payload = {
      messageType: 'DATA_MESSAGE', owner: '111111111111', logGroup: 'flow-logs', logStream: 'eni-0a1b2c3d4e5f60009-all', subscriptionFilters: ['to-firehose'],
      logEvents: REJECT_V8.lines.map((message, i) => ({ id: String(i), timestamp: 1700000000000, message })),
    };
    await writeFile(sub, gzipSync(JSON.stringify(payload)));
    const [f] = await ingestFiles(db, [filter], { logFormat: ECS_V7.format });
    assert.equal(f.status, 'loaded', f.error);
    await assertStored(db, filter, ECS_V7, 'cloudwatch');
    const [s] = await ingestFiles(db, [sub], { logFormat: REJECT_V8.format });
    assert.equal(s.status, 'loaded', s.error);
    await assertStored(db, sub, REJECT_V8, 'cloudwatch');

    // Firehose delivery of subscription payloads to S3: gzip members back to back, JSON documents back to back
    const firehose = Buffer.concat([
      gzipSync(JSON.stringify({ ...payload, logEvents: payload.logEvents.slice(0, 1) })),
      gzipSync(JSON.stringify({ messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }] })),
      gzipSync(JSON.stringify({ ...payload, logEvents: payload.logEvents.slice(1) }) + '\n'),
    ]);
    const fh = await ingestBuffer(db, 's3://bucket/firehose/2023/11/14/22/stream-1-2023-11-14-22-15-00-0a1b', firehose, { logFormat: REJECT_V8.format });
    assert.equal(fh.status, 'loaded', fh.error);
    await assertStored(db, 's3://bucket/firehose/2023/11/14/22/stream-1-2023-11-14-22-15-00-0a1b', REJECT_V8, 'cloudwatch');

    // S3 objects handed over as bytes: text, gzip, parquet told apart by content
    const pq = join(dir, 'obj.parquet');
    await writeParquet(db, CUSTOM_V5, pq);
    const objects: [string, Uint8Array, Sample, string][] = [
      ['s3://bucket/AWSLogs/111111111111/vpcflowlogs/us-east-1/2023/11/14/a.log', Buffer.from(textOf(ECS_V7, true)), ECS_V7, 'text'],
      ['s3://bucket/AWSLogs/111111111111/vpcflowlogs/us-east-1/2023/11/14/b.log.gz', gzipSync(textOf(DEFAULT_V2, true)), DEFAULT_V2, 'gzip'],
      ['s3://bucket/AWSLogs/111111111111/vpcflowlogs/us-east-1/2023/11/14/c.log.parquet', await readFile(pq), CUSTOM_V5, 'parquet'],
    ];
    for (const [name, data, sample, reader] of objects) {
      const r = await ingestBuffer(db, name, data);
      assert.equal(r.status, 'loaded', r.error);
      await assertStored(db, name, sample, reader);
    }
  });
});

test('Windows line ends and a missing final line break are read as AWS writes them otherwise', async () => {
  await withDb(async (db, dir) => {
    const path = join(dir, 'crlf.log');
    await writeFile(path, textOf(DEFAULT_V2, true).trimEnd().split('\n').join('\r\n'));
    const [r] = await ingestFiles(db, [path]);
    assert.equal(r.status, 'loaded', r.error);
    await assertStored(db, path, DEFAULT_V2, 'text');
  });
});

test('IPv6 addresses are stored lower-case; NODATA/SKIPDATA keep NULL addresses and ports', async () => {
  await withDb(async (db, dir) => {
    const path = join(dir, 'v2.log');
    await writeFile(path, textOf(DEFAULT_V2, true));
    await ingestFiles(db, [path]);
    const v6 = await db.all(`SELECT srcaddr, dstaddr FROM flow_records WHERE srcaddr LIKE '%:%'`);
    assert.deepEqual(v6, [{ srcaddr: '2001:db8:1234:a100:8d6e:3477:df66:f105', dstaddr: '2001:db8:1234:a102::2' }]);
    const nodata = await db.all(`SELECT log_status, srcaddr, dstaddr, srcport, dstport, action, start FROM flow_records WHERE log_status <> 'OK' ORDER BY log_status`);
    assert.deepEqual(nodata, [
      { log_status: 'NODATA', srcaddr: null, dstaddr: null, srcport: null, dstport: null, action: null, start: 1700000060n },
      { log_status: 'SKIPDATA', srcaddr: null, dstaddr: null, srcport: null, dstport: null, action: null, start: 1700000060n },
    ]);
  });
});

test('a folder is read recursively; files that are not flow logs are named in the report', async () => {
  await withDb(async (db, dir) => {
    const root = join(dir, 'logs');
    await mkdir(join(root, '2023', '11', '14'), { recursive: true });
    await writeFile(join(root, '2023', '11', '14', 'a.log.gz'), gzipSync(textOf(DEFAULT_V2, true)));
    await writeFile(join(root, '2023', '11', '14', 'b.log'), textOf(REJECT_V8, true));
    await writeFile(join(root, 'README.md'), '# Flow logs of the shop account\n\nDownloaded from S3.\n');
    await writeFile(join(root, 'describe-flow-logs.json'), JSON.stringify({ FlowLogs: [{ FlowLogId: 'fl-0123456789abcdef0' }] }));
    await writeFile(join(root, 'diagram.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
    await writeFile(join(root, '.DS_Store'), Buffer.from([0, 0, 0, 1]));
    const reports = await ingestFiles(db, [root]);
    const byName = Object.fromEntries(reports.map((r) => [r.name.slice(root.length + 1), r]));
    assert.deepEqual(Object.keys(byName).sort(), ['2023/11/14/a.log.gz', '2023/11/14/b.log', 'README.md', 'describe-flow-logs.json', 'diagram.png']);
    assert.equal(byName['2023/11/14/a.log.gz'].status, 'loaded');
    assert.equal(byName['2023/11/14/b.log'].status, 'loaded');
    for (const other of ['README.md', 'describe-flow-logs.json', 'diagram.png']) {
      assert.equal(byName[other].status, 'failed');
      assert.match(byName[other].error ?? '', /^not a flow-log file: /);
      assert.ok(byName[other].error?.includes(other), byName[other].error);
    }
    assert.equal(await db.value(`SELECT count(*) FROM flow_records`), BigInt(DEFAULT_V2.lines.length + REJECT_V8.lines.length));
    assert.equal(headerOf(REJECT_V8).split(' ').length, 10);
  });
});
