/**
 * The parts of docs/aws.md and cloudformation/introspector-role.yaml that the API descriptors
 * (src/core/aws/apis.ts) say: the role's inventory actions, the table of actions and the table of files.
 * `npm run gen:aws` writes them; test/unit/aws-apis.test.ts fails when a file differs from what they say.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APIS, dumpFileOf, OTHER_ACTIONS, type ApiDescriptor } from '../../src/core/aws/apis';

const MD_BEGIN = (what: string) => `<!-- ${what}: generated from src/core/aws/apis.ts by \`npm run gen:aws\`; edit the descriptors, not this -->`;
const MD_END = (what: string) => `<!-- end of ${what} -->`;
const YAML_BEGIN = '# generated from src/core/aws/apis.ts by `npm run gen:aws`: edit the descriptors, not these lines';
const YAML_END = '# end of generated';

const live = APIS.filter((d) => d.iam.length);

/** `ec2:DescribeVpcs`; several actions of one service as `ecs:ListClusters, ecs:ListTasks, …`. */
const actionsOf = (d: ApiDescriptor) => d.iam.join(', ');
const cell = (s: string) => s.replace(/\|/g, '\\|');

export function roleTable(): string {
  const rows = [
    ...OTHER_ACTIONS.filter((a) => a.actions.startsWith('sts:')),
    ...live.map((d) => ({ actions: actionsOf(d), why: d.why })),
    ...OTHER_ACTIONS.filter((a) => !a.actions.startsWith('sts:')),
  ];
  return ['| Action | Why |', '|---|---|', ...rows.map((r) => `| ${cell(r.actions)} | ${cell(r.why)} |`)].join('\n');
}

export function filesTable(): string {
  const rows = APIS.filter((d) => d.cli).map((d) => {
    const wrapped = d.wrapper ? ` (wrapped: \`{"${d.wrapper}": …, "${d.listKey}": …}\`)` : '';
    return `| \`${dumpFileOf(d)}\` | \`${cell(d.cli!)}\`${wrapped} | ${cell(d.why)} |`;
  });
  return ['| File (collected) | Written by hand with | What it gives |', '|---|---|---|', ...rows].join('\n');
}

export function roleActions(indent: string): string {
  const actions = [...new Set([...live.flatMap((d) => d.iam), ...OTHER_ACTIONS.filter((a) => a.policy === 'inventory').map((a) => a.actions)])];
  return actions.map((a) => `${indent}- ${a}`).join('\n');
}

function between(text: string, begin: string, end: string, body: string, file: string): string {
  const i = text.indexOf(begin);
  const j = text.indexOf(end, i);
  if (i < 0 || j < 0) throw new Error(`${file}: the markers ${begin} … ${end} are missing`);
  return text.slice(0, i + begin.length) + '\n' + body + '\n' + text.slice(j);
}

/** Each generated file as it should be: its path (relative to root) and text. */
export function generatedFiles(root: string): { path: string; text: string }[] {
  const docs = 'docs/aws.md';
  let md = readFileSync(join(root, docs), 'utf8');
  md = between(md, MD_BEGIN('the role\'s actions'), MD_END('the role\'s actions'), roleTable(), docs);
  md = between(md, MD_BEGIN('the files'), MD_END('the files'), filesTable(), docs);
  const role = 'cloudformation/introspector-role.yaml';
  let yaml = readFileSync(join(root, role), 'utf8');
  const indent = /^( *)# generated from/m.exec(yaml)?.[1] ?? '';
  yaml = between(yaml, YAML_BEGIN, `${indent}${YAML_END}`, roleActions(indent), role);
  return [{ path: docs, text: md }, { path: role, text: yaml }];
}

/** `npm run gen:aws`: writes them. */
if (require.main === module) {
  const root = join(__dirname, '..', '..', '..');
  for (const f of generatedFiles(root)) {
    writeFileSync(join(root, f.path), f.text);
    console.log(`wrote ${f.path}`);
  }
}
