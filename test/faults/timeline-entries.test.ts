import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaseStore } from '../../lambdas/adapters/case-store.js';
import { newCase, registeredEvent, type TimelineEntry } from '../../lambdas/core/case.js';
import { ConflictError } from '../../lambdas/core/errors.js';
import { AWS_ERRORS, SDK_ATTEMPTS, bodyIncludes } from '../../local/faults.js';
import { notification } from '../unit/fixtures.js';
import { readCase, readTimeline, startFaultWorld, type FaultWorld } from './play.js';

/**
 * The case store on the local DynamoDB, through the fault layer: an event is two single-item writes (the case
 * item, conditional on the event id, then the entry item, put if absent). A crash between them — the entry
 * write failing every SDK attempt — and the action's retry converge: the change is applied once, never again
 * over what happened since, and the entry is written once.
 */
let world: FaultWorld;
let store: CaseStore;
let sequence = 0;

beforeAll(async () => {
  world = await startFaultWorld();
  // The functions' own path to DynamoDB: through the fault proxy.
  store = new CaseStore(new DynamoDBClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB }), world.stack.config.TABLE_NAME);
});

afterAll(async () => {
  await world?.stack.close();
});

async function registered(): Promise<string> {
  const record = newCase(`ZSD-2099-${String(++sequence).padStart(5, '0')}`, notification(), '2026-03-01T08:00:00.000Z');
  await store.createCase(record, registeredEvent(record));
  return record.caseId;
}

const event = (id: string, at: string): TimelineEntry => ({ id, at, actor: { role: 'SYSTEM' }, action: id.toUpperCase(), summary: `Zdarzenie ${id}.` });
const entryFails = (caseId: string, id: string) =>
  world.faults.add({ service: 'dynamodb', operation: 'PutItem', match: bodyIncludes(`EVENT#${id}`, caseId), fault: AWS_ERRORS.dynamoInternal, times: SDK_ATTEMPTS.dynamodb, label: `entry ${id}` });

describe('an event whose entry write fails after the case was changed', () => {
  it('GIVEN the retry comes after a later change THEN it is a duplicate: the entry is written, the later state kept', async () => {
    const caseId = await registered();
    entryFails(caseId, 'stalled');
    await expect(store.updateCase(caseId, event('stalled', '2026-03-02T08:00:00.000Z'), { status: 'STALLED' })).rejects.toThrow();
    expect((await readCase(world, caseId)).status).toBe('STALLED');
    expect((await readTimeline(world, caseId)).map((e) => e.id)).toEqual(['registered']);

    // The case moves on before the action is retried.
    expect(await store.updateCase(caseId, event('resumed', '2026-03-03T08:00:00.000Z'), { status: 'IN_PROGRESS' })).toBe('applied');
    expect(await store.updateCase(caseId, event('stalled', '2026-03-04T08:00:00.000Z'), { status: 'STALLED' })).toBe('duplicate');

    expect((await readCase(world, caseId)).status).toBe('IN_PROGRESS');
    // Ordered by time for people; the entry carries the time of the attempt that wrote it.
    expect((await store.getTimeline(caseId)).map((e) => [e.id, e.at])).toEqual([
      ['registered', '2026-03-01T08:00:00.000Z'],
      ['resumed', '2026-03-03T08:00:00.000Z'],
      ['stalled', '2026-03-04T08:00:00.000Z'],
    ]);
  });

  it('GIVEN an event that only records something THEN its retry writes the entry once; a third delivery is a duplicate', async () => {
    const caseId = await registered();
    entryFails(caseId, 'reminded');
    await expect(store.updateCase(caseId, event('reminded', '2026-03-02T08:00:00.000Z'))).rejects.toThrow();
    expect(await store.updateCase(caseId, event('reminded', '2026-03-02T08:00:01.000Z'))).toBe('applied');
    expect(await store.updateCase(caseId, event('reminded', '2026-03-02T08:00:02.000Z'))).toBe('duplicate');
    expect((await store.getTimeline(caseId)).filter((e) => e.id === 'reminded')).toHaveLength(1);
    // A late delivery of an older event is recorded, but does not move the case's last update back.
    expect(await store.updateCase(caseId, event('late', '2026-03-01T09:00:00.000Z'))).toBe('applied');
    expect((await readCase(world, caseId)).updatedAt).toBe('2026-03-02T08:00:02.000Z');
    // Such events never enter the case item's set of applied ids: it holds only the changes of state.
    expect((await readCase(world, caseId)) as unknown as Record<string, unknown>).not.toHaveProperty('appliedEventIds');
  });

  it('GIVEN a guarded change (cancellation) whose entry failed THEN the retry is a duplicate and writes the entry, even though the status is no longer an allowed one', async () => {
    const caseId = await registered();
    entryFails(caseId, 'cancelled');
    const cancel = () => store.updateCaseIf(caseId, event('cancelled', '2026-03-02T08:00:00.000Z'), { status: 'CANCELLED' }, ['IN_PROGRESS', 'STALLED']);
    await expect(cancel()).rejects.toThrow();
    expect(await cancel()).toBe('duplicate');
    expect((await store.getTimeline(caseId)).map((e) => e.id)).toEqual(['registered', 'cancelled']);
    // A status change that was not applied (the case is cancelled) records nothing.
    expect(await store.updateCase(caseId, event('completed', '2026-03-05T08:00:00.000Z'), { status: 'COMPLETED' })).toBe('duplicate');
    expect((await readCase(world, caseId)).status).toBe('CANCELLED');
    expect((await store.hasEvent(caseId, 'completed'))).toBe(false);
  });

  it('GIVEN the first entry failed when the case was created THEN creating it again finds the case and writes the entry', async () => {
    const record = newCase(`ZSD-2099-${String(++sequence).padStart(5, '0')}`, notification(), '2026-03-01T08:00:00.000Z');
    entryFails(record.caseId, 'registered');
    await expect(store.createCase(record, registeredEvent(record))).rejects.toThrow();
    expect(await store.createCase(record, registeredEvent(record))).toBe(false);
    expect((await store.getTimeline(record.caseId)).map((e) => e.action)).toEqual(['NOTIFICATION_REGISTERED']);
  });

  it('GIVEN no such case THEN an event is refused (ConflictError) and nothing is written', async () => {
    await expect(store.updateCase('ZSD-2099-99999', event('x', '2026-03-02T08:00:00.000Z'))).rejects.toBeInstanceOf(ConflictError);
    await expect(store.updateCase('ZSD-2099-99999', event('x', '2026-03-02T08:00:00.000Z'), { status: 'FAILED' })).rejects.toBeInstanceOf(ConflictError);
    expect(await store.getTimeline('ZSD-2099-99999')).toEqual([]);
  });
});
