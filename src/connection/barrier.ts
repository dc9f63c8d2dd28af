import type { Logger } from '../logger.js';

/**
 * The one barrier of a connection (issue 10 A3): every callback the socket makes into the connection runs through
 * {@link run}. An exception nobody expected is logged (the first one as an error, later ones at debug) and handed
 * to `onFault`, which closes that connection; it never reaches the socket's emitter, where it would become an
 * uncaught exception and stop the process.
 */
export class Barrier {
  #faults = 0;

  constructor(
    /** The connection's logger, asked for only when there is something to log. */
    private readonly log: () => Logger,
    private readonly status: () => string,
    private readonly onFault: (where: string, err: unknown) => void,
  ) {}

  /** Unexpected exceptions caught so far. */
  get faults(): number {
    return this.#faults;
  }

  /** Run `fn`; an exception it throws is handled by {@link fault}. */
  run(where: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fault(where, err);
    }
  }

  /** Log an unexpected exception (the first as an error) and hand it to `onFault` (whose own throw is logged). */
  fault(where: string, err: unknown): void {
    const fields = { err, where, status: this.status() };
    if (this.#faults++ === 0) this.log().error(fields, 'unexpected exception: closing this connection with 1011');
    else this.log().debug(fields, 'unexpected exception (again)');
    try {
      this.onFault(where, err);
    } catch (again) {
      this.log().error({ err: again }, 'could not close the connection after an unexpected exception');
    }
  }
}
