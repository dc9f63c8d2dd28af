/**
 * Login users and session tokens of the mock primary. Tokens look like the JWTs NetBackup issues (three base64url
 * parts, HS256 over a per-server random key, `sub`/`iat`/`exp`) so clients that peek into them work, but the mock
 * only trusts its own table of issued tokens: validity is checked against the injected clock.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';

/** A user who may log in. `domainName`/`domainType`, when set, must match the login request's (any case). */
export interface MockUser {
  userName: string;
  password: string;
  domainName?: string;
  domainType?: string;
}

/** The users of a mock started without a `users` option: `admin` / `password`. */
export const DEFAULT_USERS: readonly MockUser[] = Object.freeze([{ userName: 'admin', password: 'password' }]);

/** Default token validity, seconds (what NetBackup answers in `validity`). */
export const DEFAULT_TOKEN_VALIDITY = 86_400;

/** The body of a successful login (201). */
export interface LoginResult {
  token: string;
  tokenType: 'BEARER';
  validity: number;
}

/** A token that {@link MockAuth.verify} accepted. */
export interface Session {
  userName: string;
  expiresAt: number;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Options of {@link MockAuth}. */
export interface MockAuthOptions {
  users?: readonly MockUser[];
  /** Seconds a token is valid (default 86400). */
  tokenValidity?: number;
  clock?: Clock;
}

/** Users and issued tokens. */
export class MockAuth {
  readonly #users: readonly MockUser[];
  readonly #validity: number;
  readonly #clock: Clock;
  readonly #key = randomBytes(32);
  readonly #sessions = new Map<string, Session>();

  constructor(options: MockAuthOptions = {}) {
    this.#users = options.users ?? DEFAULT_USERS;
    this.#validity = options.tokenValidity ?? DEFAULT_TOKEN_VALIDITY;
    this.#clock = options.clock ?? systemClock;
  }

  /** Token validity in seconds. */
  get validity(): number {
    return this.#validity;
  }

  /** Check credentials and issue a token; undefined for unknown user, wrong password or domain. */
  login(req: { userName: string; password: string; domainName?: string | undefined; domainType?: string | undefined }): LoginResult | undefined {
    const user = this.#users.find((u) => u.userName === req.userName);
    if (!user || !sameSecret(user.password, req.password)) return undefined;
    const sameDomain = (want: string | undefined, got: string | undefined) => want === undefined || want.toLowerCase() === (got ?? '').toLowerCase();
    if (!sameDomain(user.domainName, req.domainName) || !sameDomain(user.domainType, req.domainType)) return undefined;
    return { token: this.issue(user.userName), tokenType: 'BEARER', validity: this.#validity };
  }

  /** Issue a token for `userName` without a password (tests that skip the login call). */
  issue(userName: string): string {
    this.#prune();
    const now = this.#clock.now();
    const iat = Math.floor(now / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(JSON.stringify({ sub: userName, iat, exp: iat + this.#validity, jti: randomUUID() }));
    const signature = createHmac('sha256', this.#key).update(`${header}.${payload}`).digest('base64url');
    const token = `${header}.${payload}.${signature}`;
    this.#sessions.set(token, { userName, expiresAt: now + this.#validity * 1000 });
    return token;
  }

  /**
   * The session of an `Authorization` header value, or undefined when missing, unknown or expired.
   * **[project decision]** The spec says the raw token (no `Bearer ` prefix); a `Bearer ` prefix (any case) is
   * accepted too, since the login answer says `tokenType: BEARER` and clients differ.
   */
  verify(authorization: string | undefined): Session | undefined {
    if (!authorization) return undefined;
    const token = authorization.trim().replace(/^bearer\s+/i, '');
    const session = this.#sessions.get(token);
    if (!session) return undefined;
    if (this.#clock.now() >= session.expiresAt) {
      this.#sessions.delete(token);
      return undefined;
    }
    return session;
  }

  /** Forget the token of an `Authorization` header value (logout). */
  revoke(authorization: string | undefined): void {
    if (authorization) this.#sessions.delete(authorization.trim().replace(/^bearer\s+/i, ''));
  }

  /** Forget every issued token. */
  revokeAll(): void {
    this.#sessions.clear();
  }

  /** Drop expired tokens so a long run of logins does not grow the table without bound. */
  #prune(): void {
    const now = this.#clock.now();
    for (const [token, s] of this.#sessions) if (now >= s.expiresAt) this.#sessions.delete(token);
  }
}
