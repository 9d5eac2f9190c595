import { DeviceError } from './DeviceError.js';
import { DisposedError } from './DisposedError.js';
import { DistributedError } from './DistributedError.js';
import { DTypeError } from './DTypeError.js';
import { InvalidArgumentError } from './InvalidArgumentError.js';
import { NativeError } from './NativeError.js';
import { SentenceVaeError } from './SentenceVaeError.js';
import { ShapeError } from './ShapeError.js';

const byCode: Record<string, new (message: string, code?: string) => SentenceVaeError> = {
  ERR_SVAE_INVALID_ARGUMENT: InvalidArgumentError,
  ERR_SVAE_SHAPE: ShapeError,
  ERR_SVAE_DTYPE: DTypeError,
  ERR_SVAE_DEVICE: DeviceError,
  ERR_SVAE_DISPOSED: DisposedError,
  ERR_SVAE_TORCH: NativeError,
  ERR_SVAE_NATIVE: NativeError,
  ERR_SVAE_DISTRIBUTED: DistributedError,
};

/**
 * Turns an error thrown or rejected by the addon into the matching typed error.
 * `callerStack` (captured before an async call) replaces the stack, so the error points at
 * the user's code rather than at the event-loop tick that settled the Promise.
 */
export function fromNative(error: unknown, callerStack?: string): unknown {
  if (!(error instanceof Error) || error instanceof SentenceVaeError) return error;
  const code = (error as { code?: unknown }).code;
  const Ctor = typeof code === 'string' ? byCode[code] : undefined;
  if (!Ctor) return error;
  const typed = new Ctor(error.message, code as string);
  if (callerStack !== undefined) {
    typed.stack = `${typed.name}: ${typed.message}\n${callerStack.split('\n').slice(1).join('\n')}`;
  }
  return typed;
}
