import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NotificationValidationError } from '../../src/errors.js';
import type { NotificationObject } from '../../src/protocol/messages.js';
import { IMAGE_OPERATIONS, JOB_STATES, NOTIFICATION_FIELDS, isValidNotification, notificationProblems, validateNotifications } from '../../src/protocol/notification-data.js';

/** What the table says of `data`, field by field (the judgement the fast validators must equal). */
function validByTable(object: NotificationObject, data: unknown): boolean {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
  const d = data as Record<string, unknown>;
  return Object.entries(NOTIFICATION_FIELDS[object]).every(([field, rule]) => {
    if (!(field in d)) return false;
    const v = d[field];
    if (Array.isArray(rule)) return typeof v === 'string' && rule.includes(v);
    if (rule === 'int') return typeof v === 'number' && Number.isSafeInteger(v);
    if (rule === 'nonEmptyString') return typeof v === 'string' && v !== '';
    return typeof v === 'string';
  });
}

/** A value of every kind a field may wrongly hold, and the valid ones. */
const anyValue = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, -1, 2 ** 53, 1.5, Number.NaN, Infinity),
  fc.constantFrom('', 'x', ...JOB_STATES, ...IMAGE_OPERATIONS, 'done'),
  fc.string(),
  fc.constantFrom(null, undefined, true, [], {}),
);

/** Objects built from the table's field names (each present or not, with any value) plus extra fields. */
function candidate(object: NotificationObject) {
  const fields = Object.keys(NOTIFICATION_FIELDS[object]);
  return fc.record(Object.fromEntries([...fields, 'extra'].map((f) => [f, anyValue])), { requiredKeys: [] });
}

const validJob = { jobId: 1, parentJobId: 1, jobType: 'BACKUP', state: 'DONE', status: 0, startTime: 1, policyName: '', policyType: 'STANDARD', scheduleType: 'FULL', clientName: 'c' };
const validImage = { backupId: 'c_1', operationId: 'CREATE', clientName: 'c', clientType: 'STANDARD', backupTime: 1, createdTime: 1 };

describe('notification data validation', () => {
  it.each(['JOB', 'IMAGE'] as const)('the fast %s validator judges every object as the field table does', (object) => {
    fc.assert(
      fc.property(candidate(object), (d) => {
        expect(isValidNotification(object, d)).toBe(validByTable(object, d));
      }),
      { numRuns: 2000 },
    );
  });

  it('judges near-valid objects (one field changed) as the table does, and names that field', () => {
    for (const [object, valid] of [['JOB', validJob], ['IMAGE', validImage]] as const) {
      expect(isValidNotification(object, valid)).toBe(true);
      fc.assert(
        fc.property(fc.constantFrom(...Object.keys(valid)), anyValue, fc.boolean(), (field, value, drop) => {
          const d: Record<string, unknown> = { ...valid, [field]: value };
          if (drop) delete d[field];
          expect(isValidNotification(object, d)).toBe(validByTable(object, d));
          const problems = notificationProblems(object, d);
          expect(problems.length === 0).toBe(validByTable(object, d));
          if (problems.length > 0) expect(problems.join(' ')).toContain(field);
        }),
        { numRuns: 1000 },
      );
    }
  });

  it('reads fields through the prototype as the table does, and refuses non-objects', () => {
    expect(isValidNotification('JOB', Object.create(validJob))).toBe(validByTable('JOB', Object.create(validJob)));
    for (const bad of [null, undefined, 1, 'x', [validJob]]) expect(isValidNotification('JOB', bad)).toBe(false);
    expect(() => validateNotifications('JOB', [validJob, { ...validJob, state: 'done' }])).toThrow(NotificationValidationError);
    expect(() => validateNotifications('JOB', [validJob, { ...validJob, state: 'done' }])).toThrow(/data\[1\]\.state/);
  });
});
