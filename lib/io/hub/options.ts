/**
 * Options of `fromPretrained` / `hf:` ids and their environment defaults, the same variables
 * Python's huggingface_hub reads (so both share one cache and one configuration).
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

import { getHFHubCachePath } from '@huggingface/hub';

import { expectOptions, invalid } from '../../validate.js';

/** One step of a download, for a `progress` callback. */
export interface HubProgressEvent {
  /** The repository ("ORG/NAME"). */
  repo: string;
  /** The file in the repository ("model.safetensors"). */
  file: string;
  /** 'start' before the first byte, 'progress' as bytes arrive, 'done' once verified and in the cache. */
  phase: 'start' | 'progress' | 'done';
  /** Bytes received so far. */
  loaded: number;
  /** The file's size as the Hub lists it. */
  total: number;
}

export interface HubOptions {
  /**
   * Branch, tag or commit to load. An id may also carry it: `'ORG/NAME@v1.0'`.
   * @default 'main'
   * @example
   * ```ts
   * await OPT.fromPretrained('facebook/opt-125m', { revision: '27dcfa74d334bc871f3234de431e71c6eeba5dd6' });
   * ```
   */
  revision?: string;
  /**
   * The Hugging Face cache folder (layout `models--ORG--NAME/{blobs,snapshots,refs}`, shared
   * with Python's huggingface_hub).
   * @default HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub
   * @example
   * ```ts
   * await SLLM.fromPretrained('my-org/my-sllm', { cacheDir: '/data/hf-cache' });
   * ```
   */
  cacheDir?: string;
  /**
   * The Hub's base URL (a mirror, or a local server in tests).
   * @default HF_ENDPOINT, else 'https://huggingface.co'
   * @example
   * ```ts
   * await OPT.fromPretrained('facebook/opt-125m', { endpoint: 'http://127.0.0.1:8080' });
   * ```
   */
  endpoint?: string;
  /**
   * Access token for gated and private repositories (starts with `hf_`).
   * @default HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, else the file HF_TOKEN_PATH or $HF_HOME/token (written by `huggingface-cli login`), else none
   * @example
   * ```ts
   * await OPT.fromPretrained('my-org/private-opt', { token: process.env.MY_TOKEN });
   * ```
   */
  token?: string;
  /**
   * Never touch the network: serve from the cache or fail with a HubOfflineError listing
   * exactly what is missing.
   * @default true when HF_HUB_OFFLINE is 1/true/yes/on, else false
   * @example
   * ```ts
   * await OPT.fromPretrained('facebook/opt-125m', { offline: true });
   * ```
   */
  offline?: boolean;
  /**
   * Download progress: `true` draws a bar on stderr when it is a terminal and writes log lines
   * otherwise; `false` is silent; a function receives every event instead.
   * @default true, unless HF_HUB_DISABLE_PROGRESS_BARS is 1/true/yes/on
   * @example
   * ```ts
   * await OPT.fromPretrained('facebook/opt-125m', { progress: (e) => e.phase === 'done' && console.log(e.file) });
   * ```
   */
  progress?: boolean | ((event: HubProgressEvent) => void);
}

/** HubOptions with every default applied. */
export interface ResolvedHubOptions {
  revision: string | undefined;
  cacheDir: string;
  endpoint: string;
  token: string | undefined;
  offline: boolean;
  progress: false | 'auto' | ((event: HubProgressEvent) => void);
}

export const hubOptionNames = ['revision', 'cacheDir', 'endpoint', 'token', 'offline', 'progress'] as const;

const truthy = (v: string | undefined): boolean => v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase());

/** Splits `{ ...hubOptions, ...loadOptions }` into the two (the load options keep their own checks). */
export function splitHubOptions<T extends object>(options: (T & HubOptions) | undefined): { hub: HubOptions; rest: T } {
  const o = expectOptions(options) as Record<string, unknown>;
  const hub: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) ((hubOptionNames as readonly string[]).includes(k) ? hub : rest)[k] = v;
  return { hub: hub as HubOptions, rest: rest as T };
}

/** A revision usable as a path under refs/ (as Python's huggingface_hub stores it). */
export function checkRevision(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '' || value.length > 256 || /[\0\\]/.test(value) || value.startsWith('/') || value.split('/').some((p) => p === '' || p === '.' || p === '..')) {
    invalid("branch, tag or commit name (e.g. 'main', 'v1.0', a 40-hex commit)", name, value);
  }
  return value;
}

/** Checks HubOptions and fills the defaults from the environment. */
export function resolveHubOptions(options: HubOptions | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedHubOptions {
  const o = expectOptions(options);
  const revision = o.revision === undefined ? undefined : checkRevision(o.revision, 'revision');

  if (o.cacheDir !== undefined && (typeof o.cacheDir !== 'string' || o.cacheDir === '')) invalid('non-empty folder path', 'cacheDir', o.cacheDir);
  const cacheDir = o.cacheDir ?? getHFHubCachePath();

  const endpointRaw = o.endpoint ?? (env.HF_ENDPOINT || undefined) ?? 'https://huggingface.co';
  const endpointName = o.endpoint === undefined && env.HF_ENDPOINT ? 'HF_ENDPOINT' : 'endpoint';
  if (typeof endpointRaw !== 'string') invalid("http(s) URL (e.g. 'https://huggingface.co')", endpointName, endpointRaw);
  let endpoint: string;
  try {
    const url = new URL(endpointRaw);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) throw new Error('not http(s)');
    endpoint = url.href.replace(/\/+$/, '');
  } catch {
    invalid("http(s) URL (e.g. 'https://huggingface.co')", endpointName, endpointRaw);
  }

  const tokenRaw = o.token ?? (env.HF_TOKEN || undefined) ?? (env.HUGGING_FACE_HUB_TOKEN || undefined);
  if (tokenRaw !== undefined && (typeof tokenRaw !== 'string' || !/^hf_\S+$/.test(tokenRaw.trim()))) {
    // Never echo a token: describe() would print it.
    const name = o.token !== undefined ? 'token' : env.HF_TOKEN ? 'HF_TOKEN' : 'HUGGING_FACE_HUB_TOKEN';
    invalid("Hugging Face access token (starts with 'hf_')", name, typeof tokenRaw === 'string' ? `a string of ${tokenRaw.length} characters` : tokenRaw);
  }

  if (o.offline !== undefined && typeof o.offline !== 'boolean') invalid('boolean', 'offline', o.offline);
  const offline = o.offline ?? truthy(env.HF_HUB_OFFLINE);

  const p = o.progress;
  if (p !== undefined && typeof p !== 'boolean' && typeof p !== 'function') invalid('boolean or function', 'progress', p);
  const progress = p === undefined ? (truthy(env.HF_HUB_DISABLE_PROGRESS_BARS) ? false : 'auto') : p === true ? 'auto' : p;

  return { revision, cacheDir, endpoint, token: tokenRaw?.trim(), offline, progress };
}

/** The token file Python's `huggingface-cli login` writes, when no token was given otherwise. */
export function tokenFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_TOKEN_PATH) return env.HF_TOKEN_PATH;
  const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return isAbsolute(home) ? join(home, 'token') : join(process.cwd(), home, 'token');
}
