/**
 * Every error nbwss raises on purpose carries a stable `code` (STYLE §7). Operators and tests match on the code;
 * the message is for humans and, where the NetBackup guide names one, is the product's own English string
 * (spec §8) so that it can be searched for.
 *
 * Every code lives in this file, in one `…_CODES` list per family; {@link ERROR_CODES} gathers them (a test checks
 * that no code is used twice). The codes that never become an exception — COMMAND refusals and failures, which
 * travel only in a COMMAND RESPONSE body — are listed here too.
 */

/** One invalid input field: its path (`wait`, `details.url`, `data[2].jobId`) and what is wrong with it. */
export interface FieldError {
  field: string;
  message: string;
}

/** Options every coded error takes. */
export interface ErrorOptions {
  cause?: unknown;
  /** The invalid fields, for a validation error (the admin API returns them as `error.errors`). */
  fields?: readonly FieldError[];
}

/** Base class: sets `name`, keeps `cause`, and adds a stable `code` (and the invalid fields of a validation error). */
export class NbwssError extends Error {
  readonly code: string;
  readonly fields: readonly FieldError[] | undefined;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fields = options?.fields;
  }
}

/** Code of {@link ConfigError}. */
export const CONFIG_ERROR_CODES = ['NBWSS_ERR_CONFIG'] as const;

/** A configuration key has an invalid value, or the file cannot be read. Names key, value, file and line. */
export class ConfigError extends NbwssError {
  declare readonly code: (typeof CONFIG_ERROR_CODES)[number];
  constructor(message: string, options?: ErrorOptions) {
    super('NBWSS_ERR_CONFIG', message, options);
  }
}

/** Code of {@link JsonInputError}. */
export const JSON_INPUT_ERROR_CODES = ['NBWSS_ERR_JSON_INPUT'] as const;

/**
 * Outside JSON (a `notify` input, an endpoint file, an admin API body) that the strict reader refuses: not UTF-8,
 * not JSON, a number that does not read back as written, nesting too deep, a member given twice. `path` names the
 * field when there is one (`["data", 3, "jobId"]`).
 */
export class JsonInputError extends NbwssError {
  declare readonly code: (typeof JSON_INPUT_ERROR_CODES)[number];
  readonly path: readonly (string | number)[] | undefined;
  constructor(message: string, options?: ErrorOptions & { path?: readonly (string | number)[] }) {
    super('NBWSS_ERR_JSON_INPUT', message, options);
    this.path = options?.path;
  }
}

/** Codes of {@link StoreError}. */
export const STORE_ERROR_CODES = [
  'NBWSS_ERR_DB_NEWER',
  'NBWSS_ERR_DB_OPEN',
  'NBWSS_ERR_DB_LOCKED',
  'NBWSS_ERR_MIGRATION',
  /** SQLITE_FULL: the file system of the database is full. */
  'NBWSS_ERR_DB_FULL',
  /** The database file or its folder cannot be written (permissions, read-only file system). */
  'NBWSS_ERR_DB_READONLY',
  /** SQLITE_CORRUPT / SQLITE_NOTADB: the file is damaged, or not an SQLite database. */
  'NBWSS_ERR_DB_CORRUPT',
  /** Another I/O failure of the database (SQLITE_IOERR…, SQLITE_BUSY…). */
  'NBWSS_ERR_DB_IO',
] as const;
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

/** The database cannot be opened, migrated, written or read: the message names the path and the cause. */
export class StoreError extends NbwssError {
  declare readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** The messages the NetBackup guide shows for endpoint credential problems (spec §8), verbatim. */
export const GuideMessages = {
  jsonNotValid: 'JSON contents not valid',
  invalidProtocol: 'Invalid websocket protocol. Only wss protocol supported',
  malformedUrl: (url: string) => `Malformed URL: ${url}`,
  unreachable: (hostName: string) => `Unable to establish connection with host: ${hostName}`,
  invalidCommandParameter: 'invalid command parameter',
  noCertificate: 'Failed to open connection to the remote object referred to by the URL',
  unparsableContent: 'InvalidPacketException Unable to parse JSON contents',
  alreadyExists: 'the entity already exists',
  certificateMismatch: 'The certificate did not match with the one accepted by the user, please verify the certificate',
  sslSetupFailed: 'Failed to setup SSL security',
  truststoreWriteFailed: 'Problem occurred while storing the SSL certificate in the truststore',
  keystoreLoadFailed: 'Error loading keystore',
  certificateRemoveFailed: (hostName: string) => `Failed to remove certificate for host: ${hostName}`,
  notFound: 'no entity was found',
} as const;

/** Codes of {@link EndpointError}, one per row of the guide's table. */
export const ENDPOINT_ERROR_CODES = [
  'NBWSS_ERR_JSON_NOT_VALID',
  'NBWSS_ERR_INVALID_PROTOCOL',
  'NBWSS_ERR_MALFORMED_URL',
  'NBWSS_ERR_UNREACHABLE',
  'NBWSS_ERR_INVALID_PARAMETER',
  'NBWSS_ERR_NO_CERTIFICATE',
  'NBWSS_ERR_UNPARSABLE_CONTENT',
  'NBWSS_ERR_ALREADY_EXISTS',
  'NBWSS_ERR_CERTIFICATE_MISMATCH',
  'NBWSS_ERR_SSL_SETUP',
  'NBWSS_ERR_TRUSTSTORE_WRITE',
  'NBWSS_ERR_KEYSTORE_LOAD',
  'NBWSS_ERR_CERTIFICATE_REMOVE',
  'NBWSS_ERR_NOT_FOUND',
] as const;
export type EndpointErrorCode = (typeof ENDPOINT_ERROR_CODES)[number];

/**
 * An endpoint credential operation failed. `message` is the guide's string; `detail` (optional) says more for
 * logs and `--verbose` output without changing the searchable message.
 */
export class EndpointError extends NbwssError {
  declare readonly code: EndpointErrorCode;
  readonly detail: string | undefined;
  constructor(code: EndpointErrorCode, message: string, options?: ErrorOptions & { detail?: string }) {
    super(code, message, options);
    this.detail = options?.detail;
  }
}

/** Codes of the errors that each have one: {@link CertificateRejectedError} … {@link UsageError}. */
export const SINGLE_ERROR_CODES = [
  'NBWSS_ERR_CERTIFICATE_REJECTED',
  'NBWSS_ERR_INPUT',
  'NBWSS_ERR_NOTIFICATION_INVALID',
  'NBWSS_ERR_CLOSED',
  'NBWSS_ERR_LOCKED',
  'NBWSS_ERR_USAGE',
  'NBWSS_ERR_NO_DAEMON',
] as const;

/** The operator declined the certificate at the prompt of `nbwss endpoints add`: nothing was stored. */
export class CertificateRejectedError extends NbwssError {
  declare readonly code: 'NBWSS_ERR_CERTIFICATE_REJECTED';
  constructor(message: string, options?: ErrorOptions) {
    super('NBWSS_ERR_CERTIFICATE_REJECTED', message, options);
  }
}

/** A file or stream named on the command line (`--file`, `--ca`, `--token-stdin`) cannot be read or is empty. */
export class InputError extends NbwssError {
  declare readonly code: 'NBWSS_ERR_INPUT';
  constructor(message: string, options?: ErrorOptions) {
    super('NBWSS_ERR_INPUT', message, options);
  }
}

/** Codes of {@link SecurityError}. */
export const SECURITY_ERROR_CODES = ['NBWSS_ERR_KEY_FILE', 'NBWSS_ERR_TOKEN_DECRYPT'] as const;
export type SecurityErrorCode = (typeof SECURITY_ERROR_CODES)[number];

/** Token encryption key missing, unreadable, or a token that does not decrypt with it. */
export class SecurityError extends NbwssError {
  declare readonly code: SecurityErrorCode;
  constructor(code: SecurityErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** A notification given to `raise()` / `nbwss notify` / the admin API does not have the guide's shape. */
export class NotificationValidationError extends NbwssError {
  declare readonly code: 'NBWSS_ERR_NOTIFICATION_INVALID';
  constructor(message: string, options?: ErrorOptions) {
    super('NBWSS_ERR_NOTIFICATION_INVALID', message, options);
  }
}

/** `raise()` was called on a notification source that is closed (the daemon is stopping). */
export class SourceClosedError extends NbwssError {
  declare readonly code: 'NBWSS_ERR_CLOSED';
  constructor(message: string, options?: ErrorOptions) {
    super('NBWSS_ERR_CLOSED', message, options);
  }
}

/** Codes of {@link DecodeError}. */
export const DECODE_ERROR_CODES = ['NBWSS_ERR_DECODE_BINARY', 'NBWSS_ERR_DECODE_JSON', 'NBWSS_ERR_DECODE_SHAPE', 'NBWSS_ERR_DECODE_TYPE', 'NBWSS_ERR_DECODE_ID'] as const;
export type DecodeErrorCode = (typeof DECODE_ERROR_CODES)[number];

/** An incoming frame could not be understood (spec §7, `exception.ignoreDecoder`). */
export class DecodeError extends NbwssError {
  declare readonly code: DecodeErrorCode;
  /** WebSocket close code that fits: 1003 for binary frames, 1007 for an invalid payload. */
  readonly closeCode: 1003 | 1007;
  constructor(code: DecodeErrorCode, message: string, closeCode: 1003 | 1007, options?: ErrorOptions) {
    super(code, message, options);
    this.closeCode = closeCode;
  }
}

/** The code of {@link ConnectError} for each reason a connection attempt fails. */
export const CONNECT_ERROR_CODES = {
  unreachable: 'NBWSS_ERR_CONNECT_UNREACHABLE',
  tls: 'NBWSS_ERR_CONNECT_TLS',
  pin_mismatch: 'NBWSS_ERR_CONNECT_PIN_MISMATCH',
  handshake_timeout: 'NBWSS_ERR_CONNECT_HANDSHAKE_TIMEOUT',
  rejected: 'NBWSS_ERR_CONNECT_REJECTED',
  closed: 'NBWSS_ERR_CONNECT_CLOSED',
  http_status: 'NBWSS_ERR_CONNECT_HTTP_STATUS',
  aborted: 'NBWSS_ERR_CONNECT_ABORTED',
  /** The attempt could not even start (e.g. `ws` refused the stored url, or the stored certificate is unusable). */
  setup: 'NBWSS_ERR_CONNECT_SETUP',
  /** An unexpected exception while handling the attempt (closed with 1011). */
  internal: 'NBWSS_ERR_CONNECT_INTERNAL',
} as const;

/** A connection attempt failed; `reason` is short and stable enough to be a metric label. */
export type ConnectFailureReason = keyof typeof CONNECT_ERROR_CODES;

/** A connection attempt to an endpoint did not reach CONNECTED. */
export class ConnectError extends NbwssError {
  declare readonly code: (typeof CONNECT_ERROR_CODES)[ConnectFailureReason];
  readonly reason: ConnectFailureReason;
  constructor(reason: ConnectFailureReason, message: string, options?: ErrorOptions) {
    super(CONNECT_ERROR_CODES[reason], message, options);
    this.reason = reason;
  }
}

/**
 * Code of {@link PinMismatchError}. It predates the `NBWSS_ERR_` prefix and is kept as it is (codes are stable); it
 * only ever travels as the `cause` of a `NBWSS_ERR_CONNECT_PIN_MISMATCH` {@link ConnectError}.
 */
export const PIN_MISMATCH_ERROR_CODES = ['NBWSS_PIN_MISMATCH'] as const;

/** The presented certificate is not the pinned one (raised from the TLS `checkServerIdentity` of a pinned endpoint). */
export class PinMismatchError extends NbwssError {
  declare readonly code: (typeof PIN_MISMATCH_ERROR_CODES)[number];
  constructor(
    readonly expected: string,
    readonly presented: string,
    options?: ErrorOptions,
  ) {
    super('NBWSS_PIN_MISMATCH', `certificate fingerprint ${presented} does not match the pinned ${expected}`, options);
  }
}

/**
 * A command that needs the running daemon (`endpoints … --wait`) cannot reach its admin API, or the daemon refused
 * to follow the change; thrown before anything is changed when possible.
 */
export class NoDaemonError extends NbwssError {
  declare readonly code: 'NBWSS_ERR_NO_DAEMON';
  constructor(message: string, options?: ErrorOptions) {
    super('NBWSS_ERR_NO_DAEMON', message, options);
  }
}

/** Another daemon already runs on the same database. */
export class LockError extends NbwssError {
  declare readonly code: 'NBWSS_ERR_LOCKED';
  constructor(message: string, options?: ErrorOptions) {
    super('NBWSS_ERR_LOCKED', message, options);
  }
}

/** Wrong command-line usage (exit code 2). */
export class UsageError extends NbwssError {
  declare readonly code: 'NBWSS_ERR_USAGE';
  constructor(message: string, options?: ErrorOptions) {
    super('NBWSS_ERR_USAGE', message, options);
  }
}

/**
 * Why a COMMAND REQUEST was refused before anything left the daemon (`commands/validate.ts`): the code goes in the
 * `errorDetails` of a 400 COMMAND RESPONSE. Never thrown.
 */
export const COMMAND_REFUSAL_CODES = [
  'NBWSS_ERR_PAYLOAD',
  'NBWSS_ERR_METHOD_MISSING',
  'NBWSS_ERR_METHOD',
  'NBWSS_ERR_URI_MISSING',
  'NBWSS_ERR_URI_CRLF',
  'NBWSS_ERR_URI_CONTROL',
  'NBWSS_ERR_URI_BACKSLASH',
  'NBWSS_ERR_URI_ABSOLUTE',
  'NBWSS_ERR_URI_SCHEME_RELATIVE',
  'NBWSS_ERR_URI_NOT_PATH',
  'NBWSS_ERR_URI_CHARACTERS',
  'NBWSS_ERR_URI_ENCODING',
  'NBWSS_ERR_URI_TRAVERSAL',
  'NBWSS_ERR_URI_FRAGMENT',
  'NBWSS_ERR_URI_NOT_ALLOWED',
  'NBWSS_ERR_HEADERS',
  'NBWSS_ERR_HEADER_NAME',
  'NBWSS_ERR_HEADER_VALUE',
  'NBWSS_ERR_HEADER_CRLF',
  'NBWSS_ERR_HEADER_DUPLICATE',
  'NBWSS_ERR_PARAMETERS',
] as const;
export type CommandRefusalCode = (typeof COMMAND_REFUSAL_CODES)[number];

/** Codes of {@link UpstreamError}: the daemon answers a COMMAND by itself because NetBackup's answer cannot be had. */
export const UPSTREAM_ERROR_CODES = ['NBWSS_ERR_UPSTREAM', 'NBWSS_ERR_UPSTREAM_UNREACHABLE', 'NBWSS_ERR_UPSTREAM_TIMEOUT', 'NBWSS_ERR_RESPONSE_TOO_LARGE'] as const;
export type UpstreamErrorCode = (typeof UPSTREAM_ERROR_CODES)[number];

/** NetBackup could not be reached, did not answer in time, or answered too much: the COMMAND RESPONSE is `status`. */
export class UpstreamError extends NbwssError {
  declare readonly code: UpstreamErrorCode;
  readonly status: 502 | 504;
  constructor(status: 502 | 504, code: UpstreamErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.status = status;
  }
}

/**
 * What else a COMMAND can end with, as reported to metrics and the event stream: `NBWSS_ERR_BUSY` (a 503 COMMAND
 * RESPONSE: the connection's queue or its byte budget is full), `NBWSS_ERR_BACKPRESSURE` (a 503: the endpoint is
 * not reading its socket) and `NBWSS_ERR_SOCKET_CLOSED` (no response: the socket closed first). Never thrown.
 */
export const COMMAND_OUTCOME_CODES = ['NBWSS_ERR_BUSY', 'NBWSS_ERR_BACKPRESSURE', 'NBWSS_ERR_SOCKET_CLOSED'] as const;

/** Every code a COMMAND can be answered or reported with, other than NetBackup's own answer. */
export type CommandErrorCode = CommandRefusalCode | UpstreamErrorCode | (typeof COMMAND_OUTCOME_CODES)[number];

/** Codes of {@link HttpError}: problems with an admin request itself rather than with what it asks for. */
export const HTTP_ERROR_CODES = [
  'NBWSS_ERR_HTTP_NOT_FOUND',
  'NBWSS_ERR_HTTP_METHOD',
  'NBWSS_ERR_HTTP_BODY_TOO_LARGE',
  'NBWSS_ERR_HTTP_MEDIA_TYPE',
  'NBWSS_ERR_HTTP_BAD_JSON',
  'NBWSS_ERR_HTTP_BAD_REQUEST',
  'NBWSS_ERR_HTTP_UNAUTHORIZED',
  'NBWSS_ERR_HTTP_FORBIDDEN',
  'NBWSS_ERR_HTTP_UNAVAILABLE',
  'NBWSS_ERR_HTTP_CONFLICT',
  'NBWSS_ERR_HTTP_INTERNAL',
] as const;
export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];

/** An admin API request failed with an HTTP status (the admin server answers it with this code in the body). */
export class HttpError extends NbwssError {
  declare readonly code: HttpErrorCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[]>>;
  constructor(status: number, code: HttpErrorCode, message: string, headers: Record<string, string | string[]> = {}, options?: ErrorOptions) {
    super(code, message, options);
    this.status = status;
    this.headers = headers;
  }
}

/** Codes of {@link MockEndpointError}. */
export const MOCK_ENDPOINT_ERROR_CODES = [
  'NBWSS_ERR_MOCK_NOT_CONNECTED',
  'NBWSS_ERR_MOCK_COMMAND_TIMEOUT',
  'NBWSS_ERR_MOCK_COMMAND_CLOSED',
  'NBWSS_ERR_MOCK_WAIT_TIMEOUT',
  'NBWSS_ERR_MOCK_DETAILS',
  'NBWSS_ERR_MOCK_OPTIONS',
  'NBWSS_ERR_MOCK_CLOSED',
  'NBWSS_ERR_MOCK_STATE',
] as const;
export type MockEndpointErrorCode = (typeof MOCK_ENDPOINT_ERROR_CODES)[number];

/** A mock endpoint operation failed (no NetBackup connected, a command timed out, bad options). */
export class MockEndpointError extends NbwssError {
  declare readonly code: MockEndpointErrorCode;
  constructor(code: MockEndpointErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** Codes of {@link WorldError}. */
export const WORLD_ERROR_CODES = ['NBWSS_ERR_MOCK_INVALID', 'NBWSS_ERR_MOCK_EXISTS', 'NBWSS_ERR_MOCK_NOT_FOUND'] as const;
export type WorldErrorCode = (typeof WORLD_ERROR_CODES)[number];

/** A mock NetBackup world method was given a record that is invalid, already exists, or does not exist. */
export class WorldError extends NbwssError {
  declare readonly code: WorldErrorCode;
  constructor(code: WorldErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** Code of {@link FilterError}. */
export const FILTER_ERROR_CODES = ['NBWSS_ERR_MOCK_FILTER'] as const;

/** A mock NetBackup filter (or sort) expression that cannot be used; `message` says where and why. */
export class FilterError extends NbwssError {
  declare readonly code: (typeof FILTER_ERROR_CODES)[number];
  constructor(message: string, options?: ErrorOptions) {
    super('NBWSS_ERR_MOCK_FILTER', message, options);
  }
}

/** Every code of this file, by family (one code appears in one family only). */
export const ERROR_CODES = {
  config: CONFIG_ERROR_CODES,
  jsonInput: JSON_INPUT_ERROR_CODES,
  store: STORE_ERROR_CODES,
  endpoint: ENDPOINT_ERROR_CODES,
  single: SINGLE_ERROR_CODES,
  security: SECURITY_ERROR_CODES,
  decode: DECODE_ERROR_CODES,
  connect: Object.values(CONNECT_ERROR_CODES),
  pinMismatch: PIN_MISMATCH_ERROR_CODES,
  commandRefusal: COMMAND_REFUSAL_CODES,
  upstream: UPSTREAM_ERROR_CODES,
  commandOutcome: COMMAND_OUTCOME_CODES,
  http: HTTP_ERROR_CODES,
  mockEndpoint: MOCK_ENDPOINT_ERROR_CODES,
  world: WORLD_ERROR_CODES,
  filter: FILTER_ERROR_CODES,
} as const satisfies Record<string, readonly string[]>;
