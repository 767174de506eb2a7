import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepRecord } from '../../lambdas/core/step-record.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { Inbox, confirmThroughLink, linkIn, notifyAndConfirmContact, openStepForm, postForm, stepExecutionArn, submitOnPage, untilWaitingForPeople } from './participants.js';

const MRPIPS = 'sekretariat.di@mrpips.gov.pl';

let stack: LocalStack;
let inbox: Inbox;
let db: DynamoDBClient;

beforeAll(async () => {
  stack = await startLocalStack({ PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0, RESPONSE_TIMEOUT_SECONDS: 600 });
  inbox = new Inbox(stack.urls.inbox);
  db = new DynamoDBClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: stack.urls.dynamodb });
});

afterAll(async () => {
  await stack?.close();
});

async function step(caseId: string, key: string): Promise<StepRecord> {
  const out = await db.send(new GetItemCommand({ TableName: stack.config.TABLE_NAME, Key: { pk: { S: `CASE#${caseId}` }, sk: { S: `STEP#${key}` } } }));
  return unmarshall(out.Item!) as StepRecord;
}

async function newCaseAwaitingVariant() {
  const caseId = await notifyAndConfirmContact(stack.urls.form, inbox);
  const email = await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']);
  return { caseId, email, link: linkIn(email) };
}

function withParam(link: string, name: string, value: string): string {
  const url = new URL(link);
  url.searchParams.set(name, value);
  return url.toString();
}

describe('signed links', () => {
  it('opening a link (GET, HEAD, repeatedly, as mail scanners do) shows the step and changes nothing', async () => {
    const { caseId, link } = await newCaseAwaitingVariant();
    const before = await step(caseId, 'AGREE_VARIANT.1');
    for (const method of ['GET', 'HEAD', 'GET']) {
      const res = await fetch(link, { method });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = await res.text();
      if (method === 'GET') {
        expect(body).toContain('Uzgodnienie trybu zmiany dostawcy SD');
        expect(body).toContain(`Potwierdzasz jako: <strong>${MRPIPS}</strong>`);
        expect(body).not.toContain('<script');
      } else expect(body).toBe('');
    }
    expect(await step(caseId, 'AGREE_VARIANT.1')).toEqual(before);
    expect(before.status).toBe('PENDING');
  });

  it('refuses tampered, truncated and unknown-key links with a Polish 4xx page and no change', async () => {
    const { caseId, link } = await newCaseAwaitingVariant();
    const sig = new URL(link).searchParams.get('sig')!;
    const cases: [string, number, string][] = [
      [withParam(link, 'sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1)), 403, 'Nieprawidłowy link'],
      [withParam(link, 'e', String(Math.floor(Date.now() / 1000) + 10 * 365 * 86400)), 403, 'Nieprawidłowy link'],
      [withParam(link, 'r', 'JST'), 403, 'Nieprawidłowy link'],
      [withParam(link, 'k', 'other'), 403, 'Nieprawidłowy link'],
      [link.slice(0, link.indexOf('&sig=')), 400, 'Niepełny link'],
      [withParam(link, 'c', 'ZSD-2026-<script>'), 400, 'Niepełny link'],
    ];
    for (const [url, status, title] of cases) {
      for (const send of [() => fetch(url), () => postForm(url, { decision: 'WITH_MIGRATION' })]) {
        const res = await send();
        expect(res.status, url).toBe(status);
        expect('text' in res ? await res.text() : res.body).toContain(title);
      }
    }
    expect((await fetch(link, { method: 'PUT' })).status).toBe(405);
    expect((await step(caseId, 'AGREE_VARIANT.1')).status).toBe('PENDING');
  });

  it('an invalid form is shown again with the error next to the field; nothing is recorded', async () => {
    const { caseId, link } = await newCaseAwaitingVariant();
    const res = await submitOnPage(link, { decision: 'SOMETHING_ELSE' });
    expect(res.status).toBe(400);
    expect(res.body).toContain('Wybierz jedną z decyzji.');
    expect(res.body).toContain('aria-describedby="f-decision-error"');
    expect((await step(caseId, 'AGREE_VARIANT.1')).status).toBe('PENDING');
  });

  it('completes a step exactly once: a second click shows who confirmed and when, with a 409', async () => {
    const { caseId, email } = await newCaseAwaitingVariant();
    const first = await confirmThroughLink(email, { decision: 'WITHOUT_MIGRATION' });
    expect(first.status).toBe(200);
    const again = await postForm(first.link, { decision: 'WITH_MIGRATION' });
    expect(again.status).toBe(409);
    expect(again.body).toContain('został już potwierdzony');
    expect(again.body).toContain(MRPIPS);
    const reopened = await fetch(first.link);
    expect(reopened.status).toBe(409);
    const stored = await step(caseId, 'AGREE_VARIANT.1');
    expect(stored.status).toBe('COMPLETED');
    expect(stored.response).toEqual({ decision: 'WITHOUT_MIGRATION' });
    expect(stored.taskToken).toBeUndefined();
    expect(stored.completedBy).toMatchObject({ email: MRPIPS, role: 'MRPIPS' });
  });

  it('20 simultaneous submissions of one link complete the step once and advance the case once', async () => {
    const { caseId, link } = await newCaseAwaitingVariant();
    const { action, hidden } = await openStepForm(link);
    const results = await Promise.all(Array.from({ length: 20 }, () => postForm(action, { ...hidden, decision: 'WITH_MIGRATION' })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    await inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów']);
    // Once the next step waits for MRPiPS and the outbox is empty, a duplicate would be in the inbox.
    const waiting = await untilWaitingForPeople(stack);
    expect(waiting.get(stepExecutionArn(stack, caseId, 'NEW_COLLECTIONS'))?.state).toBe('Request confirmation');
    const requests = (await inbox.to(MRPIPS, caseId)).filter((e) => e.subject.includes('Utworzenie nowych zbiorów'));
    expect(requests).toHaveLength(1);
  });

  it('refuses a POST without the form token of the page (cross-site submission) and changes nothing', async () => {
    const { caseId, link } = await newCaseAwaitingVariant();
    const { action, hidden } = await openStepForm(link);
    for (const csrf of [undefined, '', hidden.csrf!.slice(1) + 'A', 'x'.repeat(43)]) {
      const res = await postForm(action, { ...(csrf === undefined ? {} : { csrf }), decision: 'WITH_MIGRATION' });
      expect(res.status).toBe(403);
      expect(res.body).toContain('Formularz nieważny');
    }
    expect((await step(caseId, 'AGREE_VARIANT.1')).status).toBe('PENDING');
  });

  it('hands a step to a colleague: the colleague gets a new link, the old one stops working, MRPiPS is told', async () => {
    const { caseId, link } = await newCaseAwaitingVariant();
    const colleague = 'jan.nowak@mrpips.gov.pl';
    const same = await submitOnPage(link, { action: 'reassign', delegateEmail: MRPIPS });
    expect(same.status).toBe(400);
    const handed = await submitOnPage(link, { action: 'reassign', delegateEmail: colleague });
    expect(handed.status).toBe(200);
    expect(handed.body).toContain('Krok przekazany');
    const request = await inbox.take(colleague, [caseId, 'Uzgodnienie trybu']);
    expect(request.body.text).toContain(`${MRPIPS} przekazał(a) Ci ten krok`);
    await inbox.take(MRPIPS, [caseId, 'przekazano innej osobie']);
    expect((await fetch(link)).status).toBe(410);
    const page = await (await fetch(linkIn(request))).text();
    expect(page).toContain(`Potwierdzasz jako: <strong>${colleague}</strong>`);
    expect((await confirmThroughLink(request, { decision: 'WITH_MIGRATION' })).status).toBe(200);
    const stored = await step(caseId, 'AGREE_VARIANT.1');
    expect(stored.completedBy).toMatchObject({ email: colleague, role: 'MRPIPS' });
  });

  it('every e-mail links to a read-only status page with the timeline and who is awaited', async () => {
    const { caseId, email } = await newCaseAwaitingVariant();
    const statusLink = /(http:\/\/[^\s]+\/sprawa\?[^\s]+)/.exec(email.body.text!)![1]!;
    const res = await fetch(statusLink);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`Sprawa ${caseId}`);
    expect(html).toContain(`czeka na: MRPiPS, Departament Informatyki, ${MRPIPS}`);
    expect(html).toContain('Zarejestrowano zgłoszenie');
    expect(html).not.toContain('<form');
    expect((await fetch(statusLink, { method: 'POST' })).status).toBe(405);
    const tampered = statusLink.replace(/c=ZSD-\d{4}-\d{5}/, 'c=ZSD-2026-99999');
    expect((await fetch(tampered)).status).toBe(403);
  });
});
