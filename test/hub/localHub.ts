/**
 * A Hub-shaped HTTP server on 127.0.0.1 (random port) for the hub tests: the routes
 * @huggingface/hub calls and the headers it reads, as huggingface.co answers them:
 *
 * - GET /api/models/ORG/NAME/revision/REV  → model info with `sha` (404 + X-Error-Code
 *   RepoNotFound / RevisionNotFound as the Hub sends them)
 * - GET /api/models/ORG/NAME/tree/REV      → the file listing (oid = git blob sha1; LFS files
 *   with lfs.oid = sha256 and lfs.size)
 * - GET /ORG/NAME/resolve/REV/FILE         → the file, honouring Range; LFS files are a 302 to
 *   /cdn/<sha256> as the Hub redirects to its CDN; X-Repo-Commit, ETag / X-Linked-Etag,
 *   X-Linked-Size; 404 EntryNotFound for a missing file
 *
 * Faults for tests: `cutOnce(file, bytes)` sends the headers of the whole file, `bytes` bytes,
 * then destroys the socket; `gate(repo, token)` answers 401 GatedRepo without that token.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

interface RepoFile { content: Buffer; oid: string; sha256: string; lfs: boolean }
interface Repo { commit: string; branches: Map<string, string>; files: Map<string, RepoFile>; token?: string }

const isLfs = (name: string): boolean => /\.(safetensors|bin)$/.test(name);
const gitOid = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

export class LocalHub {
  readonly #server: Server;
  readonly #repos = new Map<string, Repo>();
  readonly #cuts = new Map<string, number>();
  readonly #sockets = new Set<import('node:net').Socket>();
  /** Every request as "METHOD path". */
  readonly requests: string[] = [];

  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  static async start(): Promise<LocalHub> {
    const server = createServer();
    const hub = new LocalHub(server);
    server.on('request', (req, res) => hub.#handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return hub;
  }

  /** The base URL (still known after close(), for tests of an unreachable Hub). */
  url = '';

  /** Publishes the files of `dir` (top level) as repository `name` on branch `main`; returns the commit. */
  addRepo(name: string, dir: string, options: { exclude?: string[] } = {}): string {
    const files = new Map<string, RepoFile>();
    for (const f of readdirSync(dir).sort()) {
      if (options.exclude?.includes(f) || !statSync(join(dir, f)).isFile()) continue;
      const content = readFileSync(join(dir, f));
      files.set(f, { content, oid: gitOid(content), sha256: createHash('sha256').update(content).digest('hex'), lfs: isLfs(f) });
    }
    const commit = createHash('sha1').update(name).update([...files.values()].map((f) => f.oid).join()).digest('hex');
    this.#repos.set(name, { commit, branches: new Map([['main', commit]]), files });
    return commit;
  }

  /** Requires `Authorization: Bearer <token>` for `repo` (a gated repository). */
  gate(repo: string, token: string): void {
    this.#repos.get(repo)!.token = token;
  }

  /** The next download of `file` (any repository) breaks after `bytes` bytes. */
  cutOnce(file: string, bytes: number): void {
    this.#cuts.set(file, bytes);
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  }

  #error(res: ServerResponse, status: number, code: string, message: string): void {
    this.#json(res, status, { error: message }, { 'x-error-code': code });
  }

  /** The repository and commit of a request, or an error answered. */
  #find(req: IncomingMessage, res: ServerResponse, name: string, rev: string): { repo: Repo; commit: string } | undefined {
    const repo = this.#repos.get(name);
    if (!repo) {
      this.#error(res, 404, 'RepoNotFound', 'Repository not found');
      return undefined;
    }
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      this.#error(res, 401, 'GatedRepo', `Access to model ${name} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      return undefined;
    }
    const commit = repo.branches.get(rev) ?? (rev === repo.commit ? rev : undefined);
    if (!commit) {
      this.#error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      return undefined;
    }
    return { repo, commit };
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    this.requests.push(`${req.method} ${path}`);
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    if (m) {
      const found = this.#find(req, res, m[1]!, m[2]!);
      if (!found) return;
      this.#json(res, 200, {
        _id: found.commit.slice(0, 24), id: m[1], sha: found.commit, private: false, gated: false, downloads: 0, likes: 0,
        lastModified: '2026-01-01T00:00:00.000Z', pipeline_tag: 'text-generation',
        siblings: [...found.repo.files.keys()].map((rfilename) => ({ rfilename })),
      });
      return;
    }
    m = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(path);
    if (m) {
      const found = this.#find(req, res, m[1]!, m[2]!);
      if (!found) return;
      this.#json(res, 200, [...found.repo.files].map(([p, f]) => (f.lfs
        ? { type: 'file', oid: gitOid(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${f.sha256}\nsize ${f.content.length}\n`)), size: f.content.length, path: p, lfs: { oid: f.sha256, size: f.content.length, pointerSize: 134 } }
        : { type: 'file', oid: f.oid, size: f.content.length, path: p })));
      return;
    }
    m = /^\/cdn\/([0-9a-f]{64})$/.exec(path);
    if (m) {
      const file = [...this.#repos.values()].flatMap((r) => [...r.files]).find(([, f]) => f.sha256 === m![1]);
      if (!file) return this.#error(res, 404, 'EntryNotFound', 'not found');
      return this.#send(req, res, file[0], file[1].content, { etag: `"${file[1].sha256}"` });
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (m) {
      const found = this.#find(req, res, m[1]!, m[2]!);
      if (!found) return;
      const file = found.repo.files.get(m[3]!);
      if (!file) return this.#error(res, 404, 'EntryNotFound', `Entry not found`);
      const common = { 'x-repo-commit': found.commit };
      if (file.lfs) {
        res.writeHead(302, { ...common, location: `/cdn/${file.sha256}`, 'x-linked-etag': `"${file.sha256}"`, 'x-linked-size': String(file.content.length) });
        res.end();
        return;
      }
      return this.#send(req, res, m[3]!, file.content, { ...common, etag: `"${file.oid}"` });
    }
    this.#error(res, 404, 'NotFound', `no route for ${path}`);
  }

  #send(req: IncomingMessage, res: ServerResponse, name: string, content: Buffer, headers: Record<string, string>): void {
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] === '' ? content.length - 1 : Math.min(Number(range[2]), content.length - 1);
      res.writeHead(206, { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${content.length}` });
      res.end(content.subarray(start, end + 1));
      return;
    }
    const cut = this.#cuts.get(name);
    res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(content.length) });
    if (cut !== undefined) {
      this.#cuts.delete(name);
      res.write(content.subarray(0, cut), () => setImmediate(() => req.socket.destroy()));
      return;
    }
    res.end(content);
  }
}
