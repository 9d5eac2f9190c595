// Types of the `require('sentencevae')` entry (cjs/index.cjs): the whole API (TypeScript >= 5.8
// with "module": "nodenext" types a require() of an ES module), plus load().
export * from '../dist/lib/index.js';
/** Loads the ES module asynchronously: works on every Node.js >= 20 (require() needs >= 20.19). */
export declare function load(): Promise<typeof import('../dist/lib/index.js')>;
