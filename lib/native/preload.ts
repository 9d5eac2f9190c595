/**
 * Loading the addon maps LibTorch (hundreds of MB of shared libraries, relocated and
 * initialized by dlopen): ~0.3-0.9 s during which the event loop would stand still on the first
 * model call. `preloadAddon()` does that dlopen on a worker thread; the libraries then stay
 * mapped in the process, and the main thread's own load (loader.ts, on first use) only
 * registers the module (a few ms). Failures are ignored here: the main thread's load reports
 * them with every path tried.
 */
import { startWorker } from './workerArgs.js';

let preloading: Promise<void> | undefined;

/** Loads the addon's shared libraries off the main thread, once per process. */
export function preloadAddon(): Promise<void> {
  preloading ??= new Promise<void>((resolve) => {
    try {
      const worker = startWorker(`import(${JSON.stringify(new URL('./loader.js', import.meta.url).href)}).then((m) => m.addon()).catch(() => undefined);`, { eval: true });
      worker.once('exit', () => resolve());
      worker.once('error', () => resolve());
    } catch {
      resolve();
    }
  });
  return preloading;
}
