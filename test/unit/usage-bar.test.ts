import { test } from 'node:test';
import assert from 'node:assert/strict';
import { usageBar } from '../../src/shared/usageBar';

test('a usage bar is always as wide, filled to the eighth of a cell, and never empty for a share above zero', () => {
  assert.equal(usageBar(0), '░░░░░░░░░░');
  assert.equal(usageBar(1), '██████████');
  assert.equal(usageBar(0.5), '█████░░░░░');
  assert.equal(usageBar(0.25), '██▌░░░░░░░');
  assert.equal(usageBar(0.0001), '▏░░░░░░░░░');
  assert.equal(usageBar(2), '██████████');
  assert.equal(usageBar(Number.NaN), '░░░░░░░░░░');
  for (let i = 0; i <= 100; i++) assert.equal([...usageBar(i / 100)].length, 10, `${i} %`);
  assert.equal([...usageBar(0.3, 4)].length, 4);
});
