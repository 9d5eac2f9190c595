import { DisposedError } from '../errors/DisposedError.js';
import { callAsync, callSync } from '../native/call.js';
import type { NativeProcessGroup } from '../native/contract.js';
import { addon } from '../native/loader.js';
import { Tensor } from '../tensor/Tensor.js';
import { expectInteger, expectNumber, expectOneOf, expectOptions, invalid } from '../validate.js';
import { checkPlacement, type DistributedPlacement, placementFromEnvironment } from './environment.js';

export type DistributedBackend = 'gloo' | 'nccl';

export interface DistributedOptions {
  /** This process's rank in [0, worldSize). @default the environment's RANK (or SLURM_PROCID) */
  rank?: number;
  /** Processes in the run. @default the environment's WORLD_SIZE (or SLURM_NTASKS), else 1 */
  worldSize?: number;
  /** This process's rank on its machine (which GPU it uses). @default LOCAL_RANK, else the rank */
  localRank?: number;
  /** Host of rank 0's rendezvous store. @default MASTER_ADDR, else '127.0.0.1' */
  masterAddr?: string;
  /** Port of rank 0's rendezvous store. @default MASTER_PORT, else 29500 */
  masterPort?: number;
  /** 'gloo' (CPU tensors) or 'nccl' (CUDA tensors; only in a CUDA + NCCL LibTorch). @default 'gloo' */
  backend?: DistributedBackend;
  /**
   * Longest wait, in seconds, for the group to form and for each collective: a missing rank, a
   * wrong port or a peer that died or hangs gives a DistributedError after at most this long (a
   * peer that exited is usually noticed at once). It must exceed the longest pause between two
   * collectives of a peer (rank 0 evaluating or writing a checkpoint). @default 1800
   */
  timeoutSeconds?: number;
  /**
   * Longest wait, in seconds, for every rank to join (a wrong MASTER_PORT or a rank that never
   * starts fails after this long); ranks that start far apart (slow machines, queued jobs) need
   * more than the collectives do. @default timeoutSeconds
   */
  connectTimeoutSeconds?: number;
  /** Where the placement is read from when not given explicitly. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** A Tensor map or a plain object of Tensors, by name. */
export type NamedTensors = Map<string, Tensor> | Record<string, Tensor>;

function nativeNamed(tensors: NamedTensors, name: string): Record<string, import('../native/contract.js').NativeTensor> {
  const entries = tensors instanceof Map ? [...tensors] : tensors !== null && typeof tensors === 'object' && !Array.isArray(tensors) ? Object.entries(tensors) : invalid('a Map or an object of Tensors', name, tensors);
  return Object.fromEntries(entries.map(([k, t]) => [k, t instanceof Tensor ? t.native : invalid('a Tensor', `${name}.${k}`, t)]));
}

/**
 * One process's membership in a data-parallel run over torch.distributed (c10d): a TCPStore
 * rendezvous at rank 0's MASTER_ADDR:MASTER_PORT and a Gloo (CPU) or NCCL (CUDA) process group.
 * One rank per process (as torchrun): start the processes with `sentencevae launch`, torchrun,
 * Slurm or a Kubernetes training operator, which set the environment this reads.
 * Every collective runs off the event loop and fails with a DistributedError (never hangs) when
 * a peer is gone for longer than `timeoutSeconds`.
 *
 * @example
 * ```ts
 * await using dist = await DistributedContext.create({ timeoutSeconds: 60 }); // RANK, WORLD_SIZE, ... from the environment
 * const grads = new Map([['w', await Tensor.from(new Float32Array([dist.rank]), [1])]]);
 * await dist.allReduce(grads, { op: 'mean' }); // every rank now holds the mean of the ranks
 * await dist.barrier();
 * ```
 */
export class DistributedContext implements DistributedPlacement {
  readonly rank: number;
  readonly worldSize: number;
  readonly localRank: number;
  readonly masterAddr: string;
  readonly masterPort: number;
  readonly backend: DistributedBackend;
  readonly timeoutSeconds: number;
  #native: NativeProcessGroup | undefined;

  private constructor(native: NativeProcessGroup, placement: DistributedPlacement, backend: DistributedBackend, timeoutSeconds: number) {
    this.#native = native;
    this.rank = placement.rank;
    this.worldSize = placement.worldSize;
    this.localRank = placement.localRank;
    this.masterAddr = placement.masterAddr;
    this.masterPort = placement.masterPort;
    this.backend = backend;
    this.timeoutSeconds = timeoutSeconds;
  }

  /**
   * Joins (rank 0: hosts) the process group; resolves when every rank has joined. Explicit
   * options win over the environment; with neither, a group of one (rank 0 of 1).
   */
  static async create(options: DistributedOptions = {}): Promise<DistributedContext> {
    const o = expectOptions(options);
    const fromEnv = placementFromEnvironment(o.env ?? process.env);
    const placement = checkPlacement({
      rank: o.rank ?? fromEnv?.rank ?? 0,
      worldSize: o.worldSize ?? fromEnv?.worldSize ?? 1,
      localRank: o.localRank ?? (o.rank !== undefined ? o.rank : fromEnv?.localRank),
      masterAddr: o.masterAddr ?? fromEnv?.masterAddr,
      masterPort: o.masterPort ?? fromEnv?.masterPort,
    });
    const backend = expectOneOf(o.backend ?? 'gloo', 'backend', ['gloo', 'nccl'] as const);
    const timeoutSeconds = expectNumber(o.timeoutSeconds ?? 1800, 'timeoutSeconds', 0.001, 1e7);
    const connectSeconds = expectNumber(o.connectTimeoutSeconds ?? timeoutSeconds, 'connectTimeoutSeconds', 0.001, 1e7);
    const native = await callAsync(() => addon().NativeProcessGroup.create({
      masterAddr: placement.masterAddr, port: placement.masterPort, rank: placement.rank, worldSize: placement.worldSize,
      backend, timeoutMs: Math.max(1, Math.round(timeoutSeconds * 1000)), connectTimeoutMs: Math.max(1, Math.round(connectSeconds * 1000)),
    }));
    return new DistributedContext(native, placement, backend, timeoutSeconds);
  }

  /** Whether this LibTorch can run backend 'nccl' (a CUDA build with NCCL). */
  static ncclAvailable(): boolean {
    return callSync(() => addon().NativeProcessGroup.ncclAvailable());
  }

  /** Rank 0: the one process that writes checkpoints, metrics and exports. */
  get isMain(): boolean {
    return this.rank === 0;
  }

  /** The native group (for the Trainer's gradient reduction). @internal */
  get native(): NativeProcessGroup {
    if (this.#native === undefined) throw new DisposedError('This DistributedContext has been disposed');
    return this.#native;
  }

  /** Resolves when every rank has called it. */
  async barrier(): Promise<void> {
    const native = this.native;
    await callAsync(() => native.barrier());
  }

  /**
   * Sums (op 'sum') or averages (op 'mean') the tensors over the ranks, in place, bucketed into a
   * few flat buffers. Every rank must pass the same names with the same shapes and dtypes.
   * @default op 'sum'
   */
  async allReduce(tensors: NamedTensors, options: { op?: 'sum' | 'mean' } = {}): Promise<void> {
    const op = expectOneOf(expectOptions(options).op ?? 'sum', 'op', ['sum', 'mean'] as const);
    const named = nativeNamed(tensors, 'tensors');
    const native = this.native;
    await callAsync(() => native.allReduce(named, op));
  }

  /** Copies rank `root`'s tensors into every other rank's, in place. @default root 0 */
  async broadcast(tensors: NamedTensors, options: { root?: number } = {}): Promise<void> {
    const root = expectInteger(expectOptions(options).root ?? 0, 'root', 0, this.worldSize - 1);
    const named = nativeNamed(tensors, 'tensors');
    const native = this.native;
    await callAsync(() => native.broadcast(named, root));
  }

  /** Leaves the group (idempotent); the group closes once calls in flight end. Later calls throw DisposedError. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }
}
