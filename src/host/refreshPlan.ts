/**
 * "Refresh the window" of a dataset: the plan that made it, remembered without secrets, run again over the
 * time since (AWS: from a little before the last window's end to now; the sources' checkpoints and the
 * ingest's (name, hash) key make the overlap load nothing twice). No VS Code here, so it is unit-tested.
 */
import type { EnrichPlan } from './enrichWizard';

/** What is remembered of a plan: JSON-safe, without the external id (it stays in the user's settings). */
export type StoredPlan =
  | { source: 'sample' }
  | { source: 'folder'; folder: string }
  | {
      source: 'aws';
      profile: string;
      role?: { name: string; accounts: string[] };
      regions: string[];
      flowLogs: Extract<EnrichPlan, { source: 'aws' }>['flowLogs'];
      allDiscovered?: boolean;
      location?: Extract<EnrichPlan, { source: 'aws' }>['location'];
      window: { from: string; to: string; label: string };
    };

/** Late delivery: S3 objects arrive about 10 minutes after their window, so a refresh looks back a little. */
export const REFRESH_OVERLAP_MS = 15 * 60 * 1000;

export function storablePlan(plan: EnrichPlan): StoredPlan {
  if (plan.source === 'sample') return { source: 'sample' };
  if (plan.source === 'folder') return { source: 'folder', folder: plan.folder };
  return {
    source: 'aws',
    profile: plan.profile,
    ...(plan.role ? { role: { name: plan.role.name, accounts: [...plan.role.accounts] } } : {}),
    regions: [...plan.regions],
    flowLogs: plan.flowLogs,
    ...(plan.allDiscovered !== undefined ? { allDiscovered: plan.allDiscovered } : {}),
    ...(plan.location ? { location: plan.location } : {}),
    window: { from: plan.window.from.toISOString(), to: plan.window.to.toISOString(), label: plan.window.label },
  };
}

/** The stored plan again, appending to the dataset at `path`, over the time since its last window. */
export function refreshedPlan(stored: StoredPlan, path: string, now: Date, externalId?: string): EnrichPlan {
  const dataset = { mode: 'append' as const, path };
  if (stored.source === 'sample') return { source: 'sample', dataset };
  if (stored.source === 'folder') return { source: 'folder', folder: stored.folder, dataset };
  const lastEnd = new Date(stored.window.to).getTime();
  const from = new Date(Math.min(lastEnd - REFRESH_OVERLAP_MS, now.getTime()));
  return {
    source: 'aws',
    profile: stored.profile,
    ...(stored.role ? { role: { name: stored.role.name, accounts: stored.role.accounts, ...(externalId ? { externalId } : {}) } } : {}),
    regions: stored.regions,
    flowLogs: stored.flowLogs,
    ...(stored.allDiscovered !== undefined ? { allDiscovered: stored.allDiscovered } : {}),
    ...(stored.location ? { location: stored.location } : {}),
    window: { from, to: now, label: `since ${from.toISOString().slice(0, 16).replace('T', ' ')} UTC` },
    dataset,
  };
}

/** A stored plan read back from global state, or undefined when it is not one (never trusted blindly). */
export function parseStoredPlan(value: unknown): StoredPlan | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (v.source === 'sample') return { source: 'sample' };
  if (v.source === 'folder' && typeof v.folder === 'string') return { source: 'folder', folder: v.folder };
  if (v.source === 'aws' && typeof v.profile === 'string' && Array.isArray(v.regions) && v.regions.every((r) => typeof r === 'string')
    && Array.isArray(v.flowLogs) && v.window && typeof (v.window as { to?: unknown }).to === 'string'
    && !Number.isNaN(Date.parse((v.window as { to: string }).to))) {
    return value as StoredPlan;
  }
  return undefined;
}
