import { rootCertificates } from 'node:tls';
import { Agent, request, type Dispatcher } from 'undici';
import { EndpointError, GuideMessages } from '../errors.js';
import { classifyNetworkError, describeNetworkError } from './net-errors.js';
import { MAX_DETAILS_BYTES, parseEndpointDetails, type EndpointDetails } from './validate.js';

/**
 * The guide's URL option: the cloud application serves the endpoint JSON at an `https://` URL and NetBackup fetches
 * it. How that URL's own certificate is trusted (it carries the token, so it must be verified):
 *
 * - by default, Node's bundled Mozilla CA list (plus `NODE_EXTRA_CA_CERTS`), with host name verification;
 * - `caPem` (`--url-ca FILE`): that CA is trusted in addition to the bundled list, host name still verified;
 * - `insecure` (`--insecure-url`, labs only): no verification at all. Anyone on the path could read the token.
 *
 * The endpoint's own `wss://` certificate is a different matter: it is pinned at `add` (see `service.ts`).
 */

/** Options of {@link fetchEndpointDetails}. */
export interface FetchDetailsOptions {
  /** Limit for the whole exchange (connect, TLS, response, body), in ms. */
  timeoutMs: number;
  /** Extra CA (PEM) trusted for the URL's certificate (`--url-ca FILE`). */
  caPem?: string | undefined;
  /** Do not verify the URL's certificate (`--insecure-url`). */
  insecure?: boolean | undefined;
  /** Largest body accepted (default {@link MAX_DETAILS_BYTES}, 64 KiB). */
  maxBytes?: number | undefined;
  /** Abort the fetch. */
  signal?: AbortSignal | undefined;
  /** Use this dispatcher instead of a fresh TLS agent (tests); `caPem`/`insecure` are then ignored. */
  dispatcher?: Dispatcher | undefined;
}

/** Check the `--url` argument: an absolute `https://` URL, else the guide's `invalid command parameter`. */
export function parseDetailsUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new EndpointError('NBWSS_ERR_INVALID_PARAMETER', GuideMessages.invalidCommandParameter, { cause: err, detail: `not a URL: ${url}` });
  }
  if (u.protocol !== 'https:') {
    throw new EndpointError('NBWSS_ERR_INVALID_PARAMETER', GuideMessages.invalidCommandParameter, { detail: `only https:// URLs are fetched, got ${u.protocol}//` });
  }
  return u;
}

/**
 * Fetch the endpoint JSON from `url` with undici and validate it (spec §8). Errors ({@link EndpointError}, the
 * guide's messages): not an https URL → `invalid command parameter`; host unreachable or timeout → `Unable to
 * establish connection with host: <host>`; TLS failure, untrusted certificate or an HTTP error status → `Failed to
 * open connection to the remote object referred to by the URL`; a body over the cap or not endpoint JSON →
 * `InvalidPacketException Unable to parse JSON contents`; a `url` member that is not `wss://` or malformed → the
 * same messages as a file.
 */
export async function fetchEndpointDetails(url: string, options: FetchDetailsOptions): Promise<EndpointDetails> {
  const target = parseDetailsUrl(url);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const maxBytes = options.maxBytes ?? MAX_DETAILS_BYTES;
  const ownAgent = options.dispatcher
    ? undefined
    : new Agent({
        connect: {
          timeout: options.timeoutMs,
          rejectUnauthorized: options.insecure !== true,
          // Node replaces its bundled list when `ca` is given: keep it, and add the operator's CA.
          ...(options.caPem ? { ca: [...rootCertificates, options.caPem] } : {}),
        },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  let text: Buffer;
  try {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(target, {
        method: 'GET',
        headers: { accept: 'application/json' },
        dispatcher: options.dispatcher ?? ownAgent!,
        signal: AbortSignal.any(signals),
      });
    } catch (err) {
      const kind = classifyNetworkError(err);
      const detail = `${target.origin}: ${describeNetworkError(err)}`;
      if (kind === 'unreachable') throw new EndpointError('NBWSS_ERR_UNREACHABLE', GuideMessages.unreachable(host), { cause: err, detail });
      throw new EndpointError('NBWSS_ERR_NO_CERTIFICATE', GuideMessages.noCertificate, { cause: err, detail });
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      discard(res.body);
      const why = res.statusCode >= 300 && res.statusCode < 400 ? ' (redirects are not followed)' : '';
      throw new EndpointError('NBWSS_ERR_NO_CERTIFICATE', GuideMessages.noCertificate, { detail: `${target.origin}${target.pathname}: HTTP ${res.statusCode}${why}` });
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      discard(res.body);
      throw tooLarge(maxBytes);
    }
    text = await readCapped(res.body, maxBytes, host);
  } finally {
    if (ownAgent) void ownAgent.destroy().catch(() => undefined);
  }
  try {
    return parseEndpointDetails(text);
  } catch (err) {
    // From a URL, content that is not endpoint JSON has its own message in the guide.
    if (err instanceof EndpointError && err.code === 'NBWSS_ERR_JSON_NOT_VALID') {
      throw new EndpointError('NBWSS_ERR_UNPARSABLE_CONTENT', GuideMessages.unparsableContent, { cause: err, detail: err.detail });
    }
    throw err;
  }
}

/** Drop a body unread. undici reports the destroy as an 'error' event, which must not go unhandled. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function tooLarge(maxBytes: number): EndpointError {
  return new EndpointError('NBWSS_ERR_UNPARSABLE_CONTENT', GuideMessages.unparsableContent, { detail: `response larger than ${maxBytes} bytes` });
}

async function readCapped(body: Dispatcher.ResponseData['body'], maxBytes: number, host: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      size += buf.length;
      // Leaving the loop destroys the body: the rest is never read.
      if (size > maxBytes) throw tooLarge(maxBytes);
      chunks.push(buf);
    }
  } catch (err) {
    if (err instanceof EndpointError) throw err;
    if (classifyNetworkError(err) === 'unreachable') {
      throw new EndpointError('NBWSS_ERR_UNREACHABLE', GuideMessages.unreachable(host), { cause: err, detail: describeNetworkError(err) });
    }
    throw new EndpointError('NBWSS_ERR_NO_CERTIFICATE', GuideMessages.noCertificate, { cause: err, detail: describeNetworkError(err) });
  }
  // the bytes: the strict JSON reader refuses what is not UTF-8 rather than reading U+FFFD
  return Buffer.concat(chunks);
}
