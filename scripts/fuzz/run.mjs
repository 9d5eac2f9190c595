#!/usr/bin/env node
/**
 * `npm run fuzz -- [--seconds 60] [--workers 2] [--case-timeout 10] [--seed 1] [--only a,b]
 * [--files 0.3] [--memory-mb 6144] [--out bench/results/fuzz.json] [--replay target:seed]`
 *
 * Our hostile-input suite: random and malformed arguments to every public entry point and
 * mutated model files, each case in a pool of child processes (scripts/fuzz/worker.mjs) that is
 * replaced when a case crashes it (a signal or an abnormal exit) or hangs (over --case-timeout
 * seconds: the worker is killed). Prints and writes counts: cases, accepted, typed errors
 * (SentenceVaeError), untyped errors (with examples), crashes, hangs. Not part of CI: bounded by
 * --seconds, not by a fixed list. Every case is reproducible from its target and seed
 * (`--replay target:seed`). Needs a built addon and `tsc` output (npm run fuzz builds both).
 */
import { spawn } from 'node:child_process';
import { cpus, freemem, totalmem } from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const seconds = Number(opt('--seconds', '60'));
const workers = Number(opt('--workers', '2'));
const caseTimeoutMs = 1000 * Number(opt('--case-timeout', '10'));
const setupTimeoutMs = 1000 * Number(opt('--setup-timeout', '180'));
const baseSeed = Number(opt('--seed', '1'));
const filesShare = Number(opt('--files', '0.3'));
const memoryMb = Number(opt('--memory-mb', '6144'));
const only = opt('--only')?.split(',');
const replay = opt('--replay');
const out = opt('--out', join(root, 'bench', 'results', 'fuzz.json'));
const scratch = mkdtempSync(join(tmpdir(), 'svae-fuzz-'));

/** A 32-bit hash of (base seed, case id): the case's own seed. */
const caseSeed = (id) => {
  let h = (Math.imul(baseSeed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(id + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
};
const pick = (list, seed) => list[seed % list.length];

const stats = {
  cases: 0, ok: 0, typed: 0, untyped: 0, crashes: 0, hangs: 0, stray: 0, setupFailures: 0,
  byTarget: {}, untypedExamples: {}, crashExamples: [], hangExamples: [], undefinedInMessage: [], baselineFailures: {},
};
const perTarget = (t) => (stats.byTarget[t] ??= { cases: 0, ok: 0, typed: 0, untyped: 0, crashes: 0, hangs: 0 });

function record(c, outcome, detail = {}) {
  const key = { ok: 'ok', typed: 'typed', untyped: 'untyped', crash: 'crashes', hang: 'hangs' }[outcome];
  if (detail.stray) {
    // An error that escaped a case already counted: it turns into an untyped error.
    stats.stray++;
  } else {
    stats.cases++;
    stats[key]++;
    perTarget(c.target).cases++;
    perTarget(c.target)[key]++;
  }
  const where = { target: c.target, seed: c.seed, mutation: c.mutation };
  if (outcome === 'untyped') {
    const e = detail.error ?? { name: '?', message: '' };
    const group = `${c.target} | ${e.name}: ${e.message.replace(/\d+/g, 'N').slice(0, 90)}`;
    const g = (stats.untypedExamples[group] ??= { count: 0, example: { ...where, via: detail.via, error: e } });
    g.count++;
  }
  if (outcome === 'typed' && detail.error && /undefined/.test(detail.error.message.replace(/(received|of type|type) undefined/g, ''))) {
    if (stats.undefinedInMessage.length < 20) stats.undefinedInMessage.push({ ...where, message: detail.error.message });
  }
  if (outcome === 'crash' && stats.crashExamples.length < 20) stats.crashExamples.push({ ...where, ...detail });
  if (outcome === 'hang' && stats.hangExamples.length < 20) stats.hangExamples.push(where);
  if (c.mutation === 'none (valid call)' && outcome !== 'ok') {
    stats.baselineFailures[c.target] ??= { ...where, outcome, error: detail.error };
  }
}

let targets;
let nextId = 0;
const started = Date.now();
const deadline = started + seconds * 1000;
const timeLeft = () => (replay ? nextId === 0 : Date.now() < deadline);
let live = 0;
let finish;
const finished = new Promise((resolve) => (finish = resolve));

function nextCase() {
  const id = nextId++;
  const seed = caseSeed(id);
  if (replay) {
    const [target, s] = replay.split(/:(?=\d+$)/);
    return { type: 'case', id, target, seed: Number(s) };
  }
  const files = targets.filter((t) => t.startsWith('files:'));
  const api = targets.filter((t) => !t.startsWith('files:'));
  const useFiles = files.length > 0 && (api.length === 0 || (seed % 1000) / 1000 < filesShare);
  return { type: 'case', id, target: pick(useFiles ? files : api, seed >>> 10), seed };
}

function spawnWorker(n) {
  const dir = join(scratch, `w${n}-${Date.now()}`);
  // Workers run inside the scratch folder: hostile relative paths ('cpu', 'x', …) given to save()
  // and friends must land there, never in the repository.
  const cwd = join(scratch, `cwd-${n}-${Date.now()}`);
  mkdirSync(cwd, { recursive: true });
  const limit = memoryMb > 0 ? `ulimit -v ${memoryMb * 1024} 2>/dev/null; ` : '';
  const child = spawn('sh', ['-c', `${limit}exec "${process.execPath}" --max-old-space-size=1536 "${join(here, 'worker.mjs')}"`], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    cwd,
    env: { ...process.env, FUZZ_ROOT: root, FUZZ_WORKDIR: dir, SENTENCEVAE_THREADS: '1' },
  });
  live++;
  let stderr = '';
  let inFlight;
  let timer;
  let ready = false;
  let ended = false;
  child.stderr.on('data', (d) => { stderr = (stderr + d.toString()).slice(-2000); });
  const send = () => {
    if (!timeLeft()) {
      ended = true;
      child.kill('SIGKILL');
      return;
    }
    inFlight = nextCase();
    child.send(inFlight);
    clearTimeout(timer);
    timer = setTimeout(() => {
      record(inFlight, 'hang');
      inFlight.recorded = true;
      child.kill('SIGKILL');
    }, caseTimeoutMs);
  };
  const setupTimer = setTimeout(() => {
    if (!ready) {
      stats.setupFailures++;
      console.error(`fuzz: worker ${n} did not finish its setup in ${setupTimeoutMs / 1000} s\n${stderr}`);
      child.kill('SIGKILL');
    }
  }, setupTimeoutMs);
  child.on('message', (m) => {
    if (m.type === 'ready') {
      ready = true;
      clearTimeout(setupTimer);
      targets ??= m.targets.filter((t) => !only || only.some((o) => t.includes(o)));
      if (targets.length === 0) {
        console.error(`fuzz: no target matches --only ${only}; targets: ${m.targets.join(', ')}`);
        process.exit(2);
      }
      send();
    } else if (m.type === 'started' && inFlight && m.id === inFlight.id) {
      inFlight.mutation = m.mutation;
    } else if (m.type === 'stray') {
      record({ target: m.target, seed: m.seed, mutation: m.mutation }, 'untyped', { error: m.error, via: m.via, stray: true });
    } else if (m.type === 'result' && inFlight && m.id === inFlight.id && !inFlight.recorded) {
      clearTimeout(timer);
      record({ ...inFlight, mutation: m.mutation }, m.outcome, { error: m.error, via: m.via });
      if (replay) console.log(JSON.stringify(m, null, 2));
      inFlight = undefined;
      send();
    }
  });
  child.on('exit', (code, signal) => {
    live--;
    clearTimeout(timer);
    clearTimeout(setupTimer);
    if (inFlight && !inFlight.recorded) record(inFlight, 'crash', { signal, code, stderr: stderr.slice(-600) });
    if (!ready && !ended && !inFlight) {
      stats.setupFailures++;
      console.error(`fuzz: worker ${n} failed during setup (code ${code}, signal ${signal})\n${stderr}`);
    }
    rmSync(dir, { recursive: true, force: true });
    if (timeLeft() && stats.setupFailures < 3) spawnWorker(n);
    else if (live === 0) finish();
  });
}

for (let n = 0; n < (replay ? 1 : workers); n++) spawnWorker(n);
const ticker = replay ? undefined : setInterval(() => {
  console.error(`fuzz: ${Math.round((Date.now() - started) / 1000)} s, ${stats.cases} cases: ${stats.ok} accepted, ${stats.typed} typed, ${stats.untyped} untyped, ${stats.crashes} crashes, ${stats.hangs} hangs`);
}, 15_000);
await finished;
clearInterval(ticker);
rmSync(scratch, { recursive: true, force: true });

const wall = (Date.now() - started) / 1000;
const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGB: Math.round(totalmem() / 2 ** 30), freeGB: Math.round(freemem() / 2 ** 30), node: process.version };
const command = `npm run fuzz -- ${argv.join(' ')}`.trim();
const summary = {
  date: new Date().toISOString(), command, seconds: wall, workers, caseTimeoutSeconds: caseTimeoutMs / 1000, seed: baseSeed, machine,
  cases: stats.cases, accepted: stats.ok, typedErrors: stats.typed, untypedErrors: stats.untyped, crashes: stats.crashes, hangs: stats.hangs,
  strayErrors: stats.stray, setupFailures: stats.setupFailures,
  untyped: Object.entries(stats.untypedExamples).sort((a, b) => b[1].count - a[1].count).map(([group, g]) => ({ group, ...g })),
  crashExamples: stats.crashExamples, hangExamples: stats.hangExamples, typedMessagesWithUndefined: stats.undefinedInMessage,
  baselineFailures: stats.baselineFailures, byTarget: stats.byTarget,
};
if (!replay) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
}

console.log(`\nfuzz: ${command} — ${wall.toFixed(0)} s, ${workers} workers, ${machine.cpus} CPUs (${machine.cpu})`);
console.log(`cases ${stats.cases} | accepted ${stats.ok} | typed errors ${stats.typed} | untyped errors ${stats.untyped} | crashes ${stats.crashes} | hangs ${stats.hangs}`);
if (summary.untyped.length > 0) {
  console.log('\nuntyped errors (grouped; one example each, replay with --replay target:seed):');
  for (const g of summary.untyped.slice(0, 30)) console.log(`  ${g.count} × ${g.group}\n      e.g. ${g.example.target}:${g.example.seed} (${g.example.mutation})`);
}
for (const c of stats.crashExamples) console.log(`crash: ${c.target}:${c.seed} (${c.mutation}) signal ${c.signal} code ${c.code}`);
for (const h of stats.hangExamples) console.log(`hang: ${h.target}:${h.seed} (${h.mutation})`);
for (const u of stats.undefinedInMessage.slice(0, 10)) console.log(`'undefined' in a message: ${u.target}:${u.seed}: ${u.message}`);
for (const [t, b] of Object.entries(stats.baselineFailures)) console.log(`valid call failed (a broken target?): ${t}: ${b.outcome} ${b.error?.message ?? ''}`);
if (!replay) console.log(`wrote ${out}`);
