// The worker's gate: read-only queries together, the others alone, first come first served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestGate, type GateKind } from '../../src/host/requestGate';

/** A request that holds the gate until released; `log` records when it starts and ends. */
function hold(gate: RequestGate, kind: GateKind, name: string, log: string[]) {
  let release!: () => void;
  const done = gate.run(kind, async () => {
    log.push(`${name} starts`);
    await new Promise<void>((r) => (release = r));
    log.push(`${name} ends`);
  });
  return { done, release: () => release() };
}

const tick = () => new Promise((r) => setImmediate(r));

test('shared requests run together; an exclusive one waits for them, and those after it wait for it', async () => {
  const gate = new RequestGate();
  const log: string[] = [];
  const a = hold(gate, 'shared', 'a', log);
  const b = hold(gate, 'shared', 'b', log);
  const w = hold(gate, 'exclusive', 'w', log);
  const c = hold(gate, 'shared', 'c', log);
  await tick();
  assert.deepEqual(log, ['a starts', 'b starts']);
  assert.deepEqual(gate.load, { running: 2, waiting: 2 });
  b.release();
  await b.done;
  assert.deepEqual(log, ['a starts', 'b starts', 'b ends']);
  a.release();
  await a.done;
  await tick();
  assert.deepEqual(log.slice(3), ['a ends', 'w starts']);
  w.release();
  await w.done;
  await tick();
  assert.deepEqual(log.slice(5), ['w ends', 'c starts']);
  c.release();
  await c.done;
  assert.deepEqual(gate.load, { running: 0, waiting: 0 });
});

test('a failing request opens the gate again and its caller gets the error', async () => {
  const gate = new RequestGate();
  await assert.rejects(gate.run('exclusive', async () => { throw new Error('boom'); }), /boom/);
  await assert.rejects(gate.run('shared', () => { throw new Error('sync boom'); }), /sync boom/);
  assert.equal(await gate.run('exclusive', async () => 7), 7);
  assert.deepEqual(gate.load, { running: 0, waiting: 0 });
});
