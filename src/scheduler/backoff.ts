/**
 * Full-jitter exponential backoff (the AWS architecture blog's "full jitter", as cloudflared reconnects):
 * a delay drawn uniformly from [0, min(cap, base × 2^failures)).
 *
 * @param failures reconnect attempts that failed since the counter was last reset (0 for the first retry)
 * @param baseMs base delay (1 s for `connectionInfo.reconnectOnClose`)
 * @param capMs upper bound (`connectionInfo.period`)
 * @param random a source in [0, 1) (injected so tests are deterministic)
 */
export function fullJitterDelay(failures: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(failures, 30));
  return Math.floor(random() * ceiling);
}
