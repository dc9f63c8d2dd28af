/**
 * `POST /netbackup/login` (and `POST /netbackup/logout`).
 */
import { HttpError, NbErrorCode, jsonObjectBody } from '../http.js';
import type { Route } from '../router.js';

function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new HttpError(400, NbErrorCode.invalidParameter, `invalid command parameter: ${name} must be a string`);
  return v;
}

/** The login routes. */
export const loginRoutes: Route[] = [
  {
    method: 'POST',
    path: '/netbackup/login',
    public: true,
    handle: (ctx) => {
      const body = jsonObjectBody(ctx.body);
      const userName = optionalString(body, 'userName');
      const password = optionalString(body, 'password');
      if (!userName || password === undefined) throw new HttpError(400, NbErrorCode.invalidParameter, 'invalid command parameter: userName and password are required');
      const result = ctx.auth.login({ userName, password, domainName: optionalString(body, 'domainName'), domainType: optionalString(body, 'domainType') });
      if (!result) throw new HttpError(401, NbErrorCode.unauthorized, 'Authentication failed: invalid user name, password or domain');
      ctx.log.debug({ userName }, 'login');
      return { status: 201, json: result };
    },
  },
  {
    method: 'POST',
    path: '/netbackup/logout',
    handle: (ctx) => {
      ctx.auth.revoke(ctx.headers.authorization);
      return { status: 204 };
    },
  },
];
