/**
 * Every error nbwss raises on purpose carries a stable `code` (STYLE §7). Operators and tests match on the code;
 * the message is for humans and, where the NetBackup guide names one, is the product's own English string
 * (spec §8) so that it can be searched for.
 */

/** Base class: sets `name`, keeps `cause`, and adds a stable `code`. */
export class NbwssError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration key has an invalid value, or the file cannot be read. Names key, value, file and line. */
export class ConfigError extends NbwssError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NBWSS_ERR_CONFIG', message, options);
  }
}

/** The database cannot be opened, migrated, or is newer than this code. */
export class StoreError extends NbwssError {
  constructor(code: 'NBWSS_ERR_DB_NEWER' | 'NBWSS_ERR_DB_OPEN' | 'NBWSS_ERR_DB_LOCKED' | 'NBWSS_ERR_MIGRATION', message: string, options?: { cause?: unknown }) {
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
export type EndpointErrorCode =
  | 'NBWSS_ERR_JSON_NOT_VALID'
  | 'NBWSS_ERR_INVALID_PROTOCOL'
  | 'NBWSS_ERR_MALFORMED_URL'
  | 'NBWSS_ERR_UNREACHABLE'
  | 'NBWSS_ERR_INVALID_PARAMETER'
  | 'NBWSS_ERR_NO_CERTIFICATE'
  | 'NBWSS_ERR_UNPARSABLE_CONTENT'
  | 'NBWSS_ERR_ALREADY_EXISTS'
  | 'NBWSS_ERR_CERTIFICATE_MISMATCH'
  | 'NBWSS_ERR_SSL_SETUP'
  | 'NBWSS_ERR_TRUSTSTORE_WRITE'
  | 'NBWSS_ERR_KEYSTORE_LOAD'
  | 'NBWSS_ERR_CERTIFICATE_REMOVE'
  | 'NBWSS_ERR_NOT_FOUND';

/**
 * An endpoint credential operation failed. `message` is the guide's string; `detail` (optional) says more for
 * logs and `--verbose` output without changing the searchable message.
 */
export class EndpointError extends NbwssError {
  readonly detail: string | undefined;
  constructor(code: EndpointErrorCode, message: string, options?: { cause?: unknown; detail?: string }) {
    super(code, message, options);
    this.detail = options?.detail;
  }
}

/** The operator declined the certificate at the prompt of `nbwss endpoints add`: nothing was stored. */
export class CertificateRejectedError extends NbwssError {
  constructor(message: string) {
    super('NBWSS_ERR_CERTIFICATE_REJECTED', message);
  }
}

/** A file or stream named on the command line (`--file`, `--ca`, `--token-stdin`) cannot be read or is empty. */
export class InputError extends NbwssError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NBWSS_ERR_INPUT', message, options);
  }
}

/** Token encryption key missing, unreadable, or a token that does not decrypt with it. */
export class SecurityError extends NbwssError {
  constructor(code: 'NBWSS_ERR_KEY_FILE' | 'NBWSS_ERR_TOKEN_DECRYPT', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A notification given to `raise()` / `nbwss notify` / the admin API does not have the guide's shape. */
export class NotificationValidationError extends NbwssError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NBWSS_ERR_NOTIFICATION_INVALID', message, options);
  }
}

/** An incoming frame could not be understood (spec §7, `exception.ignoreDecoder`). */
export class DecodeError extends NbwssError {
  /** WebSocket close code that fits: 1003 for binary frames, 1007 for an invalid payload. */
  readonly closeCode: 1003 | 1007;
  constructor(code: 'NBWSS_ERR_DECODE_BINARY' | 'NBWSS_ERR_DECODE_JSON' | 'NBWSS_ERR_DECODE_SHAPE' | 'NBWSS_ERR_DECODE_TYPE', message: string, closeCode: 1003 | 1007) {
    super(code, message);
    this.closeCode = closeCode;
  }
}

/** A connection attempt failed; `reason` is short and stable enough to be a metric label. */
export type ConnectFailureReason =
  | 'unreachable'
  | 'tls'
  | 'pin_mismatch'
  | 'handshake_timeout'
  | 'rejected'
  | 'closed'
  | 'http_status'
  | 'aborted';

/** A connection attempt to an endpoint did not reach CONNECTED. */
export class ConnectError extends NbwssError {
  readonly reason: ConnectFailureReason;
  constructor(reason: ConnectFailureReason, message: string, options?: { cause?: unknown }) {
    super(`NBWSS_ERR_CONNECT_${reason.toUpperCase()}`, message, options);
    this.reason = reason;
  }
}

/** Another daemon already runs on the same database. */
export class LockError extends NbwssError {
  constructor(message: string) {
    super('NBWSS_ERR_LOCKED', message);
  }
}

/** Wrong command-line usage (exit code 2). */
export class UsageError extends NbwssError {
  constructor(message: string) {
    super('NBWSS_ERR_USAGE', message);
  }
}
