import fc from 'fast-check';

/**
 * Arbitraries of hostile frames for the fuzz suite: random text and bytes, random JSON, valid NBWSS messages of every
 * kind with mutated envelopes (fields removed, replaced by random values, nested 100,000 levels deep, ids too long
 * or in lower case), COMMAND REQUESTs with random payloads, binary frames, invalid UTF-8, and the rare frame over
 * 2 MiB. JSON is assembled from raw pieces, so a deep value never goes through `JSON.stringify` here either.
 */

/** One frame the hostile endpoint sends. */
export interface Frame {
  /** Text (or bytes) as sent. */
  data: string | Uint8Array;
  /** A binary frame (else a text frame, whatever the bytes). */
  binary: boolean;
  /** What it is, for the counterexample message. */
  label: string;
}

/** How fuzz runs are sized: `FUZZ_RUNS=n` (e.g. `npm run fuzz`) runs n cases per property instead of the CI default. */
export function fuzzRuns(ciDefault: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : ciDefault;
}

/** `{"a":…}` nested `depth` levels deep around `inner`, as JSON text. */
export function nested(depth: number, inner = '1'): string {
  return '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
}

const text = (data: string, label: string): Frame => ({ data, binary: false, label });
const json = (v: unknown) => JSON.stringify(v);

/** A raw JSON value: usually small and random, sometimes nested thousands of levels deep, sometimes long. */
const rawValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(json) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 100_000 }).map((d) => nested(d)) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 100_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)) },
  { weight: 1, arbitrary: fc.integer({ min: 129, max: 300_000 }).map((n) => json('x'.repeat(n))) },
);

type Fields = [key: string, raw: string][];

/** A valid message of each kind, as ordered raw fields (the CONNECT RESPONSE's id is filled in by the endpoint). */
const baseMessages: Record<string, Fields> = {
  'CONNECT RESPONSE': [['version', '"1.0"'], ['id', '"$CONNECT_ID"'], ['type', '"CONNECT"'], ['subType', '"RESPONSE"'], ['timeStamp', '1'], ['payload', '{"valid":true}']],
  'CONNECT REQUEST': [['version', '"1.0"'], ['id', '"C-1"'], ['type', '"CONNECT"'], ['subType', '"REQUEST"'], ['timeStamp', '1'], ['payload', '{"token":"t"}']],
  'COMMAND REQUEST': [['version', '"1.0"'], ['id', '"F-1"'], ['type', '"COMMAND"'], ['subType', '"REQUEST"'], ['timeStamp', '1'], ['payload', '{"uri":"/netbackup/admin/jobs","method":"GET"}']],
  'COMMAND RESPONSE': [['version', '"1.0"'], ['id', '"F-2"'], ['type', '"COMMAND"'], ['subType', '"RESPONSE"'], ['timeStamp', '1'], ['payload', '{"headers":{},"responseCode":200,"body":""}']],
  'NOTIFICATION RESPONSE': [['version', '"1.0"'], ['id', '"F-3"'], ['type', '"NOTIFICATION"'], ['subType', '"RESPONSE"'], ['timeStamp', '1'], ['payload', '[]']],
  'NOTIFICATION REQUEST': [['version', '"1.0"'], ['id', '"F-4"'], ['type', '"NOTIFICATION"'], ['subType', '"REQUEST"'], ['timeStamp', '1'], ['payload', '[]']],
};

type Mutation = { op: 'drop'; key: string } | { op: 'set'; key: string; raw: string } | { op: 'lowerId' };

const FIELDS = ['version', 'id', 'type', 'subType', 'timeStamp', 'payload', 'extra'];
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), key: fc.constantFrom(...FIELDS) }),
  fc.record({ op: fc.constant('set' as const), key: fc.constantFrom(...FIELDS), raw: rawValue }),
  fc.constant({ op: 'lowerId' as const }),
);

function apply(fields: Fields, m: Mutation): Fields {
  if (m.op === 'drop') return fields.filter(([k]) => k !== m.key);
  if (m.op === 'lowerId') return fields.map(([k, v]) => [k, k === 'id' ? v.toLowerCase() : v]);
  return fields.some(([k]) => k === m.key) ? fields.map(([k, v]) => [k, k === m.key ? m.raw : v]) : [...fields, [m.key, m.raw]];
}

const serialize = (fields: Fields) => '{' + fields.map(([k, v]) => `${json(k)}:${v}`).join(',') + '}';

/** A valid message of some kind with 0 to 3 mutations. */
const mutatedMessage: fc.Arbitrary<Frame> = fc
  .tuple(fc.constantFrom(...Object.keys(baseMessages)), fc.array(mutation, { maxLength: 3 }))
  .map(([kind, ms]) => text(serialize(ms.reduce(apply, baseMessages[kind]!)), `${kind} ${ms.map((m) => m.op + ('key' in m ? ':' + m.key : '')).join(',') || 'as is'}`));

const uriPiece = fc.constantFrom('/netbackup/', 'admin/jobs', '..', '..;', '%2e%2e', '%2e%2e%3b', '//', '\\', '#', '?x=1', '%00', '%', 'http://evil/', ';', '/', 'é');
/** A COMMAND REQUEST with a random payload (uri, method, headers, parameters). */
const randomCommand: fc.Arbitrary<Frame> = fc
  .record({
    id: fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 40 })),
    uri: fc.oneof(fc.array(uriPiece, { maxLength: 6 }).map((p) => json(p.join(''))), rawValue),
    method: fc.oneof(fc.constantFrom('"GET"', '"POST"', '"DELETE"', '"TRACE"', '"get"', '""'), rawValue),
    headers: fc.oneof(fc.dictionary(fc.string({ maxLength: 12 }), fc.oneof(fc.string({ maxLength: 20 }), fc.integer())).map(json), rawValue),
    parameters: fc.oneof(fc.string({ maxLength: 100 }).map(json), rawValue),
  })
  .map((c) => text(`{"version":"1.0","id":${json(c.id)},"type":"COMMAND","subType":"REQUEST","timeStamp":1,"payload":{"uri":${c.uri},"method":${c.method},"headers":${c.headers},"parameters":${c.parameters}}}`, 'COMMAND REQUEST, random payload'));

/** Any hostile frame. */
export const hostileFrame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }).map((s) => text(s, 'random text')) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => text(json(v) ?? 'null', 'random JSON')) },
  { weight: 6, arbitrary: mutatedMessage },
  { weight: 4, arbitrary: randomCommand },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b): Frame => ({ data: b, binary: true, label: 'binary' })) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 50 }).map((b): Frame => ({ data: Uint8Array.from([0xc3, 0x28, ...b]), binary: false, label: 'invalid UTF-8 text' })) },
  { weight: 1, arbitrary: fc.constant(text('x'.repeat(2_097_153), '2,097,153 bytes')) },
);

/** The protocol states a case starts its frames in. */
export const STATES = ['before the CONNECT RESPONSE', 'established', 'mid-COMMAND'] as const;
export type FuzzState = (typeof STATES)[number];

/** One fuzz case: a state, 1 to 5 hostile frames. */
export const fuzzCase = fc.record({ state: fc.constantFrom(...STATES), frames: fc.array(hostileFrame, { minLength: 1, maxLength: 5 }) });
export type FuzzCase = { state: FuzzState; frames: Frame[] };

/** The text of the frame as sent, with the CONNECT id filled in. */
export function frameData(f: Frame, connectId: string): string | Buffer {
  return typeof f.data === 'string' ? f.data.replace('$CONNECT_ID', connectId) : Buffer.from(f.data);
}

/** A short description of a case for failure messages. */
export function describeCase(c: FuzzCase): string {
  return `${c.state}: ${c.frames.map((f) => `${f.label} (${typeof f.data === 'string' ? f.data.length : f.data.length} ${typeof f.data === 'string' ? 'chars' : 'bytes'}${typeof f.data === 'string' && f.data.length < 120 ? ' ' + JSON.stringify(f.data) : ''})`).join('; ')}`;
}

/** A COMMAND REQUEST the endpoint sends to see whether the connection still works (GET `uri`). */
export function probeCommand(id: string, uri = '/netbackup/admin/jobs'): string {
  return `{"version":"1.0","id":"${id}","type":"COMMAND","subType":"REQUEST","timeStamp":1,"payload":{"uri":"${uri}","method":"GET"}}`;
}

/**
 * The hostile endpoint's side of case `n`, from the CONNECT REQUEST (`connectId`) on: the frames at the case's
 * state, then the probe COMMAND `PROBE-n` (and, mid-COMMAND, `MID-n` in flight before the frames).
 */
export function playCase(c: FuzzCase, n: number, connectId: string, send: (data: string | Buffer, binary?: boolean) => void): void {
  const connectResponse = `{"version":"1.0","id":"${connectId}","type":"CONNECT","subType":"RESPONSE","timeStamp":1,"payload":{"valid":true}}`;
  if (c.state !== 'before the CONNECT RESPONSE') send(connectResponse);
  if (c.state === 'mid-COMMAND') send(probeCommand(`MID-${n}`));
  for (const f of c.frames) send(frameData(f, connectId), f.binary);
  if (c.state === 'before the CONNECT RESPONSE') send(connectResponse);
  send(probeCommand(`PROBE-${n}`));
}

/** True once the answers seen complete case `n` (the probe, and mid-COMMAND the COMMAND in flight). */
export function caseAnswered(c: FuzzCase, n: number, answered: ReadonlySet<string>): boolean {
  return answered.has(`PROBE-${n}`) && (c.state !== 'mid-COMMAND' || answered.has(`MID-${n}`));
}

