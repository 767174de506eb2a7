import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendEmailCommand } from '@aws-sdk/client-ses';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeTagValue, type DeliveryEvent } from '../../lambdas/core/delivery-events.js';
import type { CaseMetric } from '../../lambdas/core/metrics.js';
import { catchUpMs, LocalSendSchedule, MAX_THROTTLED_RETURNS, SLOT_GUARD_MS, outboxMessage, SendPacer, senderSettings, throttledDelaySeconds, type OutboxMessage } from '../../lambdas/core/outbox.js';
import { sendOutboxBatch, type QueuedEmail } from '../../lambdas/services/outbox-sender.js';
import { CONFIGURATION_SET, FakeTable, SENDER, awsMocks, captureLogs, queuedEmails, sentEmails, serviceError, updates } from './aws.js';

/**
 * send-email, the outbox's only consumer: SES's answers decide what happens to each message of a batch, and
 * the batch succeeds as a whole (no function error) unless Lambda must leave a message on the queue.
 */
const { ddb, ses, sqs, store, mailer, sesMailer } = awsMocks();
const CASE_ID = 'ZSD-2026-00042';
const TOKEN = 'task-token-that-must-never-leak';
let table: FakeTable;
let counted: CaseMetric[];
let rejections: DeliveryEvent[];
let logs: () => string;

/**
 * A clock that only moves when the pacer sleeps: pacing is measured, not waited for. A sleep still yields to
 * the event loop once, as a real one does, so sends already started get their answers first.
 */
function fakeClock() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const sleep = (ms: number) => new Promise<void>((resolve) => setImmediate(() => (sleeps.push(ms), (now += ms), resolve())));
  return { clock: { now: () => now, sleep }, sleeps, elapsed: () => now - 1_000_000 };
}

const message = (mailKey: string, to = 'anna.kowalska@mops.przykladowo.pl', cc: string[] = []): OutboxMessage =>
  outboxMessage({ to: [to], cc, subject: `[${CASE_ID}] Prośba`, html: `<p>${mailKey}</p>`, text: mailKey }, { caseId: CASE_ID, mailKey, stepKey: 'AGREE_VARIANT.1' }, new Date('2026-03-10T09:00:00Z'));
const queued = (body: OutboxMessage | string, messageId = `m-${Math.random().toString(36).slice(2)}`, receiveCount = 1): QueuedEmail => ({ messageId, body: typeof body === 'string' ? body : JSON.stringify(body), receiveCount });

/** A pacer on a schedule of its own (the shared one is DynamoSendSchedule, tested against the local stack). */
const pacerAt = (rate: number, clock = fakeClock().clock) => new SendPacer(rate, clock, new LocalSendSchedule());

function deps(pacer = pacerAt(1000)) {
  return {
    store,
    ses: sesMailer,
    requeue: (m: OutboxMessage, delay: number) => mailer.put(m, delay),
    recordRejection: async (event: DeliveryEvent) => void rejections.push(event),
    pacer,
    count: (metric: CaseMetric) => void counted.push(metric),
    now: () => new Date('2026-03-10T09:00:05Z'),
  };
}

beforeEach(() => {
  ddb.reset();
  ses.reset();
  sqs.reset();
  table = new FakeTable(ddb);
  ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'sqs-2' });
  counted = [];
  rejections = [];
  logs = captureLogs();
});
afterEach(() => vi.restoreAllMocks());

describe('send-email: what SES accepts', () => {
  it('GIVEN a batch THEN each message goes to SES as the sender, with the configuration set and tags naming case, message and step (never a token), and its marker records SES\'s id', async () => {
    const result = await sendOutboxBatch(deps(), [queued(message('request:AGREE_VARIANT.1:0'), 'm-1'), queued(message('applied:AGREE_VARIANT.1'), 'm-2')]);
    expect(result).toEqual({ batchItemFailures: [], sent: 2, alreadySent: 0, throttled: 0, rejected: 0 });
    const [first] = sentEmails(ses);
    expect(first!.source).toBe(`"Zmiana dostawcy SD (MRPiPS)" <${SENDER}>`);
    expect(first!.input.ConfigurationSetName).toBe(CONFIGURATION_SET);
    expect(Object.fromEntries(first!.input.Tags!.map((t) => [t.Name, decodeTagValue(t.Value!)]))).toEqual({ case: CASE_ID, mail: 'request:AGREE_VARIANT.1:0', step: 'AGREE_VARIANT.1' });
    for (const tag of first!.input.Tags!) expect(`${tag.Name}${tag.Value}`).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(first!.input.Destination).not.toHaveProperty('CcAddresses');
    expect(updates(ddb, { sk: 'MAIL#request:AGREE_VARIANT.1:0' })[0]!.values).toMatchObject({ ':id': 'ses-1', ':at': '2026-03-10T09:00:05.000Z' });
    expect(counted).toEqual(['EmailSent', 'EmailSent']);
  });

  it('GIVEN a second copy of a message SES already accepted (its marker has sentAt) THEN it is not sent again and leaves the queue', async () => {
    table.put(`CASE#${CASE_ID}`, 'MAIL#request:AGREE_VARIANT.1:0', { key: 'request:AGREE_VARIANT.1:0', queuedAt: '2026-03-10T09:00:00Z', sentAt: '2026-03-10T09:00:01Z' });
    const result = await sendOutboxBatch(deps(), [queued(message('request:AGREE_VARIANT.1:0'))]);
    expect(result).toMatchObject({ batchItemFailures: [], sent: 0, alreadySent: 1 });
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('GIVEN a message whose marker says only "queued" THEN it is sent (the marker is written by the action, not by SES)', async () => {
    table.put(`CASE#${CASE_ID}`, 'MAIL#request:AGREE_VARIANT.1:0', { key: 'request:AGREE_VARIANT.1:0', queuedAt: '2026-03-10T09:00:00Z' });
    expect(await sendOutboxBatch(deps(), [queued(message('request:AGREE_VARIANT.1:0'))])).toMatchObject({ sent: 1 });
  });

  it('GIVEN SES accepted it but the marker cannot be updated THEN the message still leaves the queue (sending it again would be the worse fault)', async () => {
    ddb.on(UpdateItemCommand).rejects(serviceError('ValidationException', 400));
    const result = await sendOutboxBatch(deps(), [queued(message('notice:x'))]);
    expect(result).toMatchObject({ batchItemFailures: [], sent: 1 });
    expect(logs()).toContain('e-mail sent; its marker not updated');
  });
});

describe('send-email: pacing at the sending rate', () => {
  it('GIVEN 7 recipients a second THEN ten one-recipient messages start 1/7 s apart, after a quarter second made up at the start (an idle schedule)', async () => {
    const { clock, sleeps, elapsed } = fakeClock();
    const result = await sendOutboxBatch(deps(pacerAt(7, clock)), Array.from({ length: 10 }, (_, i) => queued(message(`notice:${i}`))));
    expect(result.sent).toBe(10);
    // The first two at once (250 ms of an idle second), then one slot before each of the others.
    expect(sleeps).toHaveLength(8);
    for (const ms of sleeps.slice(1)) expect(ms).toBeCloseTo(1000 / 7, 6);
    expect(elapsed()).toBeCloseTo(9000 / 7 - 250, 6);
  });

  it('GIVEN a rate so low that SES\'s second holds one message THEN nothing is made up (each send waits its full slot)', () => {
    expect([1, 2, 8, 14, 100].map(catchUpMs)).toEqual([0, 0, 250, 250, 250]);
  });

  it('GIVEN two senders at once on one schedule THEN together they keep to the rate, taking turns (no two reservations overlap)', async () => {
    const { clock } = fakeClock();
    const shared = new LocalSendSchedule();
    const booked: [number, number][] = [];
    const schedule = { book: async (ms: number, now: number, catchUp: number) => { const start = await shared.book(ms, now, catchUp); booked.push([start, start + ms]); return start; } };
    const batch = (name: string) => Array.from({ length: 5 }, (_, i) => queued(message(`notice:${name}${i}`)));
    const [a, b] = await Promise.all([sendOutboxBatch(deps(new SendPacer(1, clock, schedule)), batch('a')), sendOutboxBatch(deps(new SendPacer(1, clock, schedule)), batch('b'))]);
    expect(a.sent + b.sent).toBe(10);
    booked.sort((x, y) => x[0] - y[0]);
    expect(booked).toHaveLength(10);
    for (let i = 1; i < booked.length; i++) expect(booked[i]![0]).toBeGreaterThanOrEqual(booked[i - 1]![1]);
  });

  it('GIVEN the schedule fell behind (a late timer) THEN it makes up at most a quarter of a second at once, then keeps the pace', async () => {
    const { clock, sleeps } = fakeClock();
    const pacer = pacerAt(10, clock);
    await pacer.slot(1);
    await clock.sleep(1000); // a second lost: 9 slots' worth
    sleeps.length = 0;
    for (let i = 0; i < 5; i++) await pacer.slot(1);
    // 250 ms made up (two and a half slots): three sends at once, the fourth 50 ms on, then 100 ms apart again.
    expect(sleeps.map((ms) => Math.round(ms))).toEqual([50, 100]);
  });

  it('GIVEN SES answering slower than the pace THEN sends overlap and the batch still keeps to the rate, not to SES\'s latency', async () => {
    const { clock, elapsed } = fakeClock();
    let inFlight = 0;
    let most = 0;
    ses.on(SendEmailCommand).callsFake(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return { MessageId: 'x' };
    });
    const result = await sendOutboxBatch(deps(pacerAt(7, clock)), Array.from({ length: 5 }, (_, i) => queued(message(`notice:${i}`))));
    expect(result.sent).toBe(5);
    expect(most).toBeGreaterThan(1);
    expect(elapsed()).toBeCloseTo(4000 / 7 - 250, 6);
  });

  it('GIVEN the schedule cannot be booked (its table failing) THEN the rest of the batch waits on the queue, nothing is sent unpaced', async () => {
    const failing = { book: async () => Promise.reject(new Error('ProvisionedThroughputExceededException')) };
    const result = await sendOutboxBatch(deps(new SendPacer(7, fakeClock().clock, failing)), [queued(message('notice:a'), 'm-a'), queued(message('notice:b'), 'm-b')]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-a' }, { itemIdentifier: 'm-b' }]);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('GIVEN a message with a copy (To and Cc) THEN it counts as two recipients against the rate', async () => {
    const { clock, elapsed } = fakeClock();
    const pacer = pacerAt(2, clock);
    await sendOutboxBatch(deps(pacer), [queued(message('request:B.1:0', 'jst@gmina.pl', ['dostawca@firma.pl']))]);
    await pacer.slot(1);
    // (at 2/s SES's second holds no more than one such message: the slot has its guard against jitter)
    expect(elapsed()).toBe(1000 + SLOT_GUARD_MS);
  });

  it('GIVEN the rate and the mapping\'s concurrency THEN a batch fits in its invocation with room to spare, at any rate', () => {
    for (const rate of [0.2, 1, 14, 50, 500]) {
      const settings = senderSettings(rate);
      const worstBatchSeconds = (settings.batchSize * 2) / (rate / settings.maximumConcurrency);
      expect(settings.maximumConcurrency).toBeGreaterThanOrEqual(2); // Lambda's least maximum concurrency for SQS
      expect(settings.batchSize).toBeGreaterThanOrEqual(1);
      expect(settings.batchSize).toBeLessThanOrEqual(100);
      // Lambda takes more than 10 messages only with a batching window.
      expect(settings.maximumBatchingWindowSeconds).toBe(settings.batchSize > 10 ? 1 : 0);
      if (settings.batchSize > 1) expect(worstBatchSeconds, `rate ${rate}`).toBeLessThanOrEqual(settings.timeoutSeconds / 2);
      expect(settings.visibilityTimeoutSeconds).toBe(6 * settings.timeoutSeconds);
    }
  });
});

describe('send-email: SES refusing for the rate', () => {
  it('GIVEN SES throttles a message THEN it goes back on the outbox with a delay, the batch succeeds, and a second of the schedule is left unused', async () => {
    const { clock, elapsed } = fakeClock();
    ses.on(SendEmailCommand).rejectsOnce(serviceError('Throttling', 400, 'Maximum sending rate exceeded.')).resolves({ MessageId: 'x' });
    const batch = ['a', 'b', 'c'].map((id) => queued(message(`notice:${id}`), `m-${id}`));
    const result = await sendOutboxBatch(deps(pacerAt(2, clock)), batch);
    expect(result).toEqual({ batchItemFailures: [], sent: 2, alreadySent: 0, throttled: 1, rejected: 0 });
    const [requeued] = queuedEmails(sqs);
    expect(requeued).toMatchObject({ mailKey: 'notice:a', throttled: 1, delaySeconds: throttledDelaySeconds(0) });
    // 500 ms apart at 2/s (each with its guard): the third would start at 1 s; the refusal pushed it a second later.
    expect(elapsed()).toBe(2000 + 2 * SLOT_GUARD_MS);
    expect(counted).toEqual(['EmailThrottled', 'EmailSent', 'EmailSent']);
  });

  it('GIVEN the message was refused for the rate many times already THEN it is left for the dead-letter queue (the loop ends)', async () => {
    ses.on(SendEmailCommand).rejects(serviceError('Throttling', 400, 'Daily message quota exceeded.'));
    const tired = { ...message('notice:a'), throttled: MAX_THROTTLED_RETURNS };
    expect(await sendOutboxBatch(deps(), [queued(tired, 'm-a')])).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'm-a' }] });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('GIVEN the delays THEN they grow from a second to SQS\'s longest delay, 15 minutes', () => {
    expect([0, 1, 2, 5, 9, 10, 50].map(throttledDelaySeconds)).toEqual([1, 2, 4, 32, 512, 900, 900]);
  });

  it('GIVEN the throttled message cannot be put back THEN Lambda leaves it on the queue instead', async () => {
    ses.on(SendEmailCommand).rejects(serviceError('Throttling', 400));
    sqs.on(SendMessageCommand).rejects(serviceError('RequestThrottled', 400));
    expect(await sendOutboxBatch(deps(), [queued(message('notice:a'), 'm-a')])).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'm-a' }] });
  });
});

describe('send-email: SES refusing for good', () => {
  it('GIVEN SES rejects the message THEN it is a delivery failure on its case (a Reject for every recipient), and leaves the queue', async () => {
    ses.on(SendEmailCommand).rejects(serviceError('MessageRejected', 400, 'Email address is not verified.'));
    const result = await sendOutboxBatch(deps(), [queued(message('request:B.1:0', 'jst@gmina.pl', ['dostawca@firma.pl']), 'm-1')]);
    expect(result).toMatchObject({ batchItemFailures: [], sent: 0, rejected: 1 });
    expect(rejections).toEqual([
      { type: 'Reject', messageId: 'outbox-m-1', at: '2026-03-10T09:00:05.000Z', recipients: ['jst@gmina.pl', 'dostawca@firma.pl'], kind: 'Email address is not verified.', tags: { caseId: CASE_ID, mailKey: 'request:B.1:0', stepKey: 'AGREE_VARIANT.1' } },
    ]);
  });

  it.each([
    ['AccountSendingPausedException', 400],
    ['AccessDenied', 403],
  ])('GIVEN SES answers %s THEN this message and the rest of the batch stay on the queue (to the dead-letter queue and its alarm), the rest not started', async (name, status) => {
    ses.on(SendEmailCommand).rejects(serviceError(name, status));
    const batch = ['m-a', 'm-b', 'm-c'].map((id) => queued(message(`notice:${id}`), id));
    const result = await sendOutboxBatch(deps(pacerAt(1)), batch);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-a' }, { itemIdentifier: 'm-b' }, { itemIdentifier: 'm-c' }]);
    expect(ses.commandCalls(SendEmailCommand)).toHaveLength(1);
    expect(logs()).toContain(name);
  });

  it('GIVEN SES keeps failing (5xx) THEN that message stays on the queue and the next one is still tried', async () => {
    ses.on(SendEmailCommand).rejectsOnce(serviceError('ServiceUnavailable', 503)).resolves({ MessageId: 'x' });
    const result = await sendOutboxBatch(deps(), [queued(message('notice:a'), 'm-a'), queued(message('notice:b'), 'm-b')]);
    expect(result).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'm-a' }], sent: 1 });
  });

  it.each([
    ['not JSON', '{"caseId":'],
    ['not an outbox message', JSON.stringify({ caseId: CASE_ID, mailKey: 'x' })],
    ['a case id that is not one', JSON.stringify({ ...message('notice:a'), caseId: 'ZSD-1' })],
  ])('GIVEN a body that is %s THEN it stays on the queue (poison: the dead-letter queue takes it) and the rest is sent', async (_, body) => {
    const result = await sendOutboxBatch(deps(), [queued(body, 'poison'), queued(message('notice:b'), 'm-b')]);
    expect(result).toMatchObject({ batchItemFailures: [{ itemIdentifier: 'poison' }], sent: 1 });
  });
});

describe('send-email: logs', () => {
  it('name the case and the queue message, never an address, the message or a token', async () => {
    ses.on(SendEmailCommand).rejects(serviceError('MessageRejected', 400, 'Email address is not verified: anna.kowalska@mops.przykladowo.pl'));
    const withToken = outboxMessage({ to: ['anna.kowalska@mops.przykladowo.pl'], cc: [], subject: 'x', html: `<a href="?t=${TOKEN}">x</a>`, text: TOKEN }, { caseId: CASE_ID, mailKey: 'undeliverable:B.1:anna.kowalska@mops.przykladowo.pl' }, new Date());
    await sendOutboxBatch(deps(), [queued(withToken)]);
    expect(logs()).toContain(CASE_ID);
    expect(logs()).not.toContain('anna.kowalska');
    expect(logs()).not.toContain(TOKEN);
  });
});
