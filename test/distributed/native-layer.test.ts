// native/distributed/ belongs to the pure layer (docs/architecture.md): no Node-API, so a C++ test or
// benchmark can link it; the N-API glue is bindings/AddonDistributed.*.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import test from 'ava';

const distDir = fileURLToPath(new URL('../../../native/distributed', import.meta.url));

test('nothing under native/distributed/ includes napi.h, a bindings header or uses Napi::', (t) => {
  const files = readdirSync(distDir).filter((n) => /\.(cc|h)$/.test(n));
  t.true(files.length >= 2);
  for (const f of files) {
    const text = readFileSync(join(distDir, f), 'utf8');
    t.false(/#include\s+[<"](napi\.h|bindings\/)/.test(text), f);
    t.false(text.includes('Napi::'), f);
  }
});
