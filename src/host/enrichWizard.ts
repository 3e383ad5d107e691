/**
 * The `Flowlens: Enrich flow logs` wizard as a pure state machine: which step comes next, what each step
 * offers, validation, back navigation and remembered answers. The VS Code layer (wizardUi.ts) only renders
 * the prompts this returns; the AWS side (profile list, flow-log discovery) comes in as functions.
 *
 * source ─┬─ sample ──────────────────────────────────────────────────────────┐
 *         ├─ folder ─ folder path ─ what it holds (pre-scan) ──────────────────┤
 *         └─ aws ─ profile ─ access ─┬─ as is ────────────────┐                ├─ dataset ─ (new: name)
 *                                    └─ role ─ role name ─ external id ─ accounts ┘
 *                    … ─ regions ─ flow logs ─ (other: location) ─ window ─ (custom: range) ─┤
 *                    … (an Athena source) ─ workgroup ─ output location ─ Athena window ──────────┘
 */

import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseLogFormat } from '../core/model/flowFields';
import { outputLocationProblem } from '../core/aws/athenaTable';
import { plural } from '../shared/numbers';

export type Source = 'sample' | 'folder' | 'aws';
export type WindowChoice = '1h' | '24h' | '7d' | '30d' | 'custom';
/** The window an Athena source's reduction groups by, in seconds: 1 minute, 5 minutes or 1 hour. */
export type AthenaWindow = 60 | 300 | 3600;

/** Where an Athena source's query runs and writes its results (remembered per profile). */
export interface AthenaPlace {
  workgroup: string;
  /** s3://bucket/prefix/; absent: the workgroup's own. */
  outputLocation?: string;
}

export interface ProfileChoice {
  name: string;
  kind: string;
  region?: string;
  mfa?: boolean;
  problems: string[];
}

export interface DiscoveredFlowLog {
  id: string;
  accountId: string;
  region: string;
  /** e.g. 's3', 'cloud-watch-logs'. */
  destinationType: string;
  /** s3://bucket/prefix or the log group name. */
  destination: string;
  /** The ${field} format, or 'default'. */
  format: string;
  resourceId?: string;
  /** AWS's flow log id (fl-...), when `id` is not it. */
  flowLogId?: string;
  /** S3 delivery: file format and partitioning. */
  fileFormat?: 'plain-text' | 'parquet';
  hive?: boolean;
  perHour?: boolean;
  /** The spec acquire reads it with (s3://bucket/prefix, logs:<group>, firehose:<stream>); absent when it cannot be read back. */
  source?: string;
}

/** A failure of discovery: text, or the account/region/API it concerns and why. */
export type DiscoveryProblem = string | { account?: string; region?: string; api?: string; code?: string; message: string };

/** Item ids of the flow-logs step that are shown but never chosen (failures, unreadable destinations). */
const PROBLEM_PREFIX = 'problem:';

/** Whether a discovered flow log can be read (the pseudo "every flow log" choice has no source and is readable). */
function readable(f: DiscoveredFlowLog): boolean {
  return !!f.source || f.destinationType === 's3' || f.destinationType === 'cloud-watch-logs' || f.destinationType === 'discovered while reading';
}

/** "v2, text, hive/hourly": how a flow log is written. */
export function flowLogDescription(f: DiscoveredFlowLog): string {
  const parts = [f.format === 'default' ? 'format v2' : 'custom format'];
  if (f.destinationType === 's3') {
    parts.push(f.fileFormat === 'parquet' ? 'parquet' : 'text');
    const layout = [f.hive ? 'hive' : undefined, f.perHour ? 'hourly' : undefined].filter(Boolean).join('/');
    parts.push(layout || 'daily');
  } else if (f.destinationType === 'cloud-watch-logs') parts.push('CloudWatch Logs');
  else if (f.destinationType === 'kinesis-data-firehose' && readable(f)) parts.push('Firehose');
  else if (!readable(f)) parts.push(`${f.destinationType}: cannot be read back`);
  return parts.join(', ');
}

/** The folder step's pre-scan (src/core/scan.ts, run in the DuckDB process), with its summary line. */
export interface ScannedFolder {
  flowLogs: number;
  inventory: number;
  /** formatScan(): "12 flow-log files (10 gzip, 2 text), 4 inventory files". */
  summary: string;
  /** Files without a header line that load only with their LogFormat given (FolderScan.needFormat). */
  needFormat?: { files: number; fieldCounts: number[]; examples: string[] };
}

export interface ExistingDataset {
  name: string;
  path: string;
  detail?: string;
}

export type FlowLogLocation =
  | { kind: 'cloudwatch'; logGroup: string }
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'athena'; catalog?: string; database: string; table: string };

export interface WizardAnswers {
  source?: Source;
  folder?: string;
  /** The LogFormat of a folder's files without a header line (AWS's syntax or field names). */
  logFormat?: string;
  profile?: string;
  access?: 'profile' | 'role';
  roleName?: string;
  externalId?: string;
  accounts?: string[];
  regions?: string[];
  /** Ids of discovered flow logs, and/or 'other' for a typed location. */
  flowLogs?: string[];
  location?: string;
  window?: WindowChoice;
  customRange?: string;
  /** An Athena source's workgroup and output location, by profile (the last used with each). */
  athena?: Record<string, AthenaPlace>;
  athenaWindow?: AthenaWindow;
  dataset?: string; // 'new' or the path of an existing dataset
  datasetName?: string;
}

export interface WizardDeps {
  listProfiles: () => Promise<ProfileChoice[]>;
  discoverFlowLogs: (q: { profile: string; roleName?: string; externalId?: string; accounts?: string[]; regions: string[] }) => Promise<{
    flowLogs: DiscoveredFlowLog[];
    /** Per account/region failures of discovery, shown in the step as items that cannot be chosen (the others go on). */
    problems: DiscoveryProblem[];
  }>;
  listDatasets: () => Promise<ExistingDataset[]>;
  /** What a folder holds (the folder step shows it before enriching); without it the step is skipped. */
  scanFolder?: (folder: string) => Promise<ScannedFolder>;
  /** The workspace folder a relative path is resolved against (none: only absolute paths). */
  workspaceFolder?: string;
  /** Regions offered; the remembered or configured ones are preselected. */
  regions?: string[];
  /** Clock for window computation and validation (tests pin it). */
  now?: () => Date;
}

export type StepId =
  | 'source'
  | 'folder'
  | 'folderScan'
  | 'logFormat'
  | 'profile'
  | 'access'
  | 'roleName'
  | 'externalId'
  | 'accounts'
  | 'regions'
  | 'flowLogs'
  | 'location'
  | 'window'
  | 'customRange'
  | 'athenaWorkgroup'
  | 'athenaOutput'
  | 'athenaWindow'
  | 'dataset'
  | 'datasetName';

export interface PickItem {
  id: string;
  label: string;
  description?: string;
  detail?: string;
  picked?: boolean;
  /** Shown but not selectable in a single pick (e.g. a profile with problems). */
  disabled?: boolean;
}

export type Prompt =
  | { type: 'pick'; step: StepId; title: string; placeholder: string; items: PickItem[]; many: boolean; activeId?: string; notes: string[] }
  | { type: 'input'; step: StepId; title: string; prompt: string; value: string; placeholder?: string; password?: boolean; browse?: 'folder' };

export type EnrichPlan =
  | { source: 'sample'; dataset: DatasetTarget }
  | { source: 'folder'; folder: string; dataset: DatasetTarget; logFormat?: string }
  | {
      source: 'aws';
      profile: string;
      role?: { name: string; externalId?: string; accounts: string[] };
      regions: string[];
      flowLogs: DiscoveredFlowLog[];
      /** Every readable discovered flow log was chosen: acquire may discover them itself (scoped per account/region). */
      allDiscovered?: boolean;
      location?: FlowLogLocation;
      window: { from: Date; to: Date; label: string };
      /** When a source is an Athena table: where its query runs, and the reduction's window. */
      athena?: AthenaPlace & { windowSeconds: AthenaWindow };
      dataset: DatasetTarget;
    };

export type DatasetTarget = { mode: 'new'; name: string } | { mode: 'append'; path: string };

export class WizardInputError extends Error {}

export const DEFAULT_REGIONS = [
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3',
  'eu-central-1', 'eu-north-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-south-1', 'sa-east-1',
];

const TITLE = 'Flowlens: Enrich flow logs';
const WINDOW_MS: Record<Exclude<WindowChoice, 'custom'>, number> = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
const ATHENA_WINDOWS: AthenaWindow[] = [60, 300, 3600];

/** Parses a typed flow-log location: a log group name, s3://bucket/prefix, or athena:[catalog.]database.table. */
export function parseLocation(text: string): FlowLogLocation {
  const t = text.trim();
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(t);
  if (s3) return { kind: 's3', bucket: s3[1], prefix: s3[2] ?? '' };
  if (/^s3:/i.test(t)) throw new WizardInputError(`"${t}" is not an S3 URI (s3://bucket/prefix)`);
  // as the engine reads it (core/aws/sources.ts): the catalog is AwsDataCatalog unless named
  const ath = /^athena:(?:([\w-]+)\.)?([\w-]+)\.([\w-]+)$/.exec(t);
  if (ath) return { kind: 'athena', ...(ath[1] ? { catalog: ath[1] } : {}), database: ath[2], table: ath[3] };
  if (/^athena:/i.test(t)) throw new WizardInputError(`"${t}" is not an Athena table (athena:database.table, or athena:catalog.database.table)`);
  const arn = /^arn:aws[a-z-]*:logs:[^:]+:\d{12}:log-group:([^:]+)(?::\*)?$/.exec(t);
  if (arn) return { kind: 'cloudwatch', logGroup: arn[1] };
  if (/^[\w\-/.#]{1,512}$/.test(t)) return { kind: 'cloudwatch', logGroup: t };
  throw new WizardInputError(`"${t}" is not a log group name, an s3:// URI or athena:database.table`);
}

/** Parses "2026-01-01 00:00 .. 2026-01-02 00:00" (UTC). */
export function parseRange(text: string, now: Date): { from: Date; to: Date } {
  const parts = text.split(/\s*\.\.\s*|\s+to\s+/);
  if (parts.length !== 2) throw new WizardInputError('write the range as "<from> .. <to>", e.g. 2026-01-01 00:00 .. 2026-01-02 00:00 (UTC)');
  const [from, to] = parts.map((p) => {
    const s = p.trim().replace(' ', 'T');
    const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : s + (s.length <= 10 ? 'T00:00:00Z' : 'Z'));
    if (Number.isNaN(d.getTime())) throw new WizardInputError(`"${p.trim()}" is not a date and time (YYYY-MM-DD HH:MM, UTC)`);
    return d;
  });
  if (from >= to) throw new WizardInputError('the range ends before it starts');
  if (from > now) throw new WizardInputError('the range starts in the future');
  return { from, to };
}

function parseAccounts(text: string): string[] {
  const ids = text.split(/[\s,;]+/).filter(Boolean);
  if (ids.length === 0) throw new WizardInputError('list at least one 12-digit account id');
  const bad = ids.filter((x) => !/^\d{12}$/.test(x));
  if (bad.length) throw new WizardInputError(`not a 12-digit account id: ${bad.join(', ')}`);
  return [...new Set(ids)];
}

function validDatasetName(name: string, existing: ExistingDataset[]): string {
  const n = name.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(n)) throw new WizardInputError('a dataset name is letters, digits, ".", "_" or "-" (at most 64)');
  if (existing.some((d) => d.name === n)) throw new WizardInputError(`a dataset named ${n} exists: pick it to append, or choose another name`);
  return n;
}

export class EnrichWizard {
  private readonly history: StepId[] = [];
  private step: StepId = 'source';
  private finished = false;
  readonly answers: WizardAnswers;
  private profiles: ProfileChoice[] | undefined;
  private discovered: { flowLogs: DiscoveredFlowLog[]; problems: DiscoveryProblem[]; key: string } | undefined;
  private datasets: ExistingDataset[] | undefined;
  private scanned: { folder: string; scan: ScannedFolder } | undefined;

  /** `remembered`: the answers of the last run, offered again as defaults. */
  constructor(
    private readonly deps: WizardDeps,
    remembered: WizardAnswers = {},
  ) {
    this.answers = { ...remembered };
  }

  get currentStep(): StepId {
    return this.step;
  }

  get canGoBack(): boolean {
    return this.history.length > 0;
  }

  get done(): boolean {
    return this.finished;
  }

  /** Step number and an estimate of the total, for the QuickPick title. */
  get position(): { step: number; total: number } {
    const a = this.answers;
    const total =
      a.source === 'sample' ? 3 : a.source === 'folder' ? (this.deps.scanFolder ? 5 + (this.scanned?.scan.needFormat ? 1 : 0) : 4) : 8 + (a.access === 'role' ? 3 : 0) + (a.flowLogs?.includes('other') ? 1 : 0) + (a.window === 'custom' ? 1 : 0) + (this.readsAthena() ? 3 : 0);
    return { step: this.history.length + 1, total: Math.max(total, this.history.length + 1) };
  }

  back(): void {
    const prev = this.history.pop();
    if (prev) {
      this.step = prev;
      this.finished = false;
    }
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async prompt(): Promise<Prompt> {
    const a = this.answers;
    const title = `${TITLE} (${this.position.step}/${this.position.total})`;
    switch (this.step) {
      case 'source':
        return pick(this.step, title, 'Where do the flow logs come from?', [
          { id: 'aws', label: 'AWS profile', detail: 'Discover flow logs and inventory with one of your AWS profiles' },
          { id: 'folder', label: 'Folder on disk', detail: 'Inventory dumps and flow-log files already downloaded' },
          { id: 'sample', label: 'Sample estate — no AWS account needed', detail: 'A generated estate of a few accounts, VPCs and services' },
        ], a.source);
      case 'folder':
        return {
          ...input(this.step, title, `Folder with inventory JSON and flow-log files (${this.deps.workspaceFolder ? 'absolute, or relative to the workspace folder' : 'absolute path'}; the folder button browses)`, a.folder ?? ''),
          browse: 'folder',
        };
      case 'folderScan': {
        const folder = a.folder!;
        if (this.scanned?.folder !== folder) this.scanned = { folder, scan: await this.deps.scanFolder!(folder) };
        const s = this.scanned.scan;
        const none = s.flowLogs === 0;
        const need = s.needFormat;
        const format = a.logFormat ? ` · log format given (${a.logFormat.trim().split(/\s+/).length} fields)` : '';
        const items: PickItem[] = [
          { id: 'enrich', label: none ? 'Nothing to enrich' : 'Enrich these files', description: s.summary + format, ...(none ? { disabled: true } : {}) },
        ];
        if (need) {
          items.push({
            id: 'logFormat',
            label: a.logFormat ? 'Change the log format…' : 'Give the log format…',
            detail: `For the ${need.files === 1 ? 'file' : `${need.files} files`} without a header line: no known layout has ${need.fieldCounts.join(' or ')} fields`,
          });
        }
        items.push({ id: 'change', label: 'Choose another folder…' });
        const notes = none
          ? [`${s.summary}: a dataset needs flow-log files (text, .gz, .parquet or CloudWatch Logs JSON).`]
          : need && !a.logFormat
            ? [`Without their log format, ${need.files === 1 ? 'the file without a header line is' : `the ${need.files} files without a header line are`} not loaded (the others are).`]
            : [];
        return { ...pick(this.step, title, none ? `No flow-log files in ${folder}` : `Enrich ${folder}?`, items, none ? 'change' : need && !a.logFormat ? 'logFormat' : 'enrich'), notes };
      }
      case 'logFormat':
        return input(
          this.step, title,
          "The flow log's LogFormat, as its settings or `aws ec2 describe-flow-logs` show it (or the field names, space-separated; empty: none)",
          a.logFormat ?? '',
          '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} …',
        );
      case 'profile': {
        this.profiles ??= await this.deps.listProfiles();
        const items = this.profiles.map((p) => ({
          id: p.name,
          label: p.name,
          description: [p.kind, p.region, p.mfa ? 'MFA' : undefined].filter(Boolean).join(' · '),
          detail: p.problems.length ? `$(warning) ${p.problems.join('; ')}` : undefined,
          disabled: p.problems.length > 0,
        }));
        const notes = this.profiles.length === 0 ? ['No AWS profiles were found in the config or credentials files (AWS_CONFIG_FILE, ~/.aws/config).'] : [];
        return { ...pick(this.step, title, 'Which AWS profile?', items, a.profile), notes };
      }
      case 'access':
        return pick(this.step, title, 'Which accounts?', [
          { id: 'profile', label: 'The profile as is', detail: `Only the account profile ${a.profile ?? ''} signs in to` },
          { id: 'role', label: 'Assume a role in listed accounts…', detail: 'A role name (and external id) to assume in each account' },
        ], a.access);
      case 'roleName':
        return input(this.step, title, 'Role to assume in each account (name, not ARN)', a.roleName ?? '', 'FlowlensReadOnly');
      case 'externalId':
        return { ...input(this.step, title, 'External id for the role (leave empty if the role has none)', a.externalId ?? ''), password: true };
      case 'accounts':
        return input(this.step, title, 'Account ids to read, separated by commas or spaces', (a.accounts ?? []).join(', '), '111111111111, 222222222222');
      case 'regions': {
        const offered = [...new Set([...(this.deps.regions ?? DEFAULT_REGIONS), ...(a.regions ?? [])])];
        const chosen = new Set(a.regions ?? []);
        return {
          ...pick(this.step, title, 'Which regions? (space to select, Enter to accept)', offered.map((r) => ({ id: r, label: r, picked: chosen.has(r) }))),
          many: true,
        };
      }
      case 'flowLogs': {
        const q = {
          profile: a.profile!,
          roleName: a.access === 'role' ? a.roleName : undefined,
          externalId: a.access === 'role' ? a.externalId : undefined,
          accounts: a.access === 'role' ? a.accounts : undefined,
          regions: a.regions ?? [],
        };
        const key = JSON.stringify(q);
        if (this.discovered?.key !== key) this.discovered = { ...(await this.deps.discoverFlowLogs(q)), key };
        const found = this.discovered.flowLogs;
        const known = new Set([...found.filter(readable).map((f) => f.id), 'other']);
        // Remembered choices that still exist are kept; otherwise every readable flow log is preselected.
        const chosen = new Set(a.flowLogs?.some((id) => known.has(id)) ? a.flowLogs : found.filter(readable).map((f) => f.id));
        const items: PickItem[] = found.map((f) => {
          const ok = readable(f);
          return {
            id: ok ? f.id : `${PROBLEM_PREFIX}${f.id}`,
            label: `${f.accountId}/${f.region} · ${f.destination}`,
            description: flowLogDescription(f),
            detail: `${f.flowLogId ?? f.id}${f.resourceId ? ` for ${f.resourceId}` : ''}${ok ? '' : ' — Flowlens cannot read this destination; name its S3 copy with "Another source…"'}`,
            picked: ok && chosen.has(f.id),
            ...(ok ? {} : { disabled: true }),
          };
        });
        items.push({ id: 'other', label: 'Another source…', detail: 'A named log group, an S3 URI or an Athena table', picked: chosen.has('other') });
        const notes: string[] = [];
        this.discovered.problems.forEach((p, i) => {
          if (typeof p === 'string') {
            notes.push(p);
            items.push({ id: `${PROBLEM_PREFIX}${i}`, label: p, disabled: true });
            return;
          }
          items.push({
            id: `${PROBLEM_PREFIX}${i}`,
            label: `${p.account ? `account ${p.account}` : 'sign-in'}${p.region ? `/${p.region}` : ''} · not listed`,
            description: [p.api, p.code].filter(Boolean).join(' '),
            detail: p.message,
            disabled: true,
          });
        });
        if (this.discovered.problems.some((p) => typeof p !== 'string')) notes.push(`${plural(this.discovered.problems.length, 'account and region', 'accounts and regions')} could not be listed (shown at the end).`);
        if (found.length === 0) notes.unshift('No flow logs were found in the chosen accounts and regions.');
        return { ...pick(this.step, title, 'Which flow logs?', items), many: true, notes };
      }
      case 'location':
        return input(this.step, title, 'Log group name, s3://bucket/prefix, or athena:database.table', a.location ?? '', '/vpc/flow-logs');
      case 'window':
        return pick(this.step, title, 'Which time window?', [
          { id: '1h', label: 'Last hour' },
          { id: '24h', label: 'Last 24 hours' },
          { id: '7d', label: 'Last 7 days' },
          { id: '30d', label: 'Last 30 days' },
          { id: 'custom', label: 'Custom range…', detail: 'From and to, in UTC' },
        ], a.window ?? '24h');
      case 'customRange':
        return input(this.step, title, 'Range in UTC: <from> .. <to>', a.customRange ?? '', '2026-01-01 00:00 .. 2026-01-02 00:00');
      case 'athenaWorkgroup':
        return input(
          this.step, title,
          `Athena workgroup to run the query in, with profile ${a.profile} (its data limits apply, and a workgroup that overrides client settings uses its own output location and encryption; empty: primary)`,
          this.athenaPlace()?.workgroup ?? 'primary', 'primary',
        );
      case 'athenaOutput':
        return input(
          this.step, title,
          "Where Athena writes the query's results: s3://bucket/prefix/ (empty: the workgroup's own output location)",
          this.athenaPlace()?.outputLocation ?? '', "s3://bucket/prefix/ — empty: the workgroup's",
        );
      case 'athenaWindow': {
        const days = this.rangeMs() / 86400e3;
        const notes = days >= 7 ? [`Over ${Math.round(days)} days, 5-minute or 1-hour windows download far less.`] : [];
        return {
          ...pick(this.step, title, 'Athena groups the flows into windows of…', [
            { id: '60', label: '1 minute', description: 'default', detail: "The enrichment's own minute: the most detail, the most to download" },
            { id: '300', label: '5 minutes', detail: 'Weeks to months of history: fewer rows, less to download' },
            { id: '3600', label: '1 hour', detail: 'Months of history: the fewest rows, the least to download' },
          ], String(a.athenaWindow ?? 60)),
          notes,
        };
      }
      case 'dataset': {
        this.datasets ??= await this.deps.listDatasets();
        const items: PickItem[] = [
          { id: 'new', label: '$(add) New dataset…' },
          ...this.datasets.map((d) => ({ id: d.path, label: d.name, description: 'append', detail: d.detail })),
        ];
        return pick(this.step, title, 'Into which dataset?', items, a.dataset ?? 'new');
      }
      case 'datasetName': {
        const fallback = a.source === 'sample' ? 'sample' : a.source === 'folder' ? 'local' : (a.profile ?? 'flows');
        let name = a.datasetName ?? fallback;
        const taken = new Set((this.datasets ?? []).map((d) => d.name));
        for (let k = 2; taken.has(name); k++) name = `${a.datasetName ?? fallback}-${k}`;
        return input(this.step, title, 'Name of the new dataset', name);
      }
    }
  }

  /**
   * Records the answer to the current step and moves on. Throws WizardInputError (the step stays) when
   * the answer is not valid; the message is what the input box shows.
   */
  answer(value: string | string[]): void {
    const a = this.answers;
    const one = Array.isArray(value) ? value[0] ?? '' : value;
    const many = Array.isArray(value) ? value : [value];
    const from = this.step;
    let next: StepId | 'done';
    switch (from) {
      case 'source':
        if (!['sample', 'folder', 'aws'].includes(one)) throw new WizardInputError(`unknown source ${one}`);
        a.source = one as Source;
        next = one === 'aws' ? 'profile' : one === 'folder' ? 'folder' : 'dataset';
        break;
      case 'folder':
        a.folder = resolveFolder(one, this.deps.workspaceFolder);
        next = this.deps.scanFolder ? 'folderScan' : 'dataset';
        break;
      case 'folderScan':
        if (one === 'change') {
          this.back();
          return;
        }
        if (one === 'logFormat' && this.scanned?.scan.needFormat) {
          next = 'logFormat';
          break;
        }
        if (one !== 'enrich') throw new WizardInputError(`unknown choice ${one}`);
        if ((this.scanned?.scan.flowLogs ?? 0) === 0) throw new WizardInputError(`there are no flow-log files in ${a.folder}: choose another folder`);
        next = 'dataset';
        break;
      case 'logFormat':
        a.logFormat = validLogFormat(one, this.scanned?.scan.needFormat);
        next = 'folderScan';
        break;
      case 'profile': {
        const p = this.profiles?.find((x) => x.name === one);
        if (!p) throw new WizardInputError(`no profile named ${one}`);
        if (p.problems.length) throw new WizardInputError(`profile ${one} cannot be used: ${p.problems.join('; ')}`);
        a.profile = one;
        next = 'access';
        break;
      }
      case 'access':
        if (one !== 'profile' && one !== 'role') throw new WizardInputError(`unknown choice ${one}`);
        a.access = one;
        next = one === 'role' ? 'roleName' : 'regions';
        break;
      case 'roleName':
        if (!/^[\w+=,.@/-]{1,128}$/.test(one.trim())) throw new WizardInputError('a role name is 1-128 of letters, digits and +=,.@_-/');
        a.roleName = one.trim().replace(/^\/+/, '');
        next = 'externalId';
        break;
      case 'externalId':
        if (one.trim() && !/^[\w+=,.@:/-]{2,1224}$/.test(one.trim())) throw new WizardInputError('an external id is 2-1224 of letters, digits and +=,.@:/-');
        a.externalId = one.trim() || undefined;
        next = 'accounts';
        break;
      case 'accounts':
        a.accounts = parseAccounts(one);
        next = 'regions';
        break;
      case 'regions':
        if (many.length === 0 || many.every((r) => !r)) throw new WizardInputError('choose at least one region');
        for (const r of many) if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(r)) throw new WizardInputError(`"${r}" is not a region name`);
        a.regions = many;
        next = 'flowLogs';
        break;
      case 'flowLogs': {
        // Failures and unreadable destinations are shown but cannot be chosen.
        const chosen = many.filter((id) => id && !id.startsWith(PROBLEM_PREFIX));
        if (chosen.length === 0) throw new WizardInputError('choose at least one flow log, or "Another source…"');
        a.flowLogs = chosen;
        next = chosen.includes('other') ? 'location' : 'window';
        break;
      }
      case 'location':
        parseLocation(one);
        a.location = one.trim();
        next = 'window';
        break;
      case 'window':
        if (!['1h', '24h', '7d', '30d', 'custom'].includes(one)) throw new WizardInputError(`unknown window ${one}`);
        a.window = one as WindowChoice;
        next = one === 'custom' ? 'customRange' : this.readsAthena() ? 'athenaWorkgroup' : 'dataset';
        break;
      case 'customRange':
        parseRange(one, this.now());
        a.customRange = one.trim();
        next = this.readsAthena() ? 'athenaWorkgroup' : 'dataset';
        break;
      case 'athenaWorkgroup': {
        const wg = one.trim() || 'primary';
        if (!/^[A-Za-z0-9._-]{1,128}$/.test(wg)) throw new WizardInputError(`"${wg}" is not a workgroup name: 1-128 letters, digits, ".", "_" or "-"`);
        this.setAthenaPlace({ ...this.athenaPlace(), workgroup: wg });
        next = 'athenaOutput';
        break;
      }
      case 'athenaOutput': {
        const out = one.trim();
        const problem = out ? outputLocationProblem(out) : undefined;
        if (problem) throw new WizardInputError(problem);
        const { outputLocation: _old, ...place } = this.athenaPlace() ?? { workgroup: 'primary' };
        this.setAthenaPlace({ ...place, ...(out ? { outputLocation: out } : {}) });
        next = 'athenaWindow';
        break;
      }
      case 'athenaWindow': {
        const w = Number(one) as AthenaWindow;
        if (!ATHENA_WINDOWS.includes(w)) throw new WizardInputError(`unknown Athena window ${one}`);
        a.athenaWindow = w;
        next = 'dataset';
        break;
      }
      case 'dataset':
        if (one !== 'new' && !(this.datasets ?? []).some((d) => d.path === one)) throw new WizardInputError(`no dataset ${one}`);
        a.dataset = one;
        next = one === 'new' ? 'datasetName' : 'done';
        break;
      case 'datasetName':
        a.datasetName = validDatasetName(one, this.datasets ?? []);
        next = 'done';
        break;
    }
    this.history.push(from);
    if (next === 'done') this.finished = true;
    else this.step = next;
  }

  /** The finished wizard's plan. */
  plan(): EnrichPlan {
    if (!this.finished) throw new Error('the wizard is not finished');
    const a = this.answers;
    const dataset: DatasetTarget = a.dataset && a.dataset !== 'new' ? { mode: 'append', path: a.dataset } : { mode: 'new', name: a.datasetName! };
    if (a.source === 'sample') return { source: 'sample', dataset };
    if (a.source === 'folder') return { source: 'folder', folder: a.folder!, dataset, ...(a.logFormat ? { logFormat: a.logFormat } : {}) };
    const window = this.timeWindow();
    const ids = new Set(a.flowLogs ?? []);
    const place = this.athenaPlace();
    const readableAll = (this.discovered?.flowLogs ?? []).filter(readable);
    return {
      source: 'aws',
      profile: a.profile!,
      role: a.access === 'role' ? { name: a.roleName!, externalId: a.externalId, accounts: a.accounts ?? [] } : undefined,
      regions: a.regions ?? [],
      flowLogs: (this.discovered?.flowLogs ?? []).filter((f) => ids.has(f.id)),
      allDiscovered: readableAll.length > 0 && readableAll.every((f) => ids.has(f.id)),
      location: ids.has('other') && a.location ? parseLocation(a.location) : undefined,
      window,
      ...(this.readsAthena() ? { athena: { workgroup: place?.workgroup ?? 'primary', ...(place?.outputLocation ? { outputLocation: place.outputLocation } : {}), windowSeconds: a.athenaWindow ?? 60 } } : {}),
      dataset,
    };
  }

  private timeWindow(): { from: Date; to: Date; label: string } {
    const a = this.answers;
    const now = this.now();
    return a.window === 'custom'
      ? { ...parseRange(a.customRange!, now), label: a.customRange! }
      : { from: new Date(now.getTime() - WINDOW_MS[a.window ?? '24h']), to: now, label: `last ${a.window ?? '24h'}` };
  }

  /** The chosen time window's length (0 when it cannot be known yet). */
  private rangeMs(): number {
    try {
      const w = this.timeWindow();
      return w.to.getTime() - w.from.getTime();
    } catch {
      return 0;
    }
  }

  /** Whether a chosen source is an Athena table (the typed location, or a discovered flow log read through one). */
  private readsAthena(): boolean {
    const a = this.answers;
    if (a.source !== 'aws') return false;
    const ids = new Set(a.flowLogs ?? []);
    if (ids.has('other') && a.location) {
      try {
        if (parseLocation(a.location).kind === 'athena') return true;
      } catch {
        // not a location yet
      }
    }
    return (this.discovered?.flowLogs ?? []).some((f) => ids.has(f.id) && f.source?.startsWith('athena:'));
  }

  /** The workgroup and output location used last with the chosen profile. */
  private athenaPlace(): AthenaPlace | undefined {
    return this.answers.athena?.[this.answers.profile ?? ''];
  }

  private setAthenaPlace(place: AthenaPlace): void {
    this.answers.athena = { ...this.answers.athena, [this.answers.profile ?? '']: place };
  }

  /** What to remember for next time: everything but secrets. */
  remembered(): WizardAnswers {
    const { externalId: _secret, ...rest } = this.answers;
    return rest;
  }
}

/**
 * A typed LogFormat (empty: none), as the engine parses it, with as many fields as the records that need it have
 * (any of them, when the folder's files without a header have different counts).
 */
export function validLogFormat(text: string, need: ScannedFolder['needFormat']): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  let n: number;
  try {
    n = parseLogFormat(t).length;
  } catch (err) {
    throw new WizardInputError(err instanceof Error ? err.message : String(err));
  }
  if (need && !need.fieldCounts.includes(n)) {
    throw new WizardInputError(`this format has ${n} fields, and the records without a header line have ${need.fieldCounts.join(' or ')}`);
  }
  return t;
}

/** A typed folder: `~/…` from the home folder, a relative path from the workspace folder; it must be a folder. */
export function resolveFolder(text: string, workspaceFolder: string | undefined): string {
  const t = text.trim();
  if (!t) throw new WizardInputError('give a folder');
  const home = t === '~' || t.startsWith('~/') ? join(homedir(), t.slice(1)) : t;
  let path: string;
  if (isAbsolute(home) || /^[A-Za-z]:[\\/]/.test(home)) path = home;
  else if (workspaceFolder) path = resolve(workspaceFolder, home);
  else throw new WizardInputError('no workspace folder is open: give an absolute path, or browse');
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new WizardInputError(`${path} does not exist`);
  }
  if (!isDir) throw new WizardInputError(`${path} is a file: give the folder that holds it`);
  return path;
}

function pick(step: StepId, title: string, placeholder: string, items: PickItem[], activeId?: string): Extract<Prompt, { type: 'pick' }> {
  return { type: 'pick', step, title, placeholder, items, many: false, activeId, notes: [] };
}

function input(step: StepId, title: string, prompt: string, value: string, placeholder?: string): Extract<Prompt, { type: 'input' }> {
  return { type: 'input', step, title, prompt, value, placeholder };
}
