import { describe, expect, it } from 'vitest';
import { parseEndpointDetails, publicDetails, validateToken, MAX_DETAILS_BYTES } from '../../src/endpoints/validate.js';
import { EndpointError } from '../../src/errors.js';

const good = {
  token: 'MIID4TCCAsmgAwIBAgIJAKx',
  priority: 1,
  groupId: 'GROUPID1',
  hostName: 'vrhel6u5-vm4.acme.com',
  url: 'wss://vrhel6u5-vm4.acme.com:14146/cfs/nbufacade',
};

function errorOf(text: string): EndpointError {
  try {
    parseEndpointDetails(text);
  } catch (err) {
    expect(err).toBeInstanceOf(EndpointError);
    return err as EndpointError;
  }
  throw new Error(`expected ${text} to be rejected`);
}

function expectNotValid(text: string, detail?: RegExp): void {
  const err = errorOf(text);
  expect(err.message).toBe('JSON contents not valid');
  expect(err.code).toBe('NBWSS_ERR_JSON_NOT_VALID');
  if (detail) expect(err.detail).toMatch(detail);
}

const withMember = (patch: Record<string, unknown>) => JSON.stringify({ ...good, ...patch });

describe('parseEndpointDetails (spec §8)', () => {
  it('accepts the guide example', () => {
    expect(parseEndpointDetails(JSON.stringify(good))).toEqual(good);
  });

  it('accepts the five members in any order, with whitespace and a BOM', () => {
    const text = '\uFEFF{\n  "url": "wss://h:1/x",\n  "hostName": "h",\n  "groupId": "g",\n  "priority": 2.5,\n  "token": "t"\n}\n';
    expect(parseEndpointDetails(text)).toEqual({ url: 'wss://h:1/x', hostName: 'h', groupId: 'g', priority: 2.5, token: 't' });
  });

  it('rejects text that is not JSON', () => expectNotValid('{"token": "t", priority: 1}', /not valid JSON: expected a member name in double quotes, found 'p' at line 1, column 16/));
  it('never quotes the text (which holds the token) in the error, its detail or its cause', () => {
    for (const text of ['{"token":SECRET-tok, "priority":1}', 'SECRET-tok', '{"token":"SECRET-tok",}']) {
      const err = errorOf(text);
      expect(err.code).toBe('NBWSS_ERR_JSON_NOT_VALID');
      expect(`${err.message} ${err.detail} ${String((err as Error & { cause?: unknown }).cause)}`).not.toContain('SECRET');
    }
  });
  it('rejects a JSON array (not one object)', () => expectNotValid(JSON.stringify([good]), /not one JSON object/));
  it('rejects two objects in one file', () => expectNotValid(JSON.stringify(good) + JSON.stringify(good), /not valid JSON: unexpected text after the JSON value/));
  it('rejects null and scalars', () => {
    expectNotValid('null', /not one JSON object/);
    expectNotValid('"text"', /not one JSON object/);
  });
  it('rejects a missing member', () => {
    const { groupId: _g, ...rest } = good;
    expectNotValid(JSON.stringify(rest), /missing member groupId/);
  });
  it('rejects an extra member', () => expectNotValid(withMember({ comment: 'x' }), /unexpected member comment/));
  it('rejects a member given twice (six members)', () => {
    expectNotValid(JSON.stringify(good).replace('{', '{"token":"other",'), /field \$\.token: given twice in the same object/);
  });
  it('counts member names correctly when values contain quotes and colons', () => {
    expect(parseEndpointDetails(withMember({ token: 'a\\":b', groupId: 'x: "y"' })).groupId).toBe('x: "y"');
  });
  it('rejects a priority that is a string', () => expectNotValid(withMember({ priority: '1' }), /priority must be a number/));
  it('rejects a priority that is null', () => expectNotValid(withMember({ priority: null }), /priority must be a number/));
  for (const k of ['token', 'groupId', 'hostName', 'url'] as const) {
    it(`rejects an empty ${k}`, () => expectNotValid(withMember({ [k]: '' }), new RegExp(`${k} is empty`)));
    it(`rejects a ${k} that is not a string`, () => expectNotValid(withMember({ [k]: 5 }), new RegExp(`${k} must be a string`)));
  }
  it('rejects a blank (whitespace-only) value', () => expectNotValid(withMember({ groupId: '   ' }), /groupId is empty/));
  it('rejects an apostrophe in a value', () => expectNotValid(withMember({ groupId: "O'Brien" }), /apostrophe/));
  it('rejects an apostrophe anywhere in the text, even outside values', () => {
    expectNotValid(JSON.stringify(good, null, 1).replace('\n}', "\n}'"), /apostrophe/);
  });
  it('rejects an apostrophe written as \\u0027', () => {
    expectNotValid(JSON.stringify(good).replace('GROUPID1', 'GROUP\\u0027ID1'), /groupId contains an apostrophe/);
  });
  it('rejects a text over 64 KiB', () => {
    expectNotValid(withMember({ token: 'x'.repeat(MAX_DETAILS_BYTES) }), /larger than/);
  });

  it('url not parseable → Malformed URL: <url>', () => {
    const err = errorOf(withMember({ url: 'not a url' }));
    expect(err.message).toBe('Malformed URL: not a url');
    expect(err.code).toBe('NBWSS_ERR_MALFORMED_URL');
  });
  it('url ws:// → Invalid websocket protocol. Only wss protocol supported', () => {
    const err = errorOf(withMember({ url: 'ws://h:14146/x' }));
    expect(err.message).toBe('Invalid websocket protocol. Only wss protocol supported');
    expect(err.code).toBe('NBWSS_ERR_INVALID_PROTOCOL');
    expect(err.detail).toMatch(/scheme is ws$/);
  });
  it('url https:// → Invalid websocket protocol', () => {
    expect(errorOf(withMember({ url: 'https://h/x' })).code).toBe('NBWSS_ERR_INVALID_PROTOCOL');
  });
  it('checks the members before the url (an empty token wins over a ws:// url)', () => {
    expect(errorOf(withMember({ token: '', url: 'ws://h' })).code).toBe('NBWSS_ERR_JSON_NOT_VALID');
  });
});

describe('validateToken and publicDetails', () => {
  it('accepts a token, rejects empty, non-string and apostrophe tokens', () => {
    expect(validateToken('abc')).toBe('abc');
    for (const bad of ['', ' ', 5, "a'b"]) expect(() => validateToken(bad)).toThrow('JSON contents not valid');
  });
  it('publicDetails drops the token', () => {
    expect(publicDetails(good)).toEqual({ hostName: good.hostName, url: good.url, groupId: good.groupId, priority: 1 });
    expect(JSON.stringify(publicDetails(good))).not.toContain(good.token);
  });

  it('refuses a #fragment (ws cannot dial it) and user:password@ in url, with the guide message (userinfo masked)', () => {
    for (const url of ['wss://h:1/p#x', 'wss://h:1/p#', 'wss://h:1#']) {
      const err = errorOf(withMember({ url }));
      expect(err).toMatchObject({ code: 'NBWSS_ERR_MALFORMED_URL', message: `Malformed URL: ${url}` });
      expect(err.detail).toMatch(/fragment/);
    }
    const err = errorOf(withMember({ url: 'wss://admin:s3cret@h:1/p' }));
    expect(err).toMatchObject({ code: 'NBWSS_ERR_MALFORMED_URL', message: 'Malformed URL: wss://***@h:1/p' });
    expect(`${err.message} ${err.detail}`).not.toContain('s3cret');
    expect(errorOf(withMember({ url: 'wss://user@h:1/p' })).code).toBe('NBWSS_ERR_MALFORMED_URL');
    expect(parseEndpointDetails(withMember({ url: 'wss://h:1/p?q=%23x' })).url).toBe('wss://h:1/p?q=%23x');
  });
});

describe('parseEndpointDetails: the strict JSON reader (issue 10 D14)', () => {
  const good = { token: 'tok', priority: 1, groupId: 'G1', hostName: 'ep1.example.com', url: 'wss://ep1.example.com/nbwss' };
  it('bytes that are not UTF-8 are refused (not read as U+FFFD in the group id)', () => {
    const json = JSON.stringify(good);
    const at = json.indexOf('G1') + 1;
    const bytes = Buffer.concat([Buffer.from(json.slice(0, at)), Buffer.from([0xff]), Buffer.from(json.slice(at + 1))]);
    let err: unknown;
    try {
      parseEndpointDetails(bytes);
    } catch (e) {
      err = e;
    }
    expect((err as { detail?: string }).detail).toBe(`not valid UTF-8 at byte ${at}`);
    // the same character, properly encoded, is fine
    expect(parseEndpointDetails(Buffer.from(json.replace('G1', 'G\u00ff'))).groupId).toBe('G\u00ff');
  });
  it('a priority that cannot be read back exactly is refused naming the field', () => {
    let err: unknown;
    try {
      parseEndpointDetails(JSON.stringify(good).replace('"priority":1', '"priority":1e400'));
    } catch (e) {
      err = e;
    }
    expect((err as { detail?: string }).detail).toBe('field $.priority: the number 1e400 is beyond the range of a double: it cannot be read back exactly (send it as a string)');
  });
});
