import { SentenceVaeError } from './SentenceVaeError.js';

/**
 * A folder could not be created or written (read-only file system, no permission, a file in
 * the way, a virtual file system such as /proc). `path` is the folder or file concerned and
 * `errno` the operating system's code (`'EROFS'`, `'EACCES'`, `'ENOTDIR'`, ...), where known.
 */
export class FileSystemError extends SentenceVaeError {
  override name = 'FileSystemError';
  readonly path: string;
  readonly errno: string | undefined;

  constructor(message: string, where: { path: string; errno?: string }, options?: ErrorOptions) {
    super(message, 'ERR_SVAE_FILE_SYSTEM', options);
    this.path = where.path;
    this.errno = where.errno;
  }
}
