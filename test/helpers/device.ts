import type { Device } from '../../lib/index.js';

/** Device the model tests run on: SENTENCEVAE_TEST_DEVICE (scripts/device-check.sh sets 'cuda'), else CPU. */
export const testDevice = (process.env.SENTENCEVAE_TEST_DEVICE ?? 'cpu') as Device;
