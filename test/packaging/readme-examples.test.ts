// The README's program blocks (issue 16, "Examples that work"): the extractor, and a fast
// type-check of every block in strict mode against this checkout's declarations (the pack test
// does it again against the packed typings, and runs them).
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { packageRoot } from '../../lib/native/loader.js';
import { run } from '../helpers/run.js';
import { extractExamples, readmeExamples } from './readme-examples.js';

test('the extractor finds ts/js blocks in order, skips shell blocks, reads markers', (t) => {
  const md = [
    '# x', '```sh', 'npm i', '```', '```ts', "import { a } from 'b';", '```', '<!-- example: skip needs the Hub -->', '```js',
    "const x = require('y');", '```', '<!-- example: stop-after "ready" -->', '```typescript', 'serve();', '```', '```mjs', 'run();', '```',
  ].join('\n');
  const ex = extractExamples(md);
  t.deepEqual(ex.map((e) => [e.line, e.file, e.lang, e.skip, e.stopAfter]), [
    [5, 'ex01.mts', 'ts', undefined, undefined],
    [9, 'ex02.cjs', 'js', 'needs the Hub', undefined],
    [13, 'ex03.mts', 'ts', undefined, 'ready'],
    [16, 'ex04.mjs', 'js', undefined, undefined],
  ]);
  t.throws(() => extractExamples('<!-- example: frobnicate -->\n```ts\nx;\n```\n'), { message: /unknown example marker/ });
});

test('README: programs dispose on Node 20 (try/finally) and show await using; nothing undefined is left to the reader', (t) => {
  const ex = readmeExamples(join(packageRoot, 'README.md'));
  t.true(ex.length >= 6);
  t.true(ex.some((e) => /finally \{\s*\n\s*\w+\.dispose\(\)/.test(e.code)), 'a try/finally + dispose() example');
  t.true(ex.some((e) => /await using /.test(e.code) && e.lang === 'ts'), 'an await using example (TypeScript)');
  for (const e of ex) {
    t.false(e.lang === 'js' && /await using/.test(e.code), `README line ${e.line}: await using in plain JS is a syntax error on Node 20`);
    t.regex(e.code, /from 'sentencevae'|require\('sentencevae'\)/, `README line ${e.line} imports the package`);
  }
});

test('README: every program type-checks in strict mode against the declarations, without @types/node in the app', async (t) => {
  const app = mkdtempSync(join(tmpdir(), 'svae-readme-'));
  mkdirSync(join(app, 'node_modules'));
  symlinkSync(packageRoot, join(app, 'node_modules', 'sentencevae'), 'dir');
  mkdirSync(join(app, 'examples'));
  for (const e of readmeExamples(join(packageRoot, 'README.md'))) writeFileSync(join(app, 'examples', e.file), e.code);
  writeFileSync(join(app, 'package.json'), '{"name":"consumer","private":true}');
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', lib: ['ES2023', 'ESNext.Disposable'], module: 'NodeNext', moduleResolution: 'NodeNext',
      strict: true, types: [], allowJs: true, checkJs: true, noEmit: true, skipLibCheck: true,
    },
    include: ['examples'],
  }));
  const tsc = await run(process.execPath, [join(packageRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app });
  t.is(tsc.code, 0, `${tsc.stdout}${tsc.stderr}`);
});
