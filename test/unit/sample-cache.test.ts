// Where the sample estate is kept, per platform and setting (src/core/sample/cache.ts); the folder's checks and
// builds are in test/robustness/sample-cache.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheRoot, sampleDir } from '../../src/core/sample/cache';

test('the cache folder: FLOWLENS_CACHE, else the platform convention', () => {
  assert.equal(cacheRoot({ HOME: '/home/u' }, 'linux'), '/home/u/.cache/flowlens');
  assert.equal(cacheRoot({ HOME: '/home/u', XDG_CACHE_HOME: '/xdg' }, 'linux'), '/xdg/flowlens');
  // the XDG spec: a relative XDG_CACHE_HOME is ignored
  assert.equal(cacheRoot({ HOME: '/home/u', XDG_CACHE_HOME: 'rel' }, 'freebsd'), '/home/u/.cache/flowlens');
  assert.equal(cacheRoot({ HOME: '/Users/u', XDG_CACHE_HOME: '/xdg' }, 'darwin'), '/Users/u/Library/Caches/flowlens');
  assert.equal(cacheRoot({ HOME: '/home/u', LOCALAPPDATA: '/c/Users/u/AppData/Local' }, 'win32'), '/c/Users/u/AppData/Local/flowlens/Cache');
  assert.equal(cacheRoot({ HOME: '/home/u', FLOWLENS_CACHE: '/ci/cache' }, 'linux'), '/ci/cache');
  assert.throws(() => cacheRoot({ FLOWLENS_CACHE: 'cache' }, 'linux'), /^Error: FLOWLENS_CACHE must be an absolute path, not cache$/);
});

test('one folder per seed, days and scale', () => {
  assert.equal(sampleDir({}, { FLOWLENS_CACHE: '/c' }), '/c/sample/v7-seed-42-days-61-scale-1');
  assert.equal(sampleDir({ seed: 7, days: 8, scale: 0.5 }, { FLOWLENS_CACHE: '/c' }), '/c/sample/v7-seed-7-days-8-scale-0.5');
});
