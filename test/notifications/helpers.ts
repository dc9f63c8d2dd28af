import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import type { Channel } from '../../src/connection/channel.js';
import { silentLogger } from '../../src/logger.js';
import type { NotificationConfig, NotificationEvents } from '../../src/notifications/events.js';
import { GroupSender } from '../../src/notifications/sender.js';
import { notificationResponse, type Message } from '../../src/protocol/messages.js';
import { Store } from '../../src/store/database.js';
import { OutboxStore, type NewNotification } from '../../src/store/outbox-store.js';
import type { ManualClock } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/tmp.js';

let nextConnectionId = 1;

/** A Channel that records what is sent. */
export class FakeChannel implements Channel {
  readonly groupId: string;
  readonly hostName: string;
  readonly connectionId = nextConnectionId++;
  isOpen = true;
  readonly bufferedAmount = 0;
  readonly #abort = new AbortController();
  readonly signal = this.#abort.signal;
  /** Every frame sent, as text. */
  readonly sent: string[] = [];

  constructor(groupId = 'g1', hostName = 'ep1.example.com') {
    this.groupId = groupId;
    this.hostName = hostName;
  }

  send(message: object | string): boolean {
    if (!this.isOpen) return false;
    this.sent.push(typeof message === 'string' ? message : JSON.stringify(message));
    return true;
  }

  close(): void {
    this.isOpen = false;
    this.#abort.abort(new Error('closed'));
  }

  /** The sent frames, parsed. */
  get messages(): Message[] {
    return this.sent.map((s) => JSON.parse(s) as Message);
  }

  get last(): Message | undefined {
    return this.messages.at(-1);
  }
}

/** Notification settings for tests: no delay, 5 s resend, 2 s send timeout. */
export function testConfig(over: Partial<NotificationConfig> = {}): NotificationConfig {
  return { sendTimeout: 2000, scheduledRate: 5, delay: 0, maxBatchSize: 100, retention: 86400, backlogWarning: 0, ...over };
}

/** A JOB notification with the guide's fields. */
export function job(jobId: number, state: 'QUEUED' | 'ACTIVE' | 'DONE' = 'DONE'): Record<string, unknown> {
  return {
    jobId,
    parentJobId: 0,
    jobType: 'BACKUP',
    state,
    status: 0,
    startTime: 1459829698,
    policyName: 'vmware2',
    policyType: 'VMWARE',
    scheduleType: 'ST_FULL',
    clientName: 'DummyTestVM',
  };
}

/** An IMAGE notification with the guide's fields. */
export function image(n: number, operationId = 'CREATE'): Record<string, unknown> {
  return { backupId: `vm_${n}`, operationId, clientName: 'vm', clientType: 'VMWARE', backupTime: 1459811698, createdTime: 1459829720 };
}

/** Rows for {@link OutboxStore.append}. */
export function rows(object: 'JOB' | 'IMAGE', data: Record<string, unknown>[]): NewNotification[] {
  return data.map((d) => ({ object, data: JSON.stringify(d) }));
}

/** A fresh database with a delivery group per id (cursor 0). */
export function openTestStore(groups: string[] = ['g1']): { store: Store; outbox: OutboxStore; path: string } {
  const path = join(tempDir(), 'nbwss.db');
  const store = Store.open(path);
  for (const g of groups) store.db.prepare('INSERT INTO delivery_groups (group_id, cursor_seq, created_at) VALUES (?, 0, 0)').run(g);
  return { store, outbox: new OutboxStore(store), path };
}

/** A sender over a fake channel, with its events recorded. */
export function makeSender(
  outbox: OutboxStore,
  clock: ManualClock,
  config: NotificationConfig = testConfig(),
  channel: FakeChannel = new FakeChannel(),
): { sender: GroupSender; channel: FakeChannel; events: EventEmitter<NotificationEvents>; log: { event: string; args: unknown }[] } {
  const events = new EventEmitter<NotificationEvents>();
  const log: { event: string; args: unknown }[] = [];
  for (const e of ['batchSent', 'batchResent', 'batchAcked', 'ackIgnored'] as const) events.on(e, (a: unknown) => log.push({ event: e, args: a }));
  const sender = new GroupSender({ channel, outbox, config: () => config, clock, logger: silentLogger(), events });
  return { sender, channel, events, log };
}

/** The endpoint's acknowledgement of `id`. */
export function ack(id: string, payload: unknown[] = []): Message {
  return { ...notificationResponse(id, 1), payload } as Message;
}

/**
 * A NOTIFICATION REQUEST frame without its timeStamp: what a resend keeps identical (the id, the rest of the
 * envelope and the payload bytes). The timeStamp is the time of each send.
 */
export function withoutTimeStamp(raw: string): string {
  const out = raw.replace(/^(\{"version":"1\.0","id":"[^"]*","type":"NOTIFICATION","subType":"REQUEST",)"timeStamp":\d+,/, '$1');
  if (out === raw) throw new Error(`not a NOTIFICATION REQUEST envelope: ${raw.slice(0, 120)}`);
  return out;
}
