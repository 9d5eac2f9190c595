'use strict';
// The `require('sentencevae')` entry. sentencevae is an ES module: Node >= 20.19 (and >= 22.12)
// can require() it directly, which this file does; older Node 20 releases cannot, and then only
// `load()` works, and touching anything else throws an error that says what to do.
const load = () => import('../dist/lib/index.js');

let lib;
try {
  lib = require('../dist/lib/index.js');
} catch (error) {
  if (!error || (error.code !== 'ERR_REQUIRE_ESM' && error.code !== 'ERR_REQUIRE_ASYNC_MODULE')) throw error;
}

if (lib) {
  module.exports = { ...lib, load };
} else {
  const message =
    `sentencevae is an ES module and this Node.js (${process.version}) cannot require() it ` +
    '(Node >= 20.19 or >= 22.12 can). Use `const svae = await require(\'sentencevae\').load()` ' +
    "or `await import('sentencevae')`.";
  module.exports = new Proxy({ load }, {
    get(target, key) {
      // Symbols, `then` (await / Promise.resolve probe the object) and __esModule stay harmless.
      if (typeof key === 'symbol' || key in target || key === 'then' || key === '__esModule') return target[key];
      const error = new Error(message);
      error.code = 'ERR_SVAE_REQUIRE_ESM';
      throw error;
    },
  });
}
