import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A bearer-key check whose time does not depend on how much of the key a guess gets right: both
 * sides are hashed to 32-byte digests first, so `timingSafeEqual` always compares equal lengths
 * and the key's length does not leak either.
 */
export function bearerCheck(apiKey: string): (authorization: string | undefined) => boolean {
  const expected = createHash('sha256').update(apiKey).digest();
  return (authorization) => {
    const match = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
    const given = createHash('sha256').update(match?.[1]?.trim() ?? '').digest();
    return timingSafeEqual(given, expected) && match !== null;
  };
}
