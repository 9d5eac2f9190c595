/**
 * Issue 15, item 5: calls that used to hang (a recursive mkdir on /proc, a FIFO or /dev/urandom in
 * place of a model file) must end at once with a typed error. Each suspect call runs in a child
 * process killed after a bound, so a regression fails the test instead of hanging the suite.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { FormatError, OPT } from '../../lib/index.js';
import { readTextFile } from '../../lib/internal.js';
import { packageRoot } from '../../lib/native/loader.js';
import { cliPath, indexUrl, reportError, runBounded, runScript } from './bounded.js';

const fixture = join(packageRoot, 'test', 'fixtures', 'opt', 'pre-ln');
const scratch = () => mkdtempSync(join(tmpdir(), 'svae-special-'));
const tinyVae = "await svae.SentenceVAE.create({ preset: 'tiny', config: { hidden: 64, heads: 2, ffn: 128 } })";

interface Reported { name?: string; message?: string; errno?: string | null; ok?: boolean }

test('vae.save to a folder under /proc ends with a FileSystemError instead of never settling', async (t) => {
  const { result, run } = await runScript<Reported>(`const svae = await import(INDEX); const vae = ${tinyVae}; ${reportError("vae.save('/proc/svae-x/model')")}`);
  t.is(run.signal, null, `the child hung and was killed; stderr: ${run.stderr}`);
  t.is(result?.name, 'FileSystemError', run.stderr);
  t.regex(result?.message ?? '', /Cannot create the folder \/proc\/svae-x\/model: \/proc does not accept new folders/);
  t.is(result?.errno, 'ENOENT');
});

test('train-vae --out /proc/x and graft --out /proc/x fail at once, before a model is built', async (t) => {
  const r = await runBounded(process.execPath, [cliPath, 'train-vae', '--preset', 'tiny', '--out', '/proc/svae-x', '--max-steps', '1']);
  t.is(r.signal, null, `the CLI hung and was killed; stderr: ${r.stderr}`);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /Cannot create the folder \/proc\/svae-x/);
  t.notRegex(r.stderr, /parameters/, 'no model was built');
  const g = await runBounded(process.execPath, [cliPath, 'graft', '--opt', fixture, '--out', '/proc/svae-x/sllm']);
  t.is(g.signal, null, `the CLI hung and was killed; stderr: ${g.stderr}`);
  t.is(g.code, 1, g.stderr);
  t.regex(g.stderr, /sentencevae graft: Cannot create the folder \/proc\/svae-x\/sllm/);
});

test('a FIFO or /dev/urandom in place of any file of an OPT folder is a FormatError naming it, never a hang', async (t) => {
  const cases: { dir: string; file: string; kind: string }[] = [];
  for (const file of ['config.json', 'tokenizer.json', 'model.safetensors', 'pytorch_model.bin']) {
    for (const kind of ['fifo', 'urandom']) {
      const dir = scratch();
      cpSync(fixture, dir, { recursive: true });
      if (file === 'pytorch_model.bin') rmSync(join(dir, 'model.safetensors')); // so that the .bin is the one read
      rmSync(join(dir, file));
      if (kind === 'fifo') execFileSync('mkfifo', [join(dir, file)]);
      else symlinkSync('/dev/urandom', join(dir, file));
      cases.push({ dir, file, kind });
    }
  }
  const script = `const svae = await import(INDEX); const out = [];
    for (const c of ${JSON.stringify(cases)}) {
      try { await svae.OPT.load(c.dir); out.push({ ...c, ok: true }); }
      catch (e) { out.push({ ...c, name: e.name, message: e.message }); }
    }
    console.log(JSON.stringify(out));`;
  const { result, run } = await runScript<(Reported & { file: string; kind: string })[]>(script, 60_000);
  t.is(run.signal, null, `the child hung and was killed; stderr: ${run.stderr}`);
  t.is(result?.length, cases.length, run.stderr);
  for (const r of result ?? []) {
    t.is(r.name, 'FormatError', `${r.file} as ${r.kind}: ${r.message}`);
    t.regex(r.message ?? '', new RegExp(`Expected a regular file for .*${r.file.replace('.', '\\.')} but received ${r.kind === 'fifo' ? 'a FIFO' : 'a character device'}`));
  }
});

test('the native tensor reader and the corpus reader refuse a FIFO without blocking', async (t) => {
  const dir = scratch();
  const fifo = join(dir, 'corpus.txt');
  execFileSync('mkfifo', [fifo]);
  const loader = new URL('native/loader.js', indexUrl).href;
  const script = `const svae = await import(INDEX); const { addon } = await import(${JSON.stringify(loader)}); const out = {};
    try { await addon().io.readTensorSlices(${JSON.stringify(fifo)}, []); out.native = 'ok'; } catch (e) { out.native = e.message; }
    try { for await (const p of svae.readCorpus(${JSON.stringify(fifo)})) void p; out.corpus = 'ok'; } catch (e) { out.corpus = e.name + ': ' + e.message; }
    console.log(JSON.stringify(out));`;
  const { result, run } = await runScript<{ native?: string; corpus?: string }>(script);
  t.is(run.signal, null, `the child hung and was killed; stderr: ${run.stderr}`);
  t.regex(result?.native ?? '', /Expected a regular file for .*corpus\.txt but received a FIFO/, run.stderr);
  t.regex(result?.corpus ?? '', /^FormatError: Expected a regular file for .*corpus\.txt but received a FIFO/);
});

test('oversized JSON and tokenizer files are refused with the file, the limit and the size', async (t) => {
  const dir = scratch();
  cpSync(fixture, dir, { recursive: true });
  truncateSync(join(dir, 'config.json'), 17 * 1024 * 1024); // sparse: costs no disk
  const config = await t.throwsAsync(OPT.load(dir), { instanceOf: FormatError });
  t.regex(config?.message ?? '', /config\.json is 17825792 bytes, over the 16777216-byte limit for a JSON file/);

  cpSync(join(fixture, 'config.json'), join(dir, 'config.json'));
  truncateSync(join(dir, 'tokenizer.json'), 300 * 1024 * 1024);
  const tok = await t.throwsAsync(OPT.load(dir), { instanceOf: FormatError });
  t.regex(tok?.message ?? '', /tokenizer\.json is 314572800 bytes, over the 268435456-byte limit for a tokenizer file/);

  t.is(await readTextFile(join(fixture, 'config.json')), await readTextFile(join(fixture, 'config.json'), { maxBytes: 422 }), 'a file at the limit is read');
  await t.throwsAsync(readTextFile(join(fixture, 'config.json'), { maxBytes: 421 }), { message: /is 422 bytes, over the 421-byte limit/ });
});

// A read-only file system needs a mount: done in a private user + mount namespace (unshare -rm),
// which changes nothing outside the child. Where namespaces are not allowed, this is reported.
test('on a read-only file system, making an output folder says EROFS (not ENOENT)', async (t) => {
  if (spawnSync('unshare', ['-rm', 'true']).status !== 0) {
    t.log('skipped: this machine does not allow unshare -rm (user + mount namespaces)');
    t.pass();
    return;
  }
  const ro = scratch();
  const script = `const svae = await import(INDEX); const vae = ${tinyVae}; const out = {};
    for (const [k, p] of [['missing', ${JSON.stringify(join(ro, 'a', 'b'))}], ['existing', ${JSON.stringify(ro)}]]) {
      try { await vae.save(p); out[k] = 'ok'; } catch (e) { out[k] = { name: e.name, errno: e.errno ?? null, message: e.message }; }
    }
    console.log(JSON.stringify(out));`.replaceAll('INDEX', JSON.stringify(indexUrl));
  const r = await runBounded('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o ro,size=64k tmpfs "$0" && exec "$1" --input-type=module -e "$2"`, ro, process.execPath, script]);
  t.is(r.signal, null, `the child hung and was killed; stderr: ${r.stderr}`);
  const result = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, { name: string; errno: string; message: string }>;
  t.is(result.missing?.name, 'FileSystemError', r.stderr);
  t.is(result.missing?.errno, 'EROFS');
  t.regex(result.missing?.message ?? '', /Cannot create the folder .*\/a\/b: .*\/a is on a read-only file system \(EROFS\)/);
  t.is(result.existing?.errno, 'EROFS', 'an existing read-only folder is refused before anything is written');
  t.regex(result.existing?.message ?? '', /Cannot write into the folder/);
  t.false(existsSync(join(ro, 'a')), 'outside the namespace nothing was mounted or made');
});
