import { describe, expect, it } from 'vitest';
import { checkCommand, checkHeaders, checkUri } from '../../src/commands/validate.js';

const prefixes = ['/netbackup/'];

describe('checkUri', () => {
  it.each([
    ['/netbackup/admin/jobs', undefined],
    ['/netbackup/admin/jobs?page[limit]=5&filter=state%20eq%20%27DONE%27', undefined],
    ['/netbackup/config/servers/vmservers/vCenter2.domain.com', undefined],
    ['/netbackup/./admin/jobs', undefined],
  ])('accepts %s', (uri, expected) => {
    expect(checkUri(uri, prefixes)).toBe(expected);
  });

  it.each([
    [undefined, 'NBWSS_ERR_URI_MISSING'],
    ['', 'NBWSS_ERR_URI_MISSING'],
    [42, 'NBWSS_ERR_URI_MISSING'],
    ['http://evil.example/netbackup/admin/jobs', 'NBWSS_ERR_URI_ABSOLUTE'],
    ['https://127.0.0.1:1556/netbackup/', 'NBWSS_ERR_URI_ABSOLUTE'],
    ['file:/etc/passwd', 'NBWSS_ERR_URI_ABSOLUTE'],
    ['//evil.example/netbackup/admin/jobs', 'NBWSS_ERR_URI_SCHEME_RELATIVE'],
    ['/%2fevil.example/netbackup/', 'NBWSS_ERR_URI_SCHEME_RELATIVE'],
    ['/netbackup/../etc/passwd', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/%2e%2e/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/%2E%2E/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/.%2e/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/%252e%252e/admin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/..%2fadmin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/..', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup\\..\\admin', 'NBWSS_ERR_URI_BACKSLASH'],
    ['/netbackup/%5c..%5cadmin', 'NBWSS_ERR_URI_TRAVERSAL'],
    ['/netbackup/admin/jobs\r\nX-Injected: 1', 'NBWSS_ERR_URI_CRLF'],
    ['/netbackup/admin/jobs\n', 'NBWSS_ERR_URI_CRLF'],
    ['/netbackup/admin/\u0000jobs', 'NBWSS_ERR_URI_CONTROL'],
    ['/netbackup/admin/%0d%0ajobs', 'NBWSS_ERR_URI_CONTROL'],
    ['/netbackup/admin jobs', 'NBWSS_ERR_URI_CHARACTERS'],
    ['/netbackup/admin/jobs/é', 'NBWSS_ERR_URI_CHARACTERS'],
    ['/netbackup/%zz', 'NBWSS_ERR_URI_ENCODING'],
    ['netbackup/admin/jobs', 'NBWSS_ERR_URI_NOT_PATH'],
    ['/admin/jobs', 'NBWSS_ERR_URI_NOT_ALLOWED'],
    ['/netbackupx/admin', 'NBWSS_ERR_URI_NOT_ALLOWED'],
    ['/%6eetbackup/admin/jobs', 'NBWSS_ERR_URI_NOT_ALLOWED'],
  ])('refuses %j with %s', (uri, code) => {
    expect(checkUri(uri, prefixes)?.code).toBe(code);
  });

  it('honours several allowed prefixes', () => {
    expect(checkUri('/other/x', ['/netbackup/', '/other/'])).toBeUndefined();
  });
});

describe('checkHeaders', () => {
  it('drops hop-by-hop headers, host, content-length, expect and proxy-*', () => {
    const r = checkHeaders({
      'Content-Type': 'application/vnd.netbackup+json;version=1.0',
      Authorization: 'eyJ0eXAi',
      Connection: 'close',
      'Keep-Alive': 'timeout=5',
      'Transfer-Encoding': 'chunked',
      Upgrade: 'websocket',
      TE: 'trailers',
      Trailer: 'x',
      Host: 'evil.example',
      'Proxy-Authorization': 'x',
      'proxy-connection': 'x',
      'Content-Length': '99',
      Expect: '100-continue',
      'X-Request-ID': 'abc',
    });
    expect(r).toEqual({
      ok: true,
      headers: { 'Content-Type': 'application/vnd.netbackup+json;version=1.0', Authorization: 'eyJ0eXAi', 'X-Request-ID': 'abc' },
    });
  });

  it.each([
    [{ 'X-A': 'a\r\nX-B: b' }, 'NBWSS_ERR_HEADER_CRLF'],
    [{ 'X-A': 'a\nb' }, 'NBWSS_ERR_HEADER_CRLF'],
    [{ 'X-A': 'a\u0000b' }, 'NBWSS_ERR_HEADER_VALUE'],
    [{ 'X A': 'a' }, 'NBWSS_ERR_HEADER_NAME'],
    [{ 'X-A\r\n': 'a' }, 'NBWSS_ERR_HEADER_NAME'],
    [{ '': 'a' }, 'NBWSS_ERR_HEADER_NAME'],
    [{ 'X-A': ['a', 'b'] }, 'NBWSS_ERR_HEADER_VALUE'],
    [{ 'X-A': 'a', 'x-a': 'b' }, 'NBWSS_ERR_HEADER_DUPLICATE'],
    ['Content-Type: x', 'NBWSS_ERR_HEADERS'],
  ])('refuses %j with %s', (headers, code) => {
    const r = checkHeaders(headers);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.refusal.code).toBe(code);
  });
});

describe('checkCommand', () => {
  it('accepts the guide POST example and keeps parameters as the body', () => {
    const r = checkCommand(
      {
        uri: '/netbackup/config/servers/vmservers',
        method: 'POST',
        headers: { 'Content-Type': 'application/vnd.netbackup+json;version=1.0', Authorization: 'eyJ0eXAi' },
        parameters: '{"serverName": "vcenterServer1", "vmType": "VMWARE_VIRTUAL_CENTER_SERVER", "port": 0}',
      },
      prefixes,
    );
    expect(r.ok && r.command).toEqual({
      method: 'POST',
      uri: '/netbackup/config/servers/vmservers',
      headers: { 'Content-Type': 'application/vnd.netbackup+json;version=1.0', Authorization: 'eyJ0eXAi' },
      body: '{"serverName": "vcenterServer1", "vmType": "VMWARE_VIRTUAL_CENTER_SERVER", "port": 0}',
    });
  });

  it('normalises the method to upper case', () => {
    const r = checkCommand({ uri: '/netbackup/admin/jobs', method: 'get' }, prefixes);
    expect(r.ok && r.command.method).toBe('GET');
  });

  it.each([
    [{ uri: '/netbackup/admin/jobs' }, 'NBWSS_ERR_METHOD_MISSING'],
    [{ uri: '/netbackup/admin/jobs', method: 'TRACE' }, 'NBWSS_ERR_METHOD'],
    [{ uri: '/netbackup/admin/jobs', method: 'CONNECT' }, 'NBWSS_ERR_METHOD'],
    [{ uri: '/netbackup/admin/jobs', method: 'GET\r\n' }, 'NBWSS_ERR_METHOD'],
    [{ method: 'GET' }, 'NBWSS_ERR_URI_MISSING'],
    [{ uri: '/netbackup/x', method: 'POST', parameters: { a: 1 } }, 'NBWSS_ERR_PARAMETERS'],
    [{ uri: '/netbackup/x', method: 'GET', parameters: '{"a":1}' }, 'NBWSS_ERR_PARAMETERS'],
    [[], 'NBWSS_ERR_PAYLOAD'],
  ])('refuses %j with %s', (payload, code) => {
    const r = checkCommand(payload, prefixes);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.refusal.code).toBe(code);
  });
});
