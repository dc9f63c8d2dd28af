import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  checkCommandRequest,
  checkCommandResponse,
  checkConnectRequest,
  checkConnectResponse,
  checkFromEndpoint,
  checkFromNetBackup,
  checkNotificationRequest,
  checkNotificationResponse,
  parseFrame,
  payloadDigest,
  resendProblems,
  sequenceProblems,
  type Problem,
} from '../../src/conformance/index.js';
import { commandRequest, commandResponse, connectRequest, connectResponse, notificationResponse } from '../../src/protocol/index.js';
import { guidePayload } from '../endpoint-mock/helpers.js';

// The guide's own examples (spec §3–§5): every check must pass them untouched.
const ID = '0CEAB6C2-0BBF-4F60-974D-C1F3EF39B872';
const connectReq = () => connectRequest('qwerrtrtrtrt2234344===', 1444944181, ID) as unknown as Record<string, unknown>;
const notifyReq = () => ({ version: '1.0', id: '608FE0C1-B03C-421D-8876-E3730A7855AF', type: 'NOTIFICATION', subType: 'REQUEST', timeStamp: 1459811724, payload: guidePayload() }) as Record<string, unknown>;
const cmdResp = () =>
  commandResponse(
    '9CD2B89F-0BBF-4F60-974D-C1F3EF39B872',
    { headers: { date: 'Thu, 14 Jan 2016 20:58:11 GMT', 'content-type': 'application/vnd.netbackup+json;version=1.0' }, responseCode: 200, body: '{"vmServer":{}}' },
    1444806444,
  ) as unknown as Record<string, unknown>;
const cmdReq = () =>
  commandRequest(
    { uri: '/netbackup/config/servers/vmservers', method: 'POST', headers: { 'Content-Type': 'application/vnd.netbackup+json;version=1.0', Authorization: 'eyJ0eXAi' }, parameters: '{"serverName": "vcenterServer1"}' },
    1444856264,
    '99B9BD8C-9E3E-406A-A7EE-33B88531C7D9',
  ) as unknown as Record<string, unknown>;

const rules = (ps: Problem[]) => ps.map((p) => p.rule);
const only = (ps: Problem[]) => {
  expect(ps).toHaveLength(1);
  return ps[0]!;
};
function withPayload(m: Record<string, unknown>, change: (p: Record<string, unknown>) => void): Record<string, unknown> {
  const copy = structuredClone(m);
  change(copy.payload as Record<string, unknown>);
  return copy;
}

describe('conformance: the guide examples pass', () => {
  it('every message of the guide, both directions', () => {
    expect(checkConnectRequest(connectReq())).toEqual([]);
    expect(checkNotificationRequest(notifyReq())).toEqual([]);
    expect(checkCommandResponse(cmdResp(), { sentCommandIds: new Set(['9CD2B89F-0BBF-4F60-974D-C1F3EF39B872']) })).toEqual([]);
    expect(checkCommandRequest(cmdReq())).toEqual([]);
    expect(checkConnectResponse(connectResponse(ID, true, 1444944182), { connectRequestId: ID })).toEqual([]);
    expect(checkNotificationResponse(notificationResponse(ID, 1), { notificationIds: new Set([ID]) })).toEqual([]);
    for (const m of [connectReq(), notifyReq(), cmdResp()]) expect(checkFromNetBackup(m)).toEqual([]);
    for (const m of [cmdReq(), connectResponse(ID, false, 1), notificationResponse(ID, 1)]) expect(checkFromEndpoint(m)).toEqual([]);
  });
});

describe('conformance: frames', () => {
  it('frame.binary', () => expect(rules(parseFrame(Buffer.from('{}'), true).problems)).toEqual(['frame.binary']));
  it('frame.json', () => expect(only(parseFrame('{"a":', false).problems)).toMatchObject({ rule: 'frame.json', path: '$' }));
  it('frame.object', () => {
    expect(rules(parseFrame('[1]', false).problems)).toEqual(['frame.object']);
    expect(parseFrame('{"a":1}', false)).toEqual({ value: { a: 1 }, problems: [] });
    expect(rules(checkConnectRequest('text'))).toEqual(['frame.object']);
  });
});

describe('conformance: envelope (spec §2)', () => {
  it('envelope.version', () => expect(only(checkConnectRequest({ ...connectReq(), version: '2.0' }))).toMatchObject({ rule: 'envelope.version', path: 'version' }));
  it('envelope.id', () => expect(rules(checkConnectRequest({ ...connectReq(), id: '' }))).toEqual(['envelope.id']));
  it('envelope.idUuid', () => expect(rules(checkConnectRequest({ ...connectReq(), id: 'abc' }))).toEqual(['envelope.idUuid']));
  it('envelope.idUpperCase: an error from NetBackup, a warning from an endpoint', () => {
    expect(only(checkNotificationRequest({ ...notifyReq(), id: ID.toLowerCase() }))).toMatchObject({ rule: 'envelope.idUpperCase', severity: 'error' });
    expect(only(checkCommandRequest({ ...cmdReq(), id: ID.toLowerCase() }))).toMatchObject({ rule: 'envelope.idUpperCase', severity: 'warning' });
  });
  it('envelope.type and envelope.subType', () => {
    expect(rules(checkConnectRequest({ ...connectReq(), type: 'CONNECTX' }))).toEqual(['envelope.type']);
    expect(rules(checkConnectRequest({ ...connectReq(), subType: 'RESPONSE' }))).toEqual(['envelope.subType']);
    expect(rules(checkFromNetBackup({ ...connectReq(), type: 'HELLO', subType: 'X' }))).toEqual(['envelope.type', 'envelope.subType']);
  });
  it('envelope.timeStamp: integer epoch seconds, not milliseconds, not a string', () => {
    expect(only(checkConnectRequest({ ...connectReq(), timeStamp: 1444944181000 }))).toMatchObject({ rule: 'envelope.timeStamp', message: expect.stringMatching(/milliseconds/) });
    expect(rules(checkConnectRequest({ ...connectReq(), timeStamp: 1444944181.5 }))).toEqual(['envelope.timeStamp']);
    expect(rules(checkConnectRequest({ ...connectReq(), timeStamp: '1444944181' }))).toEqual(['envelope.timeStamp']);
  });
  it('envelope.payload: an object for CONNECT/COMMAND, an array for NOTIFICATION', () => {
    expect(rules(checkConnectRequest({ ...connectReq(), payload: [] }))).toEqual(['envelope.payload']);
    expect(rules(checkNotificationRequest({ ...notifyReq(), payload: {} }))).toEqual(['envelope.payload']);
  });
});

describe('conformance: messages NetBackup sends', () => {
  it('connect.token', () => {
    expect(only(checkConnectRequest(withPayload(connectReq(), (p) => delete p.token)))).toMatchObject({ rule: 'connect.token', path: 'payload.token' });
    expect(rules(checkConnectRequest(withPayload(connectReq(), (p) => (p.token = ''))))).toEqual(['connect.token']);
  });
  it('notification.payload: not empty', () => expect(rules(checkNotificationRequest({ ...notifyReq(), payload: [] }))).toEqual(['notification.payload']));
  it('notification.element', () => expect(only(checkNotificationRequest({ ...notifyReq(), payload: ['x'] }))).toMatchObject({ rule: 'notification.element', path: 'payload[0]' }));
  it('notification.notificationType', () => {
    const m = notifyReq();
    (m.payload as Record<string, unknown>[])[1]!.notificationType = 'WARN';
    expect(only(checkNotificationRequest(m))).toMatchObject({ rule: 'notification.notificationType', path: 'payload[1].notificationType' });
  });
  it('notification.object', () => {
    const m = notifyReq();
    (m.payload as Record<string, unknown>[])[0]!.object = 'POLICY';
    expect(rules(checkNotificationRequest(m))).toEqual(['notification.object']);
  });
  it('notification.oneElementPerObject', () => {
    const m = notifyReq();
    (m.payload as unknown[]).push(guidePayload()[0]);
    expect(only(checkNotificationRequest(m))).toMatchObject({ rule: 'notification.oneElementPerObject', path: 'payload[2].object' });
  });
  it('notification.data: a non-empty array', () => {
    const m = notifyReq();
    (m.payload as Record<string, unknown>[])[0]!.data = [];
    expect(rules(checkNotificationRequest(m))).toEqual(['notification.data']);
  });
  it('notification.item: every JOB/IMAGE field of the guide, with its path', () => {
    const m = notifyReq();
    const [job, image] = m.payload as { data: Record<string, unknown>[] }[];
    job!.data[0]!.state = 'RUNNING';
    delete image!.data[0]!.backupId;
    expect(checkNotificationRequest(m)).toEqual([
      expect.objectContaining({ rule: 'notification.item', path: 'payload[0].data[0].state', message: expect.stringMatching(/QUEUED, ACTIVE, DONE/) }),
      expect.objectContaining({ rule: 'notification.item', path: 'payload[1].data[0].backupId', message: expect.stringMatching(/missing/) }),
    ]);
  });
  it('commandResponse.id: must answer a request that was sent', () => {
    expect(only(checkCommandResponse(cmdResp(), { sentCommandIds: new Set([ID]) }))).toMatchObject({ rule: 'commandResponse.id', path: 'id' });
    expect(checkCommandResponse(cmdResp())).toEqual([]); // unknown context: not checked
  });
  it('commandResponse.headers', () => expect(rules(checkCommandResponse(withPayload(cmdResp(), (p) => (p.headers = 'x'))))).toEqual(['commandResponse.headers']));
  it('commandResponse.headerName: lower case', () => {
    expect(only(checkCommandResponse(withPayload(cmdResp(), (p) => (p.headers = { 'Content-Type': 'a' }))))).toMatchObject({ rule: 'commandResponse.headerName', path: 'payload.headers.Content-Type' });
  });
  it('commandResponse.headerValue: a string', () => expect(rules(checkCommandResponse(withPayload(cmdResp(), (p) => (p.headers = { 'set-cookie': ['a'] }))))).toEqual(['commandResponse.headerValue']));
  it('commandResponse.responseCode: an integer HTTP status', () => {
    expect(rules(checkCommandResponse(withPayload(cmdResp(), (p) => (p.responseCode = '200'))))).toEqual(['commandResponse.responseCode']);
    expect(rules(checkCommandResponse(withPayload(cmdResp(), (p) => (p.responseCode = 99))))).toEqual(['commandResponse.responseCode']);
  });
  it('commandResponse.body: a string', () => expect(rules(checkCommandResponse(withPayload(cmdResp(), (p) => (p.body = { a: 1 }))))).toEqual(['commandResponse.body']));
  it('direction: NetBackup never sends an endpoint message', () => {
    expect(only(checkFromNetBackup(cmdReq()))).toMatchObject({ rule: 'direction', message: expect.stringMatching(/COMMAND REQUEST/) });
    expect(rules(checkFromNetBackup(connectResponse(ID, true, 1)))).toEqual(['direction']);
  });
});

describe('conformance: messages an endpoint sends', () => {
  it('response.id: CONNECT RESPONSE and NOTIFICATION RESPONSE carry the request id', () => {
    expect(only(checkConnectResponse(connectResponse('X', true, 1), { connectRequestId: ID }))).toMatchObject({ rule: 'response.id' });
    expect(rules(checkNotificationResponse(notificationResponse('X', 1), { notificationIds: new Set([ID]) }))).toEqual(['response.id']);
  });
  it('connect.valid: a boolean', () => expect(rules(checkConnectResponse({ ...connectResponse(ID, true, 1), payload: { valid: 'true' } }))).toEqual(['connect.valid']));
  it('notificationResponse.payload: []', () => expect(rules(checkNotificationResponse({ ...notificationResponse(ID, 1), payload: [{}] }))).toEqual(['notificationResponse.payload']));
  it('command.uri: a path, not a URL', () => {
    expect(rules(checkCommandRequest(withPayload(cmdReq(), (p) => (p.uri = 'https://nbu/netbackup'))))).toEqual(['command.uri']);
    expect(rules(checkCommandRequest(withPayload(cmdReq(), (p) => (p.uri = '//nbu/x'))))).toEqual(['command.uri']);
  });
  it('command.method', () => expect(rules(checkCommandRequest(withPayload(cmdReq(), (p) => (p.method = 'get'))))).toEqual(['command.method']));
  it('command.headers: an object of strings', () => {
    expect(rules(checkCommandRequest(withPayload(cmdReq(), (p) => (p.headers = ['a']))))).toEqual(['command.headers']);
    expect(only(checkCommandRequest(withPayload(cmdReq(), (p) => (p.headers = { X: 1 }))))).toMatchObject({ path: 'payload.headers.X' });
  });
  it('command.parameters: a JSON-escaped string, not an object', () => {
    expect(rules(checkCommandRequest(withPayload(cmdReq(), (p) => (p.parameters = { serverName: 'x' }))))).toEqual(['command.parameters']);
  });
  it('direction: an endpoint never sends a NetBackup message', () => expect(rules(checkFromEndpoint(notifyReq()))).toEqual(['direction']));
});

describe('conformance: order on one connection', () => {
  const state = (s: Partial<{ connected: boolean; rejected: boolean; unacked: string[] }>) => ({
    connected: s.connected ?? false,
    rejected: s.rejected ?? false,
    unackedNotificationIds: new Set(s.unacked ?? []),
  });
  const notify = { type: 'NOTIFICATION', subType: 'REQUEST', id: 'B' };
  it('sequence.beforeConnect', () => {
    expect(rules(sequenceProblems(state({}), notify))).toEqual(['sequence.beforeConnect']);
    expect(sequenceProblems(state({}), { type: 'CONNECT', subType: 'REQUEST', id: 'A' })).toEqual([]);
  });
  it('sequence.afterReject', () => expect(rules(sequenceProblems(state({ rejected: true }), notify))).toEqual(['sequence.afterReject']));
  it('sequence.connectTwice (a warning)', () => expect(only(sequenceProblems(state({ connected: true }), { type: 'CONNECT', subType: 'REQUEST' }))).toMatchObject({ rule: 'sequence.connectTwice', severity: 'warning' }));
  it('sequence.stopAndWait: only a resend while unacknowledged', () => {
    expect(rules(sequenceProblems(state({ connected: true, unacked: ['A'] }), notify))).toEqual(['sequence.stopAndWait']);
    expect(sequenceProblems(state({ connected: true, unacked: ['B'] }), notify)).toEqual([]);
    expect(sequenceProblems(state({ connected: true }), notify)).toEqual([]);
  });
  it('sequence.resendChanged: key order does not matter, content does', () => {
    const a = guidePayload();
    const reordered = JSON.parse(canonicalJson(a)) as unknown;
    expect(resendProblems(payloadDigest(a), reordered)).toEqual([]);
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe('{"a":[1,{"c":3,"d":2}],"b":1}');
    expect(rules(resendProblems(payloadDigest(a), guidePayload(147)))).toEqual(['sequence.resendChanged']);
  });
});

describe('conformance: never throws', () => {
  it('on any value', () => {
    for (const v of [null, undefined, 1, 'x', [], {}, { payload: null }, { type: 'NOTIFICATION', subType: 'REQUEST', payload: [null, { data: [null] }] }]) {
      expect(() => checkFromNetBackup(v)).not.toThrow();
      expect(() => checkFromEndpoint(v)).not.toThrow();
      expect(() => checkNotificationRequest(v)).not.toThrow();
      expect(() => checkCommandResponse(v, { sentCommandIds: new Set() })).not.toThrow();
    }
  });
});
