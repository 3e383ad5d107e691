import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResultRecord, resultName, resultRead, resultRecordText, spansWithout, unionAccounts, unreadParts, unreadSpan } from '../../src/core/aws/athenaWindows';
import { parseSourceSpec, type AthenaSource } from '../../src/core/aws/sources';

const src = parseSourceSpec('athena:flowlogs.vpc', '111111111111', 'us-east-1', ['us-east-1']) as AthenaSource;
const t = (hh: string) => Date.parse(`2026-09-01T${hh}:00:00Z`);

test("an Athena result's name says the table, account, region and time it read; another account's or region's is not the source's", () => {
  const name = resultName(src, { since: t('00'), until: t('01') }, 60);
  assert.equal(name, 'athena://AwsDataCatalog/flowlogs/vpc@111111111111/us-east-1/2026-09-01T00:00:00.000Z..2026-09-01T01:00:00.000Z/w60');
  assert.deepEqual(resultRead(src, name), { since: t('00'), until: t('01') });
  // named before account and region were: the source's
  assert.deepEqual(resultRead(src, 'athena://AwsDataCatalog/flowlogs/vpc@2026-09-01T00:00:00.000Z..2026-09-01T02:00:00.000Z/w3600'), { since: t('00'), until: t('02') });
  for (const other of [
    'athena://AwsDataCatalog/flowlogs/vpc@222222222222/us-east-1/2026-09-01T00:00:00.000Z..2026-09-01T01:00:00.000Z/w60',
    'athena://AwsDataCatalog/flowlogs/vpc@111111111111/eu-west-1/2026-09-01T00:00:00.000Z..2026-09-01T01:00:00.000Z/w60',
    'athena://AwsDataCatalog/flowlogs/vpc_old@111111111111/us-east-1/2026-09-01T00:00:00.000Z..2026-09-01T01:00:00.000Z/w60',
    'athena://AwsDataCatalog/flowlogs/vpc@111111111111/us-east-1/2026-09-01T01:00:00.000Z..2026-09-01T00:00:00.000Z/w60',
    'athena://AwsDataCatalog/flowlogs/vpc@w60',
  ]) assert.equal(resultRead(src, other), undefined, other);
});

test('what of a window is left to read: the held time at its ends cut off, the held time inside left out, nothing when all is held', () => {
  const w = { since: t('00'), until: t('06') };
  assert.deepEqual(unreadSpan(w, []), { span: w, held: [] });
  // a Refresh asking again from 00:00 after another table failed: this one holds 00:00-02:00 (read in two parts)
  assert.deepEqual(unreadSpan(w, [{ since: t('01'), until: t('02') }, { since: t('00'), until: t('01') }]), { span: { since: t('02'), until: t('06') }, held: [] });
  // held at the end, and a held part inside (a window appended over one read before)
  assert.deepEqual(unreadSpan(w, [{ since: t('05'), until: t('07') }, { since: t('02'), until: t('03') }]),
    { span: { since: t('00'), until: t('05') }, held: [{ since: t('02'), until: t('03') }] });
  // outside the window: nothing of it
  assert.deepEqual(unreadSpan(w, [{ since: t('07'), until: t('08') }]), { span: w, held: [] });
  assert.equal(unreadSpan(w, [{ since: t('00'), until: t('03') }, { since: t('03'), until: t('06') }]), undefined);
});

test('the parts of a window a query reads when it leaves held time out', () => {
  const w = { since: t('00'), until: t('06') };
  assert.deepEqual(spansWithout(w, []), [w]);
  assert.deepEqual(spansWithout(w, [{ since: t('02'), until: t('03') }, { since: t('03'), until: t('04') }, { since: t('07'), until: t('08') }]),
    [{ since: t('00'), until: t('02') }, { since: t('04'), until: t('06') }]);
  assert.deepEqual(spansWithout(w, [{ since: t('05'), until: t('07') }]), [{ since: t('00'), until: t('05') }]);
  assert.deepEqual(spansWithout(w, [{ since: t('00'), until: t('06') }]), []);
});

const [A, B, C] = ['111111111111', '222222222222', '333333333333'];

test("a result's name says the accounts it read, sorted (none: every account, as every name made before says); its name is read both ways", () => {
  const span = { since: t('00'), until: t('01') };
  const base = 'athena://AwsDataCatalog/flowlogs/vpc@111111111111/us-east-1/2026-09-01T00:00:00.000Z..2026-09-01T01:00:00.000Z/w60';
  assert.equal(resultName(src, span, 60, { only: [B, A] }), `${base}/accounts=${A},${B}`);
  assert.equal(resultName(src, span, 60, { except: [B, A, B] }), `${base}/accounts-except=${A},${B}`);
  assert.equal(resultName(src, span, 60), base);
  assert.deepEqual(resultRead(src, `${base}/accounts=${A},${B}`), { ...span, accounts: { only: [A, B] } });
  assert.deepEqual(resultRead(src, `${base}/accounts-except=${B}`), { ...span, accounts: { except: [B] } });
  // made before accounts were named: every account's
  assert.deepEqual(resultRead(src, base), span);
  assert.equal(resultRead(src, `${base}/accounts=`), undefined);
  assert.equal(resultRead(src, `${base}/regions=${A}`), undefined);
});

test('the accounts either of several sets holds', () => {
  assert.deepEqual(unionAccounts([{ only: [B] }, { only: [A, B] }]), { only: [A, B] });
  assert.deepEqual(unionAccounts([{ only: [B] }, { except: [A, B] }]), { except: [A] });
  assert.deepEqual(unionAccounts([{ except: [A, B] }, { except: [B, C] }]), { except: [B] });
  assert.equal(unionAccounts([{ only: [A] }, { except: [A] }]), undefined);
  assert.equal(unionAccounts([{ only: [A] }, undefined]), undefined);
});

test('what is left to read, account by account: a result of some accounts holds their time only, one of every account (or named before accounts were) every account\'s', () => {
  const w = { since: t('00'), until: t('06') };
  const every = (since: string, until: string) => ({ since: t(since), until: t(until) });
  const of = (since: string, until: string, ...only: string[]) => ({ since: t(since), until: t(until), accounts: { only } });
  // --accounts A, then --accounts A,B over the same window: B's time is read, A's is not
  assert.deepEqual(unreadParts(w, [of('00', '06', A)], [A, B]), { parts: [{ accounts: { only: [B] }, span: w, held: [] }], before: [{ ...w, accounts: { only: [A] } }] });
  // (before: the time of A's result was held for every account, B's included, and nothing was read)
  // then every account: every account but A and B, and nothing of theirs
  assert.deepEqual(unreadParts(w, [of('00', '06', A), of('00', '06', B)]),
    { parts: [{ accounts: { except: [A, B] }, span: w, held: [] }], before: [{ ...w, accounts: { only: [A, B] } }] });
  // every account first: A's time is held, whoever asks
  assert.deepEqual(unreadParts(w, [every('00', '06')], [A]), { parts: [], before: [w] });
  assert.deepEqual(unreadParts(w, [every('00', '06')]), { parts: [], before: [w] });
  // a result of every account but A holds every account's time but A's
  const butA = { ...w, accounts: { except: [A] } };
  assert.deepEqual(unreadParts(w, [butA]), { parts: [{ accounts: { only: [A] }, span: w, held: [] }], before: [{ ...w, accounts: { except: [A] } }] });
  assert.deepEqual(unreadParts(w, [butA], [B, C]), { parts: [], before: [w] });
  assert.deepEqual(unreadParts(w, [butA], [A, C]), { parts: [{ accounts: { only: [A] }, span: w, held: [] }], before: [{ ...w, accounts: { only: [C] } }] });
  // A's time held from 00:00 to 02:00: A is read from 02:00, B from 00:00 (two parts); every account's from 04:00 to 05:00 is left out of both
  assert.deepEqual(unreadParts(w, [of('00', '02', A), every('04', '05')], [B, A]), {
    parts: [{ accounts: { only: [A] }, span: { since: t('02'), until: t('06') }, held: [every('04', '05')] }, { accounts: { only: [B] }, span: w, held: [every('04', '05')] }],
    before: [{ ...every('00', '02'), accounts: { only: [A] } }, every('04', '05')],
  });
  // of every account, with A's time held inside the window: A is read but for it, every other account whole
  assert.deepEqual(unreadParts(w, [of('02', '03', A), of('05', '08', C)]), {
    parts: [{ accounts: { only: [A] }, span: w, held: [every('02', '03')] }, { accounts: { only: [C] }, span: every('00', '05'), held: [] },
      { accounts: { except: [A, C] }, span: w, held: [] }],
    before: [{ ...every('02', '03'), accounts: { only: [A] } }, { ...every('05', '06'), accounts: { only: [C] } }],
  });
  // results outside the window name no account of it
  assert.deepEqual(unreadParts(w, [of('07', '08', A)]), { parts: [{ span: w, held: [] }], before: [] });
  // the same time held for A by two results, and for B by one of them: said once per whose
  assert.deepEqual(unreadParts(w, [of('00', '03', A, B), of('03', '06', A)], [A, B]).before,
    [{ ...every('00', '03') }, { ...every('03', '06'), accounts: { only: [A] } }]);
});

test("a result's record of what it read: written and read back; one that is not a record is none (its name then says what it read)", () => {
  const read = [{ since: t('00'), until: t('01') }, { since: t('02'), until: t('03'), accounts: { only: ['111111111111'] } }, { since: t('00'), until: t('03'), accounts: { except: ['111111111111'] } }];
  const text = resultRecordText({ read });
  assert.equal(text, '{"read":[{"since":"2026-09-01T00:00:00.000Z","until":"2026-09-01T01:00:00.000Z"},'
    + '{"since":"2026-09-01T02:00:00.000Z","until":"2026-09-01T03:00:00.000Z","accounts":{"only":["111111111111"]}},'
    + '{"since":"2026-09-01T00:00:00.000Z","until":"2026-09-01T03:00:00.000Z","accounts":{"except":["111111111111"]}}]}');
  assert.deepEqual(parseResultRecord(text), { read });
  for (const bad of [null, '', 'not json', '{}', '{"read":[{"since":"x","until":"2026-09-01T01:00:00.000Z"}]}',
    '{"read":[{"since":"2026-09-01T01:00:00.000Z","until":"2026-09-01T00:00:00.000Z"}]}',
    '{"read":[{"since":"2026-09-01T00:00:00.000Z","until":"2026-09-01T01:00:00.000Z","accounts":{"only":[]}}]}']) {
    assert.equal(parseResultRecord(bad), undefined, String(bad));
  }
});

test("of a table with a region key: a result's name says the regions it read (not the signing region alone), its record says them, and what is left is worked out region by region", () => {
  const span = { since: t('00'), until: t('01') };
  const base = 'athena://AwsDataCatalog/flowlogs/vpc@111111111111/us-east-1/2026-09-01T00:00:00.000Z..2026-09-01T01:00:00.000Z/w60';
  assert.equal(resultName(src, span, 60, undefined, ['us-east-1']), base);
  assert.equal(resultName(src, span, 60, { only: [A] }, ['us-east-1', 'eu-west-1']), `${base}/regions=eu-west-1,us-east-1/accounts=${A}`);
  assert.deepEqual(resultRead(src, `${base}/regions=eu-west-1/accounts=${A}`), { ...span, accounts: { only: [A] }, regions: ['eu-west-1'] });
  const read = [{ ...span, regions: ['eu-west-1'] }];
  assert.deepEqual(parseResultRecord(resultRecordText({ read })), { read });
  assert.equal(parseResultRecord('{"read":[{"since":"2026-09-01T00:00:00.000Z","until":"2026-09-01T01:00:00.000Z","regions":[]}]}'), undefined);

  const w = { since: t('00'), until: t('06') };
  const inRegion = (since: string, until: string, ...regions: string[]) => ({ since: t(since), until: t(until), regions });
  // us-east-1 read, then both: eu-west-1 alone (before: nothing, us-east-1's result held every region's time)
  assert.deepEqual(unreadParts(w, [inRegion('00', '06', 'us-east-1')], undefined, ['us-east-1', 'eu-west-1']),
    { parts: [{ regions: ['eu-west-1'], span: w, held: [] }], before: [{ ...w, regions: ['us-east-1'] }] });
  // each region's time held alike: no part by region, said of every region
  assert.deepEqual(unreadParts(w, [inRegion('00', '03', 'us-east-1'), inRegion('00', '03', 'eu-west-1')], undefined, ['us-east-1', 'eu-west-1']),
    { parts: [{ span: { since: t('03'), until: t('06') }, held: [] }], before: [{ since: t('00'), until: t('03') }] });
  // a result of every region (no region key) holds each
  assert.deepEqual(unreadParts(w, [{ since: t('00'), until: t('06') }, inRegion('00', '06', 'eu-west-1')], undefined, ['us-east-1', 'eu-west-1']), { parts: [], before: [w] });
  // regions and accounts: eu-west-1's time held for A, us-east-1's for every account from 02:00
  assert.deepEqual(unreadParts(w, [{ ...inRegion('00', '06', 'eu-west-1'), accounts: { only: [A] } }, inRegion('02', '06', 'us-east-1')], [A, B], ['us-east-1', 'eu-west-1']), {
    parts: [{ accounts: { only: [A, B] }, span: { since: t('00'), until: t('02') }, held: [], regions: ['us-east-1'] }, { accounts: { only: [B] }, span: w, held: [], regions: ['eu-west-1'] }],
    before: [{ ...w, accounts: { only: [A] }, regions: ['eu-west-1'] }, { since: t('02'), until: t('06'), regions: ['us-east-1'] }],
  });
});
