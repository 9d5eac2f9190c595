/**
 * Hostile values and the mutation of valid argument lists: each fuzz case starts from a valid
 * call of a public entry point and replaces one or more values (top-level arguments or fields of
 * nested option objects and arrays) with something a careless or hostile caller might pass.
 */

/** A seeded PRNG (mulberry32): case `seed` always builds the same arguments. */
export function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
}

function detachedArray() {
  const a = new Float32Array(4);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
}

/** Values no API should accept silently where it expects something else (fresh each call). */
export function hostileValues() {
  return [
    undefined, null, NaN, -1, 0, 1, 0.5, -0, 7, 1e9, 2 ** 31, 2 ** 53, Number.MAX_VALUE, Infinity, -Infinity,
    '', 'x', 'tiny', 'cpu', 'cuda', 'float16', '\u0000', '\ud800', 'a'.repeat(20000), '../../etc/passwd', '/proc/self/mem',
    [], [null], [1, 'a'], [[]], [-1], [1e9], [NaN], [[2, 5, -1]], Array(3), new Array(1e5).fill(1),
    {}, { length: 3 }, Object.create(null), { __proto__: null, toString: 1 }, { then: 1 },
    () => 1, Symbol('s'), 10n, -1n, true, false,
    new Int32Array([5, -1, 1e9]), new Float32Array([NaN, Infinity]), new Float64Array(3), new Uint8Array(0), new Uint16Array(2),
    new BigInt64Array(2), new Int32Array(new SharedArrayBuffer(16)), detachedArray(), new ArrayBuffer(8), Buffer.from('abc'),
    new Date(0), /re/, new Map([['a', 1]]), new Set([1]), Promise.resolve(1), new Error('not an option'),
  ];
}

const isPlain = (v) => v !== null && typeof v === 'object' && (Object.getPrototypeOf(v) === Object.prototype || Array.isArray(v));

/** Paths (arrays of keys) to every value inside plain objects and arrays, up to depth 3. */
function paths(value, prefix = [], depth = 0, out = []) {
  if (!isPlain(value) || depth > 3) return out;
  const keys = Array.isArray(value) ? [...value.keys()].slice(0, 8) : Object.keys(value);
  for (const k of keys) {
    out.push([...prefix, k]);
    paths(value[k], [...prefix, k], depth + 1, out);
  }
  return out;
}

function setAt(root, path, v) {
  let o = root;
  for (let i = 0; i < path.length - 1; i++) o = o[path[i]];
  o[path.at(-1)] = v;
}

/**
 * Mutates `args` (a fresh valid argument list) in place: 1–3 replacements by hostile values,
 * sometimes an unknown option, sometimes a dropped one, sometimes extra or missing arguments.
 * Returns a short description of what changed.
 */
export function mutate(args, r, extraHostile = []) {
  const pool = [...hostileValues(), ...extraHostile];
  const changes = [];
  const n = 1 + r.int(3);
  for (let k = 0; k < n; k++) {
    const all = [...args.keys()].map((i) => [i]).concat(paths(args).filter((p) => p.length > 1));
    const choice = r.int(10);
    if (choice === 0) {
      args.length = r.int(args.length + 1);
      changes.push(`arguments cut to ${args.length}`);
    } else if (choice === 1) {
      args.push(r.pick(pool));
      changes.push('an extra argument');
    } else if (all.length > 0) {
      const p = r.pick(all);
      const v = r.pick(pool);
      if (r.chance(0.1) && p.length > 1) {
        let o = args;
        for (let i = 0; i < p.length - 1; i++) o = o[p[i]];
        if (!Array.isArray(o)) {
          delete o[p.at(-1)];
          changes.push(`deleted ${p.join('.')}`);
          continue;
        }
      }
      setAt(args, p, v);
      changes.push(`${p.join('.')} = ${label(v)}`);
    }
  }
  return changes.join('; ');
}

export function label(v) {
  try {
    if (typeof v === 'string') return JSON.stringify(v.length > 20 ? `${v.slice(0, 17)}...(${v.length})` : v);
    if (typeof v === 'symbol' || typeof v === 'bigint') return `${String(v)}${typeof v === 'bigint' ? 'n' : ''}`;
    if (typeof v === 'function') return 'a function';
    if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.length ?? v.byteLength})`;
    if (Array.isArray(v)) return v.length > 6 ? `array(${v.length})` : JSON.stringify(v);
    if (v !== null && typeof v === 'object') return v.constructor ? `${v.constructor.name} object` : 'null-prototype object';
    return String(v);
  } catch {
    return typeof v;
  }
}
