// native/kernels/ belongs to the pure layer (docs/architecture.md): no Node-API, no bindings
// header, so the kernels can be linked into a plain C++ test or benchmark executable.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import test from 'ava';

const dir = fileURLToPath(new URL('../../../native/kernels', import.meta.url));

test('native/kernels never includes napi.h or a bindings header', (t) => {
  const files = readdirSync(dir).filter((n) => /\.(cc|h)$/.test(n));
  t.true(files.length >= 10, `expected the kernels' sources, found ${files.length}`);
  const offenders = files.filter((f) => /#include\s*[<"](napi|node_api)\.h[>"]|\bNapi::|\bnapi_|#include\s*"bindings\//.test(readFileSync(join(dir, f), 'utf8')));
  t.deepEqual(offenders, []);
});

test('the instruction-set files are compiled per function, not with file-wide flags', (t) => {
  for (const f of ['gemv_avx2.cc', 'gemv_avx512.cc']) {
    const src = readFileSync(join(dir, f), 'utf8');
    t.regex(src, /__attribute__\(\(target\("/, f);
    t.notRegex(src, /#pragma GCC target/, f);
  }
});
