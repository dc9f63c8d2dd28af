import { expect } from 'vitest';

/**
 * The error a promise (or a function, sync or async) rejects with; fails the test when it resolves instead or the
 * error is not an instance of `type`.
 */
export async function rejection<E extends Error>(p: Promise<unknown> | (() => unknown), type: abstract new (...args: never[]) => E): Promise<E> {
  const err = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}
