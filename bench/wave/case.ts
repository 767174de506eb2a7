import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { BenchEmail, InboxIndex } from './inbox.js';
import type { UnitData } from './data.js';

/**
 * One case played over HTTP exactly as in test/e2e/procedure.test.ts (playCase + the completion checks):
 * the form, the contact confirmation link, MRPiPS's variant and codes, the JST's deactivation, b and c in
 * parallel, MRPiPS's verification, the completion e-mail and a SUCCEEDED execution. Every participant opens
 * the link from their e-mail, reads the page's form and presses the button.
 */
export const MRPIPS = 'sekretariat.di@mrpips.gov.pl';
export const adminOf = (voivodeship: string) => `administrator.mzt.${voivodeship}@uw.local`;

/** 'POST confirm → next participant's e-mail in the inbox' for one hand-over. */
export interface HandoverSample {
  caseIndex: number;
  step: string;
  /** ms since the wave started when the POST was sent. */
  postAt: number;
  latencyMs: number;
}

export interface CaseContext {
  inbox: InboxIndex;
  formUrl: string;
  sfn: SFNClient;
  executionArn(caseId: string): string;
  timeoutMs: number;
  /** performance.now() of the wave's start. */
  t0: number;
  onSample(sample: HandoverSample): void;
}

export class CaseError extends Error {
  constructor(
    readonly caseIndex: number,
    readonly caseId: string | undefined,
    readonly stage: string,
    message: string,
  ) {
    super(`case #${caseIndex}${caseId ? ` (${caseId})` : ''} at "${stage}": ${message}`);
  }
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

async function postForm(url: string, fields: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(), redirect: 'manual' });
  return { status: res.status, body: await res.text() };
}

function linkIn(email: BenchEmail): string {
  const match = /(https?:\/\/[^\s]+\/potwierdzenie\?[^\s]+)/.exec(email.text);
  check(match, `no confirmation link in "${email.subject}"`);
  return match[1]!;
}

/** Opens the step page (as test/e2e/participants.ts openStepForm does) and returns the form's action and hidden fields. */
async function openStepForm(link: string): Promise<{ action: string; hidden: Record<string, string> }> {
  const page = await fetch(link);
  const html = await page.text();
  check(page.status === 200, `GET step page answered ${page.status}`);
  const form = /<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  check(form, 'the step page has no form');
  const hidden: Record<string, string> = {};
  for (const [, name, value] of form[2]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) hidden[name!] = value!.replace(/&amp;/g, '&');
  return { action: new URL(form[1]!.replace(/&amp;/g, '&'), link).toString(), hidden };
}

export async function playCase(unit: UnitData, ctx: CaseContext): Promise<{ caseId: string }> {
  const { inbox, timeoutMs } = ctx;
  const JST = unit.contactEmail;
  const ADMIN = adminOf(unit.voivodeship);
  let caseId: string | undefined;
  let stage = 'submit notification';
  const take = (to: string, parts: string[]) => inbox.take(to, caseId!, parts, timeoutMs);
  const now = () => performance.now();
  const sample = (step: string, postStart: number, arrived: BenchEmail[]) =>
    ctx.onSample({ caseIndex: unit.index, step, postAt: postStart - ctx.t0, latencyMs: Math.max(0, Math.max(...arrived.map((e) => e.seenAt)) - postStart) });
  /** Opens the link, presses the button; returns when the POST was sent. */
  const confirm = async (email: BenchEmail, fields: Record<string, string>): Promise<number> => {
    const { action, hidden } = await openStepForm(linkIn(email));
    const postStart = now();
    const res = await postForm(action, { ...hidden, ...fields });
    check(res.status === 200, `POST answered ${res.status}: ${res.body.slice(0, 300)}`);
    check(res.body.includes('potwierdzenie zapisane'), 'the answer page does not say "potwierdzenie zapisane"');
    return postStart;
  };
  try {
    // As a browser: the form's rendering carries the submission id and the form token the POST must return.
    const rendering = await (await fetch(ctx.formUrl)).text();
    const hidden = Object.fromEntries([...rendering.matchAll(/<input type="hidden" name="(submissionId|formToken)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]));
    const submitted = await postForm(ctx.formUrl, { ...hidden, ...unit.fields });
    check(submitted.status === 201, `form answered ${submitted.status}: ${submitted.body.slice(0, 300)}`);
    caseId = /ZSD-\d{4}-\d{5}/.exec(submitted.body)?.[0];
    check(caseId, 'no case id on the form answer page');

    stage = '1 confirm contact e-mail';
    const contact = await take(JST, ['prośba o potwierdzenie adresu e-mail']);
    let posted = await confirm(contact, { confirmed: 'tak' });
    const [ack, agreeRequest] = await Promise.all([take(JST, ['przyjęto zgłoszenie']), take(MRPIPS, ['Uzgodnienie trybu'])]);
    sample('contact → MRPiPS variant', posted, [agreeRequest]);
    void ack;

    stage = '2 agree variant';
    posted = await confirm(agreeRequest, { decision: unit.variant, note: 'Uzgodniono telefonicznie.' });
    const [, codesRequest] = await Promise.all([take(JST, ['uzgodniono tryb zmiany']), take(MRPIPS, ['Utworzenie nowych zbiorów'])]);
    sample('variant → MRPiPS codes', posted, [codesRequest]);

    stage = 'a new collection codes';
    posted = await confirm(codesRequest, { 'newCollections.0.newCollectionCode': unit.newCodes[0], 'newCollections.1.newCollectionCode': unit.newCodes[1] });
    const [codesMail, deactivation, supplierTold] = await Promise.all([
      take(JST, ['kody nowych zbiorów']),
      take(JST, ['Deaktywacja dotychczasowego SD']),
      take(unit.supplierEmail, ['Deaktywacja dotychczasowego SD', 'informacja dla nowego dostawcy SD']),
    ]);
    sample('codes → JST deactivation', posted, [deactivation]);
    check(codesMail.cc.includes(unit.supplierEmail), 'the codes e-mail does not copy the supplier');
    check(codesMail.text.includes(unit.newCodes[0]), 'the codes e-mail does not name the new code');
    // The JST's request carries a link that acts: it goes to the JST alone; the supplier is told in a message of its own.
    check(deactivation.cc.length === 0, 'the deactivation request is copied to someone');
    check(!supplierTold.text.includes('/potwierdzenie'), "the supplier's message carries a confirmation link");

    stage = 'b deactivate old SD';
    const today = new Date().toISOString().slice(0, 10);
    posted = await confirm(deactivation, { deactivatedOn: today, confirmed: 'tak' });
    const [, feeding, mzt] = await Promise.all([
      take(MRPIPS, ['Deaktywacja dotychczasowego SD — potwierdzono']),
      take(JST, ['Aktywacja nowego SD']),
      take(ADMIN, ['Deaktywacja urzędników i jednostki']),
    ]);
    sample('JST deactivation → b+c', posted, [feeding, mzt]);
    check(feeding.text.includes(unit.variant === 'WITH_MIGRATION' ? 'zasilane inicjalnie' : 'dane nie są migrowane'), 'the feeding request does not match the variant');

    stage = 'b+c in parallel';
    const [mztPosted, feedingPosted] = await Promise.all([
      confirm(mzt, { deactivatedOn: today, confirmed: 'tak' }),
      confirm(feeding, { feedingStartedOn: today, confirmed: 'tak' }),
    ]);
    const [, , verify] = await Promise.all([
      take(MRPIPS, ['Deaktywacja urzędników i jednostki w MZT CSIZS — potwierdzono']),
      take(MRPIPS, ['Aktywacja nowego SD i zasilenie nowych zbiorów CBB — potwierdzono']),
      take(MRPIPS, ['Weryfikacja zbiorów']),
    ]);
    sample('b+c → MRPiPS verify', Math.max(mztPosted, feedingPosted), [verify]);

    stage = 'd verify collections';
    posted = await confirm(verify, { result: 'OK' });
    const done = await take(JST, ['zmiana dostawcy SD zakończona']);
    sample('verify → JST completed', posted, [done]);
    check(done.text.includes(unit.variant === 'WITH_MIGRATION' ? 'zarchiwizowany' : 'zamknięty'), 'the completion e-mail does not match the variant');

    stage = 'execution SUCCEEDED';
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const out = await ctx.sfn.send(new DescribeExecutionCommand({ executionArn: ctx.executionArn(caseId) }));
      if (out.status === 'SUCCEEDED') break;
      check(out.status === 'RUNNING', `execution ended ${out.status}: ${out.error ?? ''} ${out.cause ?? ''}`);
      check(Date.now() < deadline, `execution still RUNNING after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { caseId };
  } catch (error) {
    throw new CaseError(unit.index, caseId, stage, error instanceof Error ? error.message : String(error));
  } finally {
    if (caseId) inbox.forget(caseId, [JST, MRPIPS, ADMIN, unit.supplierEmail]);
  }
}
