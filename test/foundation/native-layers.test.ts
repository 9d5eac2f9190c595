// native/ has two layers: Node-API glue in native/bindings/, pure LibTorch/C++ below it
// (core/, model/, train/, io/). The pure layer must never see Node-API, so it can be reused by a
// C++ test or benchmark executable and read without knowing the JS side.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import test from 'ava';

const nativeDir = fileURLToPath(new URL('../../../native', import.meta.url));

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourcesUnder(path);
    return /\.(cc|h)$/.test(name) ? [path] : [];
  });
}

test('nothing under core/, model/, train/ or io/ includes napi.h or uses Napi::', (t) => {
  const pure = ['core', 'model', 'train', 'io'].flatMap((d) => sourcesUnder(join(nativeDir, d)));
  t.true(pure.length > 10, `expected the pure layer's sources, found ${pure.length}`);
  const offenders = pure.filter((f) => /#include\s*[<"](napi|node_api)\.h[>"]|\bNapi::|\bnapi_/.test(readFileSync(f, 'utf8')));
  t.deepEqual(offenders.map((f) => f.slice(nativeDir.length + 1)), []);
});

test('the pure layer never includes a bindings header', (t) => {
  const pure = ['core', 'model', 'train', 'io'].flatMap((d) => sourcesUnder(join(nativeDir, d)));
  const offenders = pure.filter((f) => /#include\s*"bindings\//.test(readFileSync(f, 'utf8')));
  t.deepEqual(offenders.map((f) => f.slice(nativeDir.length + 1)), []);
});

test('every Node-API source lives in bindings/', (t) => {
  const top = readdirSync(nativeDir).filter((n) => /\.(cc|h)$/.test(n) && n !== 'pch.h');
  t.deepEqual(top, [], 'native/ keeps only folders and the precompiled header');
});
