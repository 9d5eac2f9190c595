import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { expectInteger, expectString } from '../validate.js';

/** Where this process sits in a distributed run (what a launcher sets in the environment). */
export interface DistributedPlacement {
  rank: number;
  worldSize: number;
  localRank: number;
  masterAddr: string;
  masterPort: number;
}

/** The variables we read, in order of preference: torchrun's (also Kubernetes training operators'), then Slurm's. */
const rankVars = ['RANK', 'SLURM_PROCID'] as const;
const worldVars = ['WORLD_SIZE', 'SLURM_NTASKS'] as const;
const localVars = ['LOCAL_RANK', 'SLURM_LOCALID'] as const;

function first(env: NodeJS.ProcessEnv, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return { name, value };
  }
  return undefined;
}

function integerVar(found: { name: string; value: string }, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\s*\d+\s*$/.test(found.value) ? Number(found.value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new InvalidArgumentError(`Expected ${range} for ${found.name} (environment) but received '${found.value}' of type string`);
  }
  return n;
}

/**
 * Reads this process's placement from the conventional environment: `RANK`, `WORLD_SIZE`,
 * `LOCAL_RANK`, `MASTER_ADDR`, `MASTER_PORT` (torchrun, `sentencevae launch`, the Kubernetes
 * training operators), else Slurm's `SLURM_PROCID` / `SLURM_NTASKS` / `SLURM_LOCALID`.
 * Returns undefined when no world size is set (not a distributed run). A world size without a
 * rank, or a value out of range, is an InvalidArgumentError naming the variable.
 * `MASTER_ADDR` defaults to 127.0.0.1 and `MASTER_PORT` to 29500 (torchrun's defaults).
 *
 * @example
 * ```ts
 * placementFromEnvironment({ RANK: '1', WORLD_SIZE: '2', MASTER_PORT: '29512' });
 * // { rank: 1, worldSize: 2, localRank: 1, masterAddr: '127.0.0.1', masterPort: 29512 }
 * ```
 */
export function placementFromEnvironment(env: NodeJS.ProcessEnv = process.env): DistributedPlacement | undefined {
  const world = first(env, worldVars);
  if (world === undefined) return undefined;
  const worldSize = integerVar(world, 1);
  const rankFound = first(env, world.name === 'SLURM_NTASKS' ? ['SLURM_PROCID'] : rankVars);
  if (rankFound === undefined) {
    throw new InvalidArgumentError(
      `Expected an integer in [0, ${worldSize - 1}] for ${world.name === 'SLURM_NTASKS' ? 'SLURM_PROCID' : 'RANK'} (environment) but it is not set ` +
        `(${world.name}=${worldSize} is): every process of a distributed run needs its rank`,
    );
  }
  const rank = integerVar(rankFound, 0, worldSize - 1);
  const local = first(env, world.name === 'SLURM_NTASKS' ? ['SLURM_LOCALID'] : localVars);
  const localRank = local === undefined ? rank : integerVar(local, 0, worldSize - 1);
  const masterAddr = env.MASTER_ADDR !== undefined && env.MASTER_ADDR !== '' ? env.MASTER_ADDR : '127.0.0.1';
  const port = env.MASTER_PORT !== undefined && env.MASTER_PORT !== '' ? integerVar({ name: 'MASTER_PORT', value: env.MASTER_PORT }, 1, 65535) : 29500;
  return { rank, worldSize, localRank, masterAddr, masterPort: port };
}

/** Checks explicit placement options (the same ranges as the environment's). */
export function checkPlacement(p: { rank: unknown; worldSize: unknown; localRank?: unknown; masterAddr?: unknown; masterPort?: unknown }): DistributedPlacement {
  const worldSize = expectInteger(p.worldSize, 'worldSize', 1);
  const rank = expectInteger(p.rank, 'rank', 0, worldSize - 1);
  return {
    rank,
    worldSize,
    localRank: p.localRank === undefined ? rank : expectInteger(p.localRank, 'localRank', 0),
    masterAddr: p.masterAddr === undefined ? '127.0.0.1' : expectString(p.masterAddr, 'masterAddr'),
    masterPort: p.masterPort === undefined ? 29500 : expectInteger(p.masterPort, 'masterPort', 1, 65535),
  };
}
