/**
 * Where the sample estate is kept between runs: a folder of the user's own cache, not a shared, predictable path
 * under $TMPDIR (anyone could make `/tmp/flowlens-sample` first and hand the next user flow logs of their choice).
 *
 *   FLOWLENS_CACHE, when set                 the Flowlens cache folder itself (tests, CI, an unusual home)
 *   Linux and other Unixes                   $XDG_CACHE_HOME/flowlens, else ~/.cache/flowlens
 *   macOS                                    ~/Library/Caches/flowlens
 *   Windows                                  %LOCALAPPDATA%\flowlens\Cache
 *
 * The Flowlens folder and its `sample` folder are the user's alone (mode 0700, made so when created); one that is
 * another user's, a symbolic link, or open to others is refused, naming it and what to do. An estate is built in
 * a temporary folder beside where it goes (`.building-<key>-<pid>-…`) and renamed into place when complete, so a
 * reader never sees half an estate, and a second builder at the same time loses its rename and uses the first's.
 * A temporary folder left by a build that was killed (its process is gone) is removed by the next one.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { checkOptions, writeSampleEstate, type SampleOptions } from './index';

export type Env = Record<string, string | undefined>;

/** The Flowlens cache folder for this user on this platform (not created here). */
export function cacheRoot(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = env.FLOWLENS_CACHE;
  if (override) {
    if (!isAbsolute(override)) throw new Error(`FLOWLENS_CACHE must be an absolute path, not ${override}`);
    return override;
  }
  const home = env.HOME || homedir();
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'flowlens', 'Cache');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'flowlens');
  const xdg = env.XDG_CACHE_HOME;
  // the XDG spec: a relative value is invalid and is ignored
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.cache'), 'flowlens');
}

/** The folder of sample estates. */
export function sampleRoot(env: Env = process.env): string {
  return join(cacheRoot(env), 'sample');
}

/**
 * What the sample generator makes: raised whenever an estate of the same options would come out different (v2:
 * the internet peers moved out of the documentation prefixes, which are now a type of their own; v3: ECS tasks
 * are their task ARNs, with their service's tags, and ecs.DescribeTasks.json links them to their ENIs; v4: a VPN
 * the inventory does not show; v5: an ENI seen before its AttachTime, and every security group has rules that fit
 * the traffic, in ec2.DescribeSecurityGroupRules.json too, with the truth naming the rules that admitted each
 * conversation; v6: flow logs of 10-minute intervals, an idle ENI writing NODATA each, and an ENI whose logging has
 * gaps, truth/coverage.jsonl; v7: random SKIPDATA minutes ten times rarer), so that a cached estate of an older
 * Flowlens is not reused.
 */
export const SAMPLE_GENERATION = 7;

/** One estate's folder name: the generation and its options, so a re-run reuses it and loads nothing twice. */
export function sampleKey(options: SampleOptions): string {
  return `v${SAMPLE_GENERATION}-seed-${options.seed ?? 42}-days-${options.days ?? 61}-scale-${options.scale ?? 1}`;
}

/** Where the estate of these options is (or will be) kept. */
export function sampleDir(options: SampleOptions, env: Env = process.env): string {
  return join(sampleRoot(env), sampleKey(options));
}

const BUILDING = '.building-';

/** Whether Unix ownership and modes mean anything here (not on Windows). */
const unixModes = () => typeof process.getuid === 'function' && process.platform !== 'win32';

/**
 * Makes `dir` (mode 0700) when it is missing, else checks that it is a real folder of this user's that no one else
 * may enter; throws a message naming the folder and what to do.
 */
export function ensurePrivateDir(dir: string): void {
  let st: Stats | undefined;
  try {
    st = lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!st) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // mkdir's mode passes through the umask; say it exactly
    if (unixModes()) chmodSync(dir, 0o700);
    return;
  }
  const fix = `remove it (or set FLOWLENS_CACHE to a folder of your own) and try again`;
  if (st.isSymbolicLink()) throw new Error(`the Flowlens cache folder ${dir} is a symbolic link, which Flowlens does not follow: ${fix}`);
  if (!st.isDirectory()) throw new Error(`the Flowlens cache folder ${dir} is not a folder: ${fix}`);
  if (!unixModes()) return;
  const uid = process.getuid!();
  if (st.uid !== uid) throw new Error(`the Flowlens cache folder ${dir} belongs to another user (uid ${st.uid}, you are ${uid}): ${fix}`);
  if ((st.mode & 0o077) !== 0) {
    throw new Error(`the Flowlens cache folder ${dir} is open to other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}), so what is in it cannot be trusted: ${fix}`);
  }
}

/** True while the process `pid` runs (as far as this user can tell). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the temporary folders of builds whose process is gone; returns their names. */
export function removeAbandonedBuilds(root: string): string[] {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(root);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(BUILDING)) continue;
    // `.building-<key>-<pid>-<random>`: left alone while its builder runs (this process's own included)
    const pid = Number(/-(\d+)-[^-]*$/.exec(name)?.[1]);
    if (pid === process.pid || (Number.isInteger(pid) && pid > 0 && alive(pid))) continue;
    rmSync(join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

export interface EnsuredSample {
  dir: string;
  /** Whether this call built it (false: it was there, or another builder finished first). */
  built: boolean;
}

/**
 * The estate of these options, built when it is not in the cache yet. `onBuild` hears before a build starts
 * (with the folder it will be in).
 */
export async function ensureSampleEstate(options: SampleOptions, o: { env?: Env; onBuild?: (dir: string) => void } = {}): Promise<EnsuredSample> {
  checkOptions(options); // before anything is said or made: `--days 0` named no folder it would build
  const env = o.env ?? process.env;
  const flowlens = cacheRoot(env);
  const root = sampleRoot(env);
  ensurePrivateDir(flowlens);
  ensurePrivateDir(root);
  removeAbandonedBuilds(root);
  const dir = join(root, sampleKey(options));
  if (complete(dir)) return { dir, built: false };
  o.onBuild?.(dir);
  const tmp = mkdtempSync(join(root, `${BUILDING}${sampleKey(options)}-${process.pid}-`));
  try {
    await writeSampleEstate(tmp, options);
    for (let attempt = 0; ; attempt++) {
      try {
        renameSync(tmp, dir);
        return { dir, built: true };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EPERM') throw err;
        // another builder finished first: the same options make the same bytes, so its estate serves
        if (complete(dir)) return { dir, built: false };
        // a folder without its manifest is not an estate (made by hand, or by an older Flowlens): replaced
        if (attempt > 0) throw err;
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** A complete estate: a real folder with its manifest (written last). */
function complete(dir: string): boolean {
  try {
    return lstatSync(dir).isDirectory() && existsSync(join(dir, 'manifest.json'));
  } catch {
    return false;
  }
}
