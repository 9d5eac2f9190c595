/** What a --model folder is, and what to say when a command is given the wrong kind. */
import { InvalidArgumentError } from '../errors/InvalidArgumentError.js';
import { SentenceVAE } from '../models/SentenceVAE.js';

/**
 * A SentenceVAE folder given to a command that needs a language model (generate, eval, serve):
 * a SentenceVAE only turns single sentences into vectors and back, so say so and name the
 * commands that do take it.
 */
export function rejectSentenceVae(dir: string, command: string): void {
  if (!SentenceVAE.isSentenceVaeFolder(dir)) return;
  throw new InvalidArgumentError(
    `${dir} is a SentenceVAE: it encodes sentences into vectors and decodes them back, it does not ${command === 'eval' ? 'score' : 'generate'} text.\n` +
      `  sentencevae reconstruct --model ${dir} --text "..."   what it makes of each sentence\n` +
      `  sentencevae encode --model ${dir} --text "..."        one vector per sentence (JSON lines)\n` +
      `  sentencevae graft --opt <opt dir> --svae ${dir} --out <dir>   an SLLM that ${command === 'eval' ? 'can be evaluated' : 'generates'} with it`,
  );
}
