/**
 * Opaque page tokens: the position to continue from, bound to the route and the filters it was
 * issued for, HMAC-signed with a per-process secret. A token from another lead process, a
 * tampered one, or one sent with other filters is a 400 naming page_token.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidFields } from './problem.js';

export const PAGE_SIZE_DEFAULT = 100;
export const PAGE_SIZE_MAX = 1_000;

interface TokenBody {
  /** Route the token belongs to. */
  r: string;
  /** Digest of the filters. */
  f: string;
  /** Where the next page starts (after this key). */
  c: string;
}

export class PageTokens {
  constructor(private readonly secret: Uint8Array = randomBytes(32)) {}

  issue(route: string, filters: Readonly<Record<string, unknown>>, cursor: string): string {
    const body = Buffer.from(JSON.stringify({ r: route, f: this.digest(filters), c: cursor } satisfies TokenBody)).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The cursor inside `token`; throws a 400 problem when it is not valid for this route and these filters. */
  read(route: string, filters: Readonly<Record<string, unknown>>, token: string): string {
    const [body = '', mac = '', extra] = token.split('.');
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (extra !== undefined || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw invalidFields('Invalid page token', [{ field: 'page_token', message: 'not a page token issued by this lead process; start again without page_token' }]);
    }
    const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenBody;
    if (parsed.r !== route || parsed.f !== this.digest(filters)) {
      throw invalidFields('Invalid page token', [{ field: 'page_token', message: 'issued for other filters; send the same filters as the first page, or start again without page_token' }]);
    }
    return parsed.c;
  }

  private digest(filters: Readonly<Record<string, unknown>>): string {
    const canonical = JSON.stringify(Object.keys(filters).sort().map((key) => [key, filters[key] ?? null]));
    return createHmac('sha256', this.secret).update(`filters\n${canonical}`).digest('base64url').slice(0, 22);
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(`page\n${body}`).digest('base64url');
  }
}
