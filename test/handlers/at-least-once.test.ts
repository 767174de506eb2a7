import { PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { applyResponse } from '../../lambdas/apply-response/index.js';
import { hashLinkId } from '../../lambdas/core/links.js';
import type { CaseMetric } from '../../lambdas/core/metrics.js';
import { escalateStep } from '../../lambdas/escalate-step/index.js';
import { requestConfirmation } from '../../lambdas/request-confirmation/index.js';
import { sendNotice } from '../../lambdas/send-notice/index.js';
import { CASE_ID, DIRECTORY, LINK_KEYS, MRPIPS_EMAIL, NOW, STATUS_LINKS, BASE_URL, caseAfterStepA, caseRecord } from '../unit/fixtures.js';
import { FakeTable, awsMocks, captureLogs, serviceError, timelineWrites, updates } from './aws.js';

/**
 * Lambda delivers at least once and the state machines retry failed actions: the e-mailing actions send each
 * message once (a marker item per message, written after SES accepted it) and a repeated request keeps the
 * link already e-mailed. The end-to-end proofs are in test/faults; these pin the writes.
 */
const { ddb, sqs, sfn, store, mailer } = awsMocks();
const TOKEN = 'task-token-of-the-first-attempt';
const RETRY_TOKEN = 'task-token-of-the-retried-attempt';
let table: FakeTable;
let counted: CaseMetric[];
const count = (metric: CaseMetric) => void counted.push(metric);

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sfn.reset();
  table = new FakeTable(ddb).put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA());
  sqs.on(SendMessageCommand).resolves({ MessageId: 'msg-1' });
  captureLogs();
  counted = [];
});

afterEach(() => {
  vi.restoreAllMocks();
});

const markers = () => ddb.commandCalls(PutItemCommand).map((c) => ({ input: c.args[0].input, item: unmarshall(c.args[0].input.Item!) })).filter((m) => String(m.item.sk).startsWith('MAIL#'));
const marked = (key: string) => table.put(`CASE#${CASE_ID}`, `MAIL#${key}`, { key, messageId: 'msg-0', sentAt: '2026-03-10T08:00:00.000Z' });
const request = (taskToken: string) =>
  requestConfirmation(
    { caseId: CASE_ID, step: 'AGREE_VARIANT', round: 1, comment: null, remindersSent: 0, responseTimeoutSeconds: 3600, final: false, taskToken },
    { store, mailer, directory: DIRECTORY, keys: LINK_KEYS, statusLinks: STATUS_LINKS, baseUrl: BASE_URL, now: NOW },
  );
const pendingStep = (taskToken: string) => ({
  caseId: CASE_ID, stepKey: 'AGREE_VARIANT.1', step: 'AGREE_VARIANT', round: 1, role: 'MRPIPS', recipient: MRPIPS_EMAIL, status: 'PENDING',
  taskToken, linkIdHash: hashLinkId('the-link-in-the-inbox-0123'), linkExpiresAt: NOW.getTime() / 1000 + 3000, deadline: '2026-03-10T09:50:00.000Z',
  remindersSent: 0, requestedAt: '2026-03-10T08:50:00.000Z', lastSentAt: '2026-03-10T08:50:00.000Z', comment: null,
});

describe('request-confirmation delivered twice or retried', () => {
  it('GIVEN a first request THEN the e-mail is marked queued after the outbox accepted it (conditional put of MAIL#request:<step>:<reminders>)', async () => {
    await request(TOKEN);
    const [marker] = markers();
    expect(marker!.item).toMatchObject({ pk: `CASE#${CASE_ID}`, sk: 'MAIL#request:AGREE_VARIANT.1:0', outboxMessageId: 'msg-1' });
    expect(marker!.input.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(sqs.commandCalls(SendMessageCommand)[0]!.calledBefore(ddb.commandCalls(PutItemCommand)[0]!)).toBe(true);
  });

  it('GIVEN the same task token again (a second delivery) after the e-mail went out THEN no new link, no e-mail; the timeline entry is ensured', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#AGREE_VARIANT.1', pendingStep(TOKEN));
    marked('request:AGREE_VARIANT.1:0');
    await expect(request(TOKEN)).resolves.toEqual({ stepKey: 'AGREE_VARIANT.1', deadline: '2026-03-10T09:50:00.000Z' });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(updates(ddb, { sk: 'STEP#AGREE_VARIANT.1' })).toHaveLength(0);
    expect(timelineWrites(ddb).map((e) => e.id)).toEqual(['requested:AGREE_VARIANT.1:0']);
  });

  it('GIVEN a retried attempt (new token) after the e-mail went out THEN the link in the inbox is kept and bound to the new token; no e-mail', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#AGREE_VARIANT.1', pendingStep(TOKEN));
    marked('request:AGREE_VARIANT.1:0');
    await request(RETRY_TOKEN);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    const [bind] = updates(ddb, { sk: 'STEP#AGREE_VARIANT.1' });
    expect(bind!.update).toBe('SET #token = :token');
    expect(bind!.condition).toBe('#status = :pending');
    expect(bind!.values[':token']).toBe(RETRY_TOKEN);
    expect(bind!.set).not.toHaveProperty('linkIdHash');
  });

  it('GIVEN the same token but no marker (the first run failed before its e-mail) THEN the request is sent, with a new link', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#AGREE_VARIANT.1', pendingStep(TOKEN));
    await request(TOKEN);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(updates(ddb, { sk: 'STEP#AGREE_VARIANT.1' })[0]!.set.linkIdHash).not.toBe(hashLinkId('the-link-in-the-inbox-0123'));
  });

  it('GIVEN SES accepted the e-mail but the marker cannot be written THEN the action fails (retried; the request may be sent again, never lost)', async () => {
    ddb.on(PutItemCommand).rejects(serviceError('InternalServerError', 500));
    await expect(request(TOKEN)).rejects.toMatchObject({ name: 'InternalServerError' });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(updates(ddb, { sk: 'CASE' })).toHaveLength(0);
  });
});

describe('the other e-mailing actions send each message once', () => {
  it('GIVEN the final notice was sent before (marker notice:CASE_COMPLETED) THEN send-notice only finishes the case update', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord({ variant: 'WITH_MIGRATION' }));
    marked('notice:CASE_COMPLETED');
    await sendNotice({ caseId: CASE_ID, notice: 'CASE_COMPLETED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(updates(ddb, { sk: 'CASE' })[0]!.values[':eventId']).toBe('notice:CASE_COMPLETED');
    // The case update was still to do: this invocation completes the case, so it counts it.
    expect(counted).toEqual(['CaseCompleted']);
  });

  it('GIVEN two messages for one notice THEN they are keyed notice:<kind> and notice:<kind>:2', async () => {
    await sendNotice({ caseId: CASE_ID, notice: 'VERIFICATION_ESCALATED' }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    expect(markers().map((m) => m.item.sk)).toEqual(['MAIL#notice:VERIFICATION_ESCALATED', 'MAIL#notice:VERIFICATION_ESCALATED:2']);
  });

  it('GIVEN the escalation was e-mailed before THEN escalate-step does not send it again', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#AGREE_VARIANT.1', pendingStep(TOKEN));
    marked('escalated:AGREE_VARIANT.1:2');
    await escalateStep({ caseId: CASE_ID, step: 'AGREE_VARIANT', round: 1, remindersSent: 2, stalled: false }, { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, count, now: NOW });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(timelineWrites(ddb).map((e) => e.id)).toEqual(['escalated:AGREE_VARIANT.1:2']);
  });

  it('GIVEN the response was applied and its e-mail sent before THEN apply-response sends nothing more', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord());
    marked('applied:AGREE_VARIANT.1');
    await applyResponse(
      { caseId: CASE_ID, step: 'AGREE_VARIANT', round: 1, confirmation: { response: { decision: 'WITH_MIGRATION' }, participant: { email: MRPIPS_EMAIL, role: 'MRPIPS' }, confirmedAt: '2026-03-10T08:55:00.000Z' } },
      { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, now: NOW },
    );
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('GIVEN the link handler could not record a confirmation it handed on THEN apply-response removes the token and records it, before applying', async () => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord());
    const by = { email: MRPIPS_EMAIL, role: 'MRPIPS', ip: '203.0.113.7', userAgent: 'Mozilla/5.0', linkId: 'the-link-in-the-inbox-0123' };
    table.put(`CASE#${CASE_ID}`, 'STEP#AGREE_VARIANT.1', { ...pendingStep(TOKEN), status: 'COMPLETED', response: { decision: 'WITH_MIGRATION' }, completedAt: '2026-03-10T08:55:00.000Z', completedBy: by });
    await applyResponse(
      { caseId: CASE_ID, step: 'AGREE_VARIANT', round: 1, confirmation: { response: { decision: 'WITH_MIGRATION' }, participant: { email: MRPIPS_EMAIL, role: 'MRPIPS' }, confirmedAt: '2026-03-10T08:55:00.000Z' } },
      { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, now: NOW },
    );
    expect(updates(ddb, { sk: 'STEP#AGREE_VARIANT.1' }).map((u) => u.update)).toEqual(['REMOVE #token']);
    const events = timelineWrites(ddb);
    expect(events.map((e) => e.id)).toEqual(['confirmed:AGREE_VARIANT.1', 'applied:AGREE_VARIANT.1']);
    expect(events[0]).toMatchObject({ action: 'STEP_CONFIRMED', at: '2026-03-10T08:55:00.000Z', actor: { role: 'MRPIPS', email: MRPIPS_EMAIL }, details: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0', linkId: 'the-link-in-the-inbox-0123' } });
  });

  it('GIVEN the confirmation is already on the timeline THEN apply-response does not read or touch the step', async () => {
    table.put(`CASE#${CASE_ID}`, 'EVENT#confirmed:AGREE_VARIANT.1', { id: 'confirmed:AGREE_VARIANT.1', at: NOW.toISOString(), actor: { role: 'MRPIPS', email: MRPIPS_EMAIL }, action: 'STEP_CONFIRMED', summary: '' });
    await applyResponse(
      { caseId: CASE_ID, step: 'AGREE_VARIANT', round: 1, confirmation: { response: { decision: 'WITH_MIGRATION' }, participant: { email: MRPIPS_EMAIL, role: 'MRPIPS' }, confirmedAt: '2026-03-10T08:55:00.000Z' } },
      { store, mailer, directory: DIRECTORY, statusUrl: STATUS_LINKS, now: NOW },
    );
    expect(updates(ddb, { sk: 'STEP#AGREE_VARIANT.1' })).toHaveLength(0);
    expect(ddb.commandCalls(UpdateItemCommand).length).toBe(1);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
  });
});
