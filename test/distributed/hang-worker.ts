// A hung peer (no model): both ranks join and all-reduce once; then rank 1 stops taking part
// (as a process stuck in a long computation or stopped by a debugger) until its stdin closes,
// and rank 0's next collective must fail with a DistributedError after the timeout.
import { DistributedContext, Tensor } from '../../lib/index.js';

// Joining may take long on a busy machine; only the collective's timeout is short.
const dist = await DistributedContext.create({ timeoutSeconds: Number(process.env.HANG_TIMEOUT ?? 3), connectTimeoutSeconds: 120 });
const a = await Tensor.from(new Float32Array([dist.rank + 1]));
await dist.allReduce({ a });
if (dist.rank === 1) {
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else {
  try {
    await dist.allReduce({ a });
    process.exit(0);
  } catch (error) {
    const e = error as Error;
    process.stderr.write(`${e.name}: ${e.message}\n`);
    dist.dispose();
    process.exit(1);
  }
}
