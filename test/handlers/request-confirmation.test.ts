import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConflictError, NotFoundError, TransientError } from '../../lambdas/core/errors.js';
import { hashLinkId, recipientTag, signingKeysSchema, verifyLink, verifyStatusLink } from '../../lambdas/core/links.js';
import { STEPS, type StepId } from '../../lambdas/core/steps.js';
import { requestConfirmation } from '../../lambdas/request-confirmation/index.js';
import { CASE_ID, DIRECTORY, JST_EMAIL, MRPIPS_EMAIL, NOW, SUPPLIER_EMAIL, adminOf, caseAfterStepA, caseRecord } from '../unit/fixtures.js';
import { FakeTable, OUTBOX_URL, awsMocks, captureLogs, conditionalCheckFailed, queuedEmails, timelineWrites, updates } from './aws.js';

const { ddb, sqs, sfn, store, mailer } = awsMocks();
const KEYS = signingKeysSchema.parse({ current: 'k1', k1: 'k1-secret-0123456789abcdefghijklmnopqrstuvwxyz' });
const BASE_URL = 'https://zmiana-sd.mrpips.gov.pl';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAS3cr3tT4skT0k3n+/=ZSD-2026-00042-task-token-xyz';
const TIMEOUT = 7 * 24 * 3600;

let table: FakeTable;
let logs: () => string;

beforeEach(() => {
  ddb.reset();
  sqs.reset();
  sfn.reset();
  table = new FakeTable(ddb).put(`CASE#${CASE_ID}`, 'CASE', caseAfterStepA());
  sqs.on(SendMessageCommand).resolves({ MessageId: 'msg-1' });
  logs = captureLogs();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const request = (step: StepId, extra: { remindersSent?: number; round?: number; comment?: string | null } = {}) =>
  requestConfirmation(
    { caseId: CASE_ID, step, round: extra.round ?? 1, comment: extra.comment ?? null, remindersSent: extra.remindersSent ?? 0, responseTimeoutSeconds: TIMEOUT, final: false, taskToken: TOKEN },
    { store, mailer, directory: DIRECTORY, keys: KEYS, baseUrl: BASE_URL, now: NOW },
  );

function linkOf(text: string): URL {
  const match = /(https:\/\/zmiana-sd\.mrpips\.gov\.pl\/potwierdzenie\?\S+)/.exec(text);
  if (!match) throw new Error('no link in the e-mail');
  return new URL(match[1]!);
}

describe('requestConfirmation', () => {
  it('GIVEN a step to confirm WHEN requested THEN the task token is stored on the step item only, as a pending step', async () => {
    // WHEN
    const result = await request('AGREE_VARIANT');
    // THEN
    const [stepWrite] = updates(ddb, { sk: 'STEP#AGREE_VARIANT.1' });
    expect(stepWrite).toBeDefined();
    expect(stepWrite!.pk).toBe(`CASE#${CASE_ID}`);
    expect(stepWrite!.set).toMatchObject({ status: 'PENDING', taskToken: TOKEN, step: 'AGREE_VARIANT', round: 1, role: 'MRPIPS', recipient: MRPIPS_EMAIL, remindersSent: 0 });
    expect(stepWrite!.condition).toBe('attribute_not_exists(pk) OR #status = :pending');
    const deadline = new Date(NOW.getTime() + TIMEOUT * 1000).toISOString();
    expect(stepWrite!.set).toMatchObject({ linkExpiresAt: NOW.getTime() / 1000 + TIMEOUT, deadline });
    expect(result).toEqual({ stepKey: 'AGREE_VARIANT.1', deadline });
    // The token is on no other item (the case timeline does not carry it).
    for (const other of updates(ddb).filter((u) => u.sk !== 'STEP#AGREE_VARIANT.1')) expect(JSON.stringify(other)).not.toContain(TOKEN);
  });

  it('GIVEN a step to confirm WHEN requested THEN the e-mail carries a signed link for that step and role, whose id the step stores hashed, and no task token', async () => {
    await request('AGREE_VARIANT');
    const [mail] = queuedEmails(sqs);
    expect(mail!.to).toEqual([MRPIPS_EMAIL]);
    const link = linkOf(mail!.text);
    expect(link.pathname).toBe('/potwierdzenie');
    const check = verifyLink(Object.fromEntries(link.searchParams), KEYS, NOW.getTime() / 1000);
    expect(check).toMatchObject({ ok: true, claims: { caseId: CASE_ID, step: 'AGREE_VARIANT.1', role: 'MRPIPS', expiresAt: NOW.getTime() / 1000 + TIMEOUT } });
    const [stepWrite] = updates(ddb, { sk: 'STEP#AGREE_VARIANT.1' });
    expect(stepWrite!.set.linkIdHash).toBe(check.ok && hashLinkId(check.claims.linkId));
    expect(stepWrite!.set).not.toHaveProperty('linkId');
    // Neither the link nor any part of the message contains the task token.
    const whole = JSON.stringify(mail);
    expect(whole).not.toContain(TOKEN);
    expect(whole).not.toContain(encodeURIComponent(TOKEN));
    expect(link.toString()).not.toContain('S3cr3t');
    expect(logs()).not.toContain(TOKEN);
  });

  it('GIVEN a step to confirm WHEN requested THEN the step is stored before the e-mail goes out (a link never points at nothing)', async () => {
    await request('NEW_COLLECTIONS');
    const stepWrite = ddb.commandCalls(UpdateItemCommand).find((c) => c.args[0].input.Key!.sk!.S === 'STEP#NEW_COLLECTIONS.1')!;
    const mail = sqs.commandCalls(SendMessageCommand)[0]!;
    expect(stepWrite.calledBefore(mail)).toBe(true);
  });

  it('GIVEN the request was sent THEN the case timeline records it once, by its deterministic event id', async () => {
    await request('AGREE_VARIANT');
    expect(timelineWrites(ddb)).toMatchObject([{ sk: 'EVENT#requested:AGREE_VARIANT.1:0', id: 'requested:AGREE_VARIANT.1:0', action: 'CONFIRMATION_REQUESTED', condition: 'attribute_not_exists(pk)' }]);
  });

  it.each(['OLD_SD_DEACTIVATED', 'NEW_SD_FEEDING'] as const)('GIVEN JST step b (%s) WHEN requested THEN the JST alone gets its link, and the supplier a message of its own with no link', async (step) => {
    await request(step);
    const [toJst, toSupplier, ...more] = queuedEmails(sqs);
    expect(more).toEqual([]);
    expect(toJst).toMatchObject({ to: [JST_EMAIL], cc: [], mailKey: `request:${step}.1:0` });
    expect(linkOf(toJst!.text).searchParams.get('r')).toBe('JST');
    expect(toSupplier).toMatchObject({ to: [SUPPLIER_EMAIL], cc: [], mailKey: `supplier:${step}.1:0` });
    // Not tagged with the step: a bounce of the supplier's address does not stop the JST's reminders.
    expect(toSupplier).not.toHaveProperty('stepKey');
    expect(toSupplier!.text).toContain(STEPS[step].title);
    expect(toSupplier!.text).toContain('Termin potwierdzenia:');
    for (const part of [toSupplier!.text, toSupplier!.html]) expect(part).not.toContain('/potwierdzenie');
  });

  it.each([0, 1, 2])('GIVEN any request of JST step b (reminders sent: %i) THEN every e-mail with a link has one recipient, whose tag the link carries', async (remindersSent) => {
    await request('NEW_SD_FEEDING', { remindersSent });
    const mails = queuedEmails(sqs);
    expect(mails.length).toBe(2);
    for (const mail of mails) {
      if (!mail.text.includes('/potwierdzenie')) continue;
      expect(mail.to.length + mail.cc.length).toBe(1);
      expect(linkOf(mail.text).searchParams.get('t')).toBe(recipientTag(mail.to[0]!, KEYS));
    }
  });

  const pendingStepB = () =>
    table.putsIfAbsent().put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', {
      caseId: CASE_ID, stepKey: 'OLD_SD_DEACTIVATED.1', step: 'OLD_SD_DEACTIVATED', round: 1, role: 'JST', recipient: JST_EMAIL, status: 'PENDING', taskToken: TOKEN,
      linkIdHash: hashLinkId('the-link-in-the-inbox-0123'), linkExpiresAt: NOW.getTime() / 1000 + TIMEOUT, deadline: new Date(NOW.getTime() + TIMEOUT * 1000).toISOString(), remindersSent: 0,
    });

  it('GIVEN the request of step b runs again (a second delivery, or a retry after the send) THEN neither the JST nor the supplier get a second e-mail', async () => {
    pendingStepB();
    await request('OLD_SD_DEACTIVATED');
    await request('OLD_SD_DEACTIVATED');
    expect(queuedEmails(sqs).map((m) => m.mailKey)).toEqual(['request:OLD_SD_DEACTIVATED.1:0', 'supplier:OLD_SD_DEACTIVATED.1:0']);
  });

  it('GIVEN the supplier\'s message failed after the JST\'s request was queued WHEN the request runs again THEN the supplier gets it, and the JST no second e-mail', async () => {
    pendingStepB();
    sqs.on(SendMessageCommand).resolvesOnce({ MessageId: 'msg-1' }).rejectsOnce(new Error('SQS unavailable')).resolves({ MessageId: 'msg-2' });
    await expect(request('OLD_SD_DEACTIVATED')).rejects.toThrow('SQS unavailable');
    await request('OLD_SD_DEACTIVATED');
    expect(queuedEmails(sqs).map((m) => m.mailKey)).toEqual(['request:OLD_SD_DEACTIVATED.1:0', 'supplier:OLD_SD_DEACTIVATED.1:0', 'supplier:OLD_SD_DEACTIVATED.1:0']);
    expect(timelineWrites(ddb).map((e) => e.id)).toEqual(['requested:OLD_SD_DEACTIVATED.1:0']);
  });

  it('GIVEN JST step b and no supplier contact in the notification THEN only the JST is e-mailed', async () => {
    const record = caseAfterStepA();
    table.put(`CASE#${CASE_ID}`, 'CASE', { ...record, notification: { ...record.notification, newSd: { product: 'Nowy System 2', supplier: 'Nowy Dostawca S.A.' } } });
    await request('OLD_SD_DEACTIVATED');
    expect(queuedEmails(sqs).map((m) => [m.to, m.cc])).toEqual([[[JST_EMAIL], []]]);
  });

  it('GIVEN the supplier contact is the JST contact itself THEN the JST gets its request only', async () => {
    const record = caseAfterStepA();
    table.put(`CASE#${CASE_ID}`, 'CASE', { ...record, notification: { ...record.notification, newSd: { ...record.notification.newSd, contactEmail: JST_EMAIL } } });
    await request('NEW_SD_FEEDING');
    expect(queuedEmails(sqs).map((m) => [m.to, m.cc, m.mailKey])).toEqual([[[JST_EMAIL], [], 'request:NEW_SD_FEEDING.1:0']]);
  });

  it.each(['AGREE_VARIANT', 'NEW_COLLECTIONS', 'MZT_DEACTIVATED', 'VERIFY_COLLECTIONS'] as const)('GIVEN step %s (not the JST\'s step b) THEN nobody is copied and the supplier is not told', async (step) => {
    await request(step);
    expect(queuedEmails(sqs).map((m) => m.cc)).toEqual([[]]);
  });

  it.each([
    ['1465011', '14'],
    ['0261011', '02'],
    ['3262011', '32'],
    ['2469011', '24'],
  ])('GIVEN a unit with TERYT %s WHEN the voivodeship step is requested THEN it goes to the administrator of voivodeship %s', async (teryt, code) => {
    table.put(`CASE#${CASE_ID}`, 'CASE', caseRecord({ variant: 'WITH_MIGRATION' }, { teryt }));
    await request('MZT_DEACTIVATED');
    const [mail] = queuedEmails(sqs);
    expect(mail!.to).toEqual([adminOf(code)]);
    expect(linkOf(mail!.text).searchParams.get('r')).toBe('VOIVODESHIP_ADMIN');
    expect(updates(ddb, { sk: 'STEP#MZT_DEACTIVATED.1' })[0]!.set).toMatchObject({ recipient: adminOf(code), role: 'VOIVODESHIP_ADMIN' });
  });

  it('GIVEN a reminder WHEN requested THEN a new link replaces the old one on the step and the e-mail says it is a reminder', async () => {
    await request('OLD_SD_DEACTIVATED', { remindersSent: 0 });
    await request('OLD_SD_DEACTIVATED', { remindersSent: 1 });
    const [first, second] = updates(ddb, { sk: 'STEP#OLD_SD_DEACTIVATED.1' });
    expect(second!.set.linkIdHash).not.toBe(first!.set.linkIdHash);
    const [, reminder] = queuedEmails(sqs).filter((m) => m.to[0] === JST_EMAIL);
    expect(reminder!.subject).toContain('przypomnienie nr 1');
    expect(hashLinkId(linkOf(reminder!.text).searchParams.get('l')!)).toBe(second!.set.linkIdHash);
    expect(timelineWrites(ddb).map((e) => e.id)).toEqual(['requested:OLD_SD_DEACTIVATED.1:0', 'requested:OLD_SD_DEACTIVATED.1:1']);
  });

  it('GIVEN a repeated feeding step after failed verification THEN the e-mail carries the MRPiPS comment and the link names round 2', async () => {
    await request('NEW_SD_FEEDING', { round: 2, comment: 'Brakuje 12 rekordów w NSR-01.' });
    const [mail] = queuedEmails(sqs);
    expect(mail!.text).toContain('Brakuje 12 rekordów w NSR-01.');
    expect(linkOf(mail!.text).searchParams.get('s')).toBe('NEW_SD_FEEDING.2');
    expect(updates(ddb, { sk: 'STEP#NEW_SD_FEEDING.2' })[0]!.set.comment).toBe('Brakuje 12 rekordów w NSR-01.');
  });

  it('GIVEN an unknown case THEN NotFoundError and nothing is written or sent', async () => {
    table.items.clear();
    await expect(request('AGREE_VARIANT')).rejects.toBeInstanceOf(NotFoundError);
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('GIVEN the step is no longer pending (failed) THEN the request fails with ConflictError and no e-mail is sent', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#AGREE_VARIANT.1', { step: 'AGREE_VARIANT', status: 'FAILED', recipient: MRPIPS_EMAIL });
    ddb.on(UpdateItemCommand).rejects(conditionalCheckFailed());
    const error = await request('AGREE_VARIANT').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).not.toBeInstanceOf(TransientError);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('GIVEN the step vanished between the read and the write THEN ConflictError (not retried)', async () => {
    ddb.on(UpdateItemCommand).rejects(conditionalCheckFailed());
    await expect(request('AGREE_VARIANT')).rejects.toBeInstanceOf(ConflictError);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('GIVEN a participant\'s confirmation is being handed on while the reminder fires (step COMPLETED) THEN TransientError, so the state machine retries, and no e-mail', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', {
      step: 'OLD_SD_DEACTIVATED', stepKey: 'OLD_SD_DEACTIVATED.1', status: 'COMPLETED', recipient: JST_EMAIL, completedAt: '2026-03-10T08:59:59.000Z',
    });
    ddb.on(UpdateItemCommand).rejects(conditionalCheckFailed());
    const error = await request('OLD_SD_DEACTIVATED', { remindersSent: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).name).toBe('TransientError');
    expect((error as Error).message).toContain('being completed');
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(updates(ddb, { sk: 'CASE' })).toHaveLength(0);
  });
});

describe('requestConfirmation: delivery events', () => {
  const pendingStep = (undeliverableTo: string) =>
    table.put(`CASE#${CASE_ID}`, 'STEP#AGREE_VARIANT.1', {
      caseId: CASE_ID, stepKey: 'AGREE_VARIANT.1', step: 'AGREE_VARIANT', round: 1, role: 'MRPIPS', status: 'PENDING', recipient: MRPIPS_EMAIL, taskToken: 'older-token',
      linkIdHash: 'hash-of-the-first-link', linkExpiresAt: 1, deadline: '2026-03-01T00:00:00.000Z', remindersSent: 0, requestedAt: '2026-02-20T00:00:00.000Z', lastSentAt: '2026-02-20T00:00:00.000Z',
      undeliverable: { recipient: undeliverableTo, event: 'Bounce Permanent/General', messageId: 'm-1', at: '2026-02-20T00:00:05.000Z' },
    });

  it('GIVEN a request THEN it goes on the outbox naming the case, the message and the step (what SES will tag it with), with no token', async () => {
    await request('AGREE_VARIANT');
    const [queued] = queuedEmails(sqs);
    expect(queued).toMatchObject({ caseId: CASE_ID, mailKey: 'request:AGREE_VARIANT.1:0', stepKey: 'AGREE_VARIANT.1' });
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.QueueUrl).toBe(OUTBOX_URL);
    expect(JSON.stringify(queued)).not.toContain(TOKEN);
  });

  it('GIVEN SES reported the step\'s recipient unreachable WHEN the reminder is due THEN nothing is sent, the step waits under the new task with its link, and the timeline says why', async () => {
    pendingStep(MRPIPS_EMAIL);
    const result = await request('AGREE_VARIANT', { remindersSent: 1 });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    const [stepWrite] = updates(ddb, { sk: 'STEP#AGREE_VARIANT.1' });
    expect(stepWrite!.set).toMatchObject({ taskToken: TOKEN, linkIdHash: 'hash-of-the-first-link', remindersSent: 1, recipient: MRPIPS_EMAIL });
    expect(timelineWrites(ddb)).toMatchObject([{ id: 'withheld:AGREE_VARIANT.1:1', action: 'REMINDER_WITHHELD' }]);
    expect(timelineWrites(ddb)[0]!.summary).toContain(`Nie wysłano przypomnienia nr 1 o kroku`);
    expect(result.deadline).toBe(new Date(NOW.getTime() + TIMEOUT * 1000).toISOString());
  });

  it('GIVEN the unreachable address was replaced (the step was reassigned) WHEN the reminder is due THEN it goes to the new recipient', async () => {
    pendingStep('stary.adres@mrpips.gov.pl');
    await request('AGREE_VARIANT', { remindersSent: 1 });
    expect(queuedEmails(sqs).map((m) => m.to)).toEqual([[MRPIPS_EMAIL]]);
  });
});

describe('requestConfirmation: the link is bound to its recipient', () => {
  const COLLEAGUE = 'jan.nowak@mops.przykladowo.pl';

  it('GIVEN a request THEN the link carries the recipient\'s tag (not the address) and verifies with it', async () => {
    await request('AGREE_VARIANT');
    const link = linkOf(queuedEmails(sqs)[0]!.text);
    expect(link.searchParams.get('t')).toBe(recipientTag(MRPIPS_EMAIL, KEYS));
    expect(decodeURIComponent(link.search)).not.toContain(MRPIPS_EMAIL);
    expect(verifyLink(Object.fromEntries(link.searchParams), KEYS, NOW.getTime() / 1000)).toMatchObject({ ok: true, claims: { recipientTag: recipientTag(MRPIPS_EMAIL, KEYS) } });
  });

  it('GIVEN a request THEN the step is read before it is written (to keep a colleague it was handed to)', async () => {
    await request('OLD_SD_DEACTIVATED');
    const read = ddb.commandCalls(GetItemCommand).find((c) => c.args[0].input.Key!.sk!.S === 'STEP#OLD_SD_DEACTIVATED.1');
    const write = ddb.commandCalls(UpdateItemCommand).find((c) => c.args[0].input.Key!.sk!.S === 'STEP#OLD_SD_DEACTIVATED.1');
    expect(read).toBeDefined();
    expect(read!.calledBefore(write!)).toBe(true);
  });

  it('GIVEN the step was handed to a colleague WHEN the reminder is sent THEN it goes to the colleague, with a link for the colleague, naming who handed it over', async () => {
    table.put(`CASE#${CASE_ID}`, 'STEP#OLD_SD_DEACTIVATED.1', {
      caseId: CASE_ID, stepKey: 'OLD_SD_DEACTIVATED.1', step: 'OLD_SD_DEACTIVATED', round: 1, role: 'JST', status: 'PENDING',
      recipient: COLLEAGUE, delegatedBy: JST_EMAIL, linkIdHash: hashLinkId('old-link-id-0123456789'), remindersSent: 0,
    });
    await request('OLD_SD_DEACTIVATED', { remindersSent: 1 });
    const [mail, toSupplier] = queuedEmails(sqs);
    expect(mail).toMatchObject({ to: [COLLEAGUE], cc: [] });
    // The supplier is told of the reminder in its own message, without the colleague's link.
    expect(toSupplier).toMatchObject({ to: [SUPPLIER_EMAIL], cc: [], mailKey: 'supplier:OLD_SD_DEACTIVATED.1:1' });
    expect(toSupplier!.text).not.toContain('/potwierdzenie');
    expect(mail!.subject).toContain('przypomnienie nr 1');
    expect(mail!.text).toContain(`${JST_EMAIL} przekazał(a) Ci ten krok do wykonania.`);
    const link = linkOf(mail!.text);
    expect(link.searchParams.get('t')).toBe(recipientTag(COLLEAGUE, KEYS));
    const [stepWrite] = updates(ddb, { sk: 'STEP#OLD_SD_DEACTIVATED.1' });
    expect(stepWrite!.set).toMatchObject({ recipient: COLLEAGUE, remindersSent: 1, linkIdHash: hashLinkId(link.searchParams.get('l')!) });
    expect(timelineWrites(ddb)[0]!.summary).toContain(`do: ${COLLEAGUE}`);
  });

  it('GIVEN the step was not handed over THEN the message does not speak of a hand-over', async () => {
    await request('OLD_SD_DEACTIVATED');
    expect(queuedEmails(sqs)[0]!.text).not.toContain('przekazał(a) Ci ten krok');
  });

  it('GIVEN a request THEN the e-mail links the read-only status page of the case, signed with the current key', async () => {
    await request('AGREE_VARIANT');
    const match = /Przebieg i stan sprawy \(tylko do odczytu\): (\S+)/.exec(queuedEmails(sqs)[0]!.text);
    const status = new URL(match![1]!);
    expect(status.origin + status.pathname).toBe(`${BASE_URL}/sprawa`);
    expect(verifyStatusLink(Object.fromEntries(status.searchParams), KEYS, NOW.getTime() / 1000)).toEqual({ ok: true, caseId: CASE_ID });
    expect(Number(status.searchParams.get('e'))).toBe(NOW.getTime() / 1000 + 400 * 86_400);
  });
});
