/**
 * lib/io/hub/options.ts's survivors of its first mutation run: which name an invalid value is
 * reported under when an option and the environment both give one, and a token that merely
 * contains 'hf_' (the pattern is anchored).
 */
import test from 'ava';

import { resolveHubOptions } from '../../lib/io/hub/options.js';
import { InvalidArgumentError } from '../../lib/errors/InvalidArgumentError.js';

const bad = (message: RegExp) => ({ instanceOf: InvalidArgumentError, message });

test('an invalid endpoint option is reported as endpoint even when HF_ENDPOINT is set', (t) => {
  t.throws(() => resolveHubOptions({ endpoint: 'ftp://x' }, { HF_ENDPOINT: 'https://ok.example' }), bad(/for endpoint but received 'ftp:\/\/x'/));
  t.throws(() => resolveHubOptions({}, { HF_ENDPOINT: 'ftp://y' }), bad(/for HF_ENDPOINT but received 'ftp:\/\/y'/));
});

test("a token must start with 'hf_', not merely contain it", (t) => {
  t.throws(() => resolveHubOptions({ token: 'xhf_abc' }, {}), bad(/for token but received 'a string of 7 characters'/));
  t.is(resolveHubOptions({ token: 'hf_abc' }, {}).token, 'hf_abc');
});

test('an invalid token is reported under the name it came from: option, HF_TOKEN, then HUGGING_FACE_HUB_TOKEN', (t) => {
  t.throws(() => resolveHubOptions({ token: 'nope' }, { HF_TOKEN: 'hf_ok' }), bad(/for token but received/));
  t.throws(() => resolveHubOptions({}, { HF_TOKEN: 'nope', HUGGING_FACE_HUB_TOKEN: 'hf_ok' }), bad(/for HF_TOKEN but received/));
  t.throws(() => resolveHubOptions({}, { HUGGING_FACE_HUB_TOKEN: 'nope' }), bad(/for HUGGING_FACE_HUB_TOKEN but received/));
});
