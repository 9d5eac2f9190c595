// The prebuilt addon's checks (issue 16, "Install"): the install script (scripts/libtorch.mjs) and
// the loader (lib/native/prebuilt.ts) use a prebuilt only for the LibTorch it was built against.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import test from 'ava';

import { addonCandidates, packageRoot } from '../../lib/native/loader.js';
import { prebuiltProblem, type PrebuiltMeta } from '../../lib/native/prebuilt.js';

interface LibtorchScript {
  findTorchConfig(env?: NodeJS.ProcessEnv): { source: string; configDir: string } | null;
  describeTorch(configDir: string): { version: string; cxx11abi: number | null } | null;
  prebuiltMismatch(meta: PrebuiltMeta, env?: NodeJS.ProcessEnv): string | null;
}
const script = (await import(pathToFileURL(join(packageRoot, 'scripts', 'libtorch.mjs')).href)) as LibtorchScript;

/** A description of an addon built against this machine's LibTorch (as scripts/prebuild.mjs writes it). */
function thisMachine(): PrebuiltMeta {
  const torch = script.findTorchConfig();
  if (!torch) throw new Error('no LibTorch on this machine');
  const d = script.describeTorch(torch.configDir);
  if (!d) throw new Error(`unreadable LibTorch config in ${torch.configDir}`);
  return {
    platform: process.platform, arch: process.arch, napiVersion: 8,
    libtorch: { version: d.version, cxx11abi: d.cxx11abi, configDir: torch.configDir, prefix: '/usr', source: torch.source, cuda: false },
    compiler: { id: 'GNU', version: '12.2.0' },
  };
}

/** A prebuilt folder holding the real addon and `meta`. */
function prebuiltFolder(meta: PrebuiltMeta): string {
  const dir = mkdtempSync(join(tmpdir(), 'svae-prebuilt-'));
  const addon = join(packageRoot, 'build', 'cmake', 'Release', 'sentencevae.node');
  mkdirSync(dir, { recursive: true });
  if (existsSync(addon)) copyFileSync(addon, join(dir, 'sentencevae.node'));
  writeFileSync(join(dir, 'sentencevae.json'), JSON.stringify(meta));
  return join(dir, 'sentencevae.node');
}

test('the loader tries the prebuilt last, after the cmake-js and node-gyp builds', (t) => {
  const paths = addonCandidates({});
  t.regex(paths[2]!, new RegExp(`prebuilds/${process.platform}-${process.arch}/sentencevae\\.node$`));
});

test('a prebuilt for this machine passes both checks', (t) => {
  const meta = thisMachine();
  t.is(prebuiltProblem(prebuiltFolder(meta)), null);
  t.is(script.prebuiltMismatch(meta), null);
});

test('a prebuilt for another LibTorch version, ABI, platform, Node-API or LibTorch folder is refused with the reason', (t) => {
  const good = thisMachine();
  const cases: [PrebuiltMeta, RegExp][] = [
    [{ ...good, libtorch: { ...good.libtorch, version: '2.99.0' } }, /LibTorch 2\.99\.0.*is \d/],
    [{ ...good, libtorch: { ...good.libtorch, cxx11abi: good.libtorch.cxx11abi === 1 ? 0 : 1 } }, /_GLIBCXX_USE_CXX11_ABI/],
    [{ ...good, arch: 'riscv64' }, /riscv64/],
    [{ ...good, napiVersion: 999 }, /Node-API 999/],
    [{ ...good, libtorch: { ...good.libtorch, configDir: '/nonexistent/cmake/Torch' } }, /nonexistent/],
  ];
  for (const [meta, reason] of cases) {
    t.regex(prebuiltProblem(prebuiltFolder(meta)) ?? 'accepted', reason, JSON.stringify(meta));
    t.regex(script.prebuiltMismatch(meta) ?? 'accepted', /./, JSON.stringify(meta));
    t.not(script.prebuiltMismatch(meta), null, JSON.stringify(meta));
  }
});

test('a prebuilt without its description is refused', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'svae-prebuilt-'));
  writeFileSync(join(dir, 'sentencevae.node'), 'x');
  t.regex(prebuiltProblem(join(dir, 'sentencevae.node')) ?? '', /without its sentencevae\.json/);
  writeFileSync(join(dir, 'sentencevae.json'), '{not json');
  t.regex(prebuiltProblem(join(dir, 'sentencevae.node')) ?? '', /unreadable/);
  t.notThrows(() => readFileSync(join(dir, 'sentencevae.json')));
});
