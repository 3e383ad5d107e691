/**
 * A full disk, said as such: DuckDB reports it as an IO error on one file ("Could not write file ...: No space
 * left on device") or, once a write failed, as "database has been invalidated". Both become
 * "no space left on <folder>", with what failed after it.
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

export function diskFullMessage(message: string, datasetPath?: string): string {
  const nospace = /No space left on device/i.test(message);
  const file = /(?:file|directory) "([^"]+)"/.exec(message)?.[1];
  if (nospace) return `no space left on ${dirname(file ?? datasetPath ?? '.')}: ${message}`;
  if (/invalidated/i.test(message) && datasetPath) {
    try {
      const fs = statfsSync(dirname(datasetPath));
      if (fs.bavail * fs.bsize < 16 * 1024 * 1024) return `no space left on ${dirname(datasetPath)} (what was committed is intact; free space and run again): ${message}`;
    } catch {
      // cannot tell: DuckDB's words stand
    }
  }
  return message;
}
