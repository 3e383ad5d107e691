/**
 * Issue 10, item 12: "Open in SQL" writes the view's values into the cell header, and any string comes back
 * exactly as it went in: ` -- `, leading and trailing spaces, quotes, line breaks, U+2028.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatParamLine, parseCellParams, usedParams } from '../../src/host/cellParams';
import { edgeCell, nodeCell } from '../../src/core/topology/cell';
import { defaultQuery } from '../../src/protocol/topology';

const HARD = [
  'app:shop',
  'app:a -- b',
  'trailing  ',
  '  leading',
  'x\u2028y',
  'p\u2029q',
  'line\nbreak\r\nand more',
  "it's",
  "'quoted'",
  '"double"',
  '\\backslash\\',
  '-- ',
  '--x',
  '-- start',
  '',
  '=',
  'tab\there',
  'arn:aws:ec2:us-east-1:111111111111:instance/i-0a0000000000000a1',
];

test('any value round-trips through a param line', () => {
  for (const value of HARD) {
    const line = formatParamLine({ name: 'node', type: 'VARCHAR', value, description: 'the node' });
    assert.equal(line.split(/\r\n|\r|\n|\u2028|\u2029/).length, 1, `one line for ${JSON.stringify(value)}: ${line}`);
    const [p] = parseCellParams(line);
    assert.deepEqual({ value: p.value, description: p.description }, { value, description: 'the node' }, line);
  }
  // plain values stay as people write them
  assert.equal(formatParamLine({ name: 'n', type: 'VARCHAR', value: 'app:shop' }), '-- param: n VARCHAR = app:shop');
  assert.deepEqual(parseCellParams("-- param: n VARCHAR = 'it''s' -- old quoting").map((p) => [p.value, p.description]), [["it's", 'old quoting']]);
  // an empty default followed by its description, as the templates write it, is the empty value
  assert.deepEqual(parseCellParams('-- param: since TIMESTAMP =  -- start of the window, UTC').map((p) => [p.value, p.description]), [['', 'start of the window, UTC']]);
});

test('the topology\'s node and edge cells bind exactly the node they were opened on', () => {
  for (const node of HARD) {
    const cell = nodeCell(defaultQuery(), node);
    const params = usedParams(cell.sql, parseCellParams(cell.sql));
    assert.equal(params.find((p) => p.name === 'node')?.value, node, JSON.stringify(node));
    const edge = edgeCell(defaultQuery(), node, `${node}-server`);
    const ep = parseCellParams(edge.sql);
    assert.deepEqual([ep.find((p) => p.name === 'src')?.value, ep.find((p) => p.name === 'dst')?.value], [node, `${node}-server`]);
  }
});
