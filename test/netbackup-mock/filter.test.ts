import { describe, expect, it } from 'vitest';
import { compileFilter, FilterError, type FieldTypes } from '../../src/netbackup-mock/index.js';

interface Rec {
  jobId: number;
  parentJobId: number;
  state: string;
  clientName: string;
  startTime: number;
  endTime?: number;
  done?: boolean;
}
const FIELDS: FieldTypes = { jobId: 'number', parentJobId: 'number', state: 'string', clientName: 'string', startTime: 'date', endTime: 'date', done: 'boolean' };
const T = (iso: string) => Date.parse(iso);
const RECS: Rec[] = [
  { jobId: 1, parentJobId: 0, state: 'DONE', clientName: 'a', startTime: T('2017-12-31T23:59:59.000Z'), endTime: T('2018-01-01T00:10:00.000Z'), done: true },
  { jobId: 2, parentJobId: 123, state: 'DONE', clientName: "o'neil", startTime: T('2018-01-01T00:00:00.000Z'), endTime: T('2018-01-01T01:00:00.000Z'), done: true },
  { jobId: 3, parentJobId: 123, state: 'ACTIVE', clientName: 'x', startTime: T('2018-06-01T00:00:00.000Z') },
];
const ids = (filter: string) => RECS.filter(compileFilter<Rec>(filter, FIELDS)).map((r) => r.jobId);

describe('compileFilter', () => {
  it('matches everything when empty', () => {
    expect(ids('')).toEqual([1, 2, 3]);
    expect(ids('   ')).toEqual([1, 2, 3]);
  });

  it('eq with numbers and strings joined with and', () => {
    expect(ids("parentJobId eq 123 and state eq 'DONE'")).toEqual([2]);
    expect(ids("clientName eq 'x'")).toEqual([3]);
  });

  it('doubled quotes inside a string', () => {
    expect(ids("clientName eq 'o''neil'")).toEqual([2]);
  });

  it('ne, gt, ge, lt, le on numbers', () => {
    expect(ids('jobId ne 2')).toEqual([1, 3]);
    expect(ids('jobId gt 1')).toEqual([2, 3]);
    expect(ids('jobId ge 2')).toEqual([2, 3]);
    expect(ids('jobId lt 2')).toEqual([1]);
    expect(ids('jobId le 2')).toEqual([1, 2]);
  });

  it('ISO dates, unquoted or quoted, any zone; a missing date matches only ne', () => {
    expect(ids("clientName eq 'x' and startTime ge 2018-01-01T00:00:00.000Z")).toEqual([3]);
    expect(ids('startTime ge 2018-01-01T00:00:00.000Z')).toEqual([2, 3]);
    expect(ids("startTime lt '2018-01-01T00:00:00Z'")).toEqual([1]);
    expect(ids('startTime eq 2018-01-01T01:00:00+01:00')).toEqual([2]);
    expect(ids('endTime le 2018-01-01T00:30:00.000Z')).toEqual([1]);
    expect(ids('endTime ne 2018-01-01T00:10:00.000Z')).toEqual([2, 3]);
    expect(ids('endTime eq null')).toEqual([3]);
    expect(ids('endTime ne null')).toEqual([1, 2]);
  });

  it('or, parentheses and booleans', () => {
    expect(ids("state eq 'ACTIVE' or jobId eq 1")).toEqual([1, 3]);
    expect(ids("(jobId eq 1 or jobId eq 3) and state eq 'DONE'")).toEqual([1]);
    expect(ids('done eq true')).toEqual([1, 2]);
  });

  it.each([
    ['unknown field', "owner eq 'x'", /unknown field 'owner'/],
    ['unknown operator', 'jobId equals 1', /expected one of eq/],
    ['missing value', 'jobId eq', /expected a value at the end/],
    ['type mismatch', "jobId eq 'one'", /jobId is a number, not a string/],
    ['bad date', "startTime ge 'soon'", /not an ISO-8601 time/],
    ['unterminated string', "state eq 'DONE", /unterminated string/],
    ['dangling and', 'jobId eq 1 and', /expected a field name/],
    ['trailing input', 'jobId eq 1 jobId', /unexpected input/],
    ['function', "contains(clientName, 'x')", /expected one of|unexpected/],
    ['unbalanced parenthesis', '(jobId eq 1', /expected '\)'/],
    ['odd character', 'jobId eq 1 ; drop', /unexpected character ';'/],
    ['ordering a boolean', 'done gt false', /only eq and ne/],
  ])('refuses %s', (_name, filter, message) => {
    expect(() => compileFilter(filter, FIELDS)).toThrow(FilterError);
    expect(() => compileFilter(filter, FIELDS)).toThrow(expect.objectContaining({ code: 'NBWSS_ERR_MOCK_FILTER' }));
    expect(() => compileFilter(filter, FIELDS)).toThrow(message);
  });
});
