import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { AddonLoadError } from '../../lib/index.js';
import { addonCandidates, loadAddon } from '../../lib/native/loader.js';

test('a missing addon lists what was tried and how to fix it', (t) => {
  const error = t.throws(() => loadAddon({ SENTENCEVAE_ADDON: '/nonexistent/sentencevae.node' }), { instanceOf: AddonLoadError });
  t.deepEqual(error.attempts, [{ path: '/nonexistent/sentencevae.node', reason: 'not built' }]);
  t.regex(error.message, /Tried:\n {2}\/nonexistent\/sentencevae\.node: not built/);
  t.regex(error.message, /npm install-scripts approve sentencevae && npm rebuild sentencevae/);
  t.regex(error.message, /libtorch-dev/);
});

test('a broken addon file gets a rebuild hint', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-loader-'));
  const bogus = join(dir, 'sentencevae.node');
  writeFileSync(bogus, Buffer.alloc(4096, 7)); // long enough to be read as a (bad) ELF header
  const error = t.throws(() => loadAddon({ SENTENCEVAE_ADDON: bogus }), { instanceOf: AddonLoadError });
  t.regex(error.attempts[0]!.reason, /ELF|invalid/);
  t.regex(error.message, /rebuild/);
});

test('the default search order is cmake-js, then node-gyp', (t) => {
  const paths = addonCandidates({});
  t.regex(paths[0]!, /build\/cmake\/Release\/sentencevae\.node$/);
  t.regex(paths[1]!, /build\/Release\/sentencevae\.node$/);
});
