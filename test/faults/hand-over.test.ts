import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_ERRORS, SDK_ATTEMPTS, bodyIncludes } from '../../local/faults.js';
import { Inbox, linkIn, notifyAndConfirmContact, openStepForm, postForm, type StoredEmail } from '../e2e/participants.js';
import { MRPIPS, queuedMessageTo, readStep, readTimeline, startFaultWorld, type FaultWorld } from './play.js';

/**
 * A hand-over through the link page meets AWS failures after the new recipient's e-mail was queued (the notice to
 * MRPiPS, the timeline entry) or loses the answer of its own write. E-mail goes through the outbox, so what
 * arrived is counted once it has settled. The page says only what is true — the step
 * has been handed over — and never "Nic nie zostało zapisane"; the same POST again finishes what is left, and in
 * the end every message went out once and the timeline records the hand-over once.
 */
let world: FaultWorld;
let inbox: Inbox;

beforeAll(async () => {
  world = await startFaultWorld();
  inbox = world.inbox;
});

afterAll(async () => {
  await world?.stack.close();
});

/** A case waiting for MRPiPS to agree the variant: the request e-mail, whose link MRPiPS hands over. */
async function variantRequest(): Promise<{ caseId: string; request: StoredEmail }> {
  const caseId = await notifyAndConfirmContact(world.stack.urls.form, inbox);
  return { caseId, request: await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']) };
}

/** The hand-over form of the page, posted; `again` posts the very same form once more (a reload that resends it). */
async function handOverForm(link: string, to: string) {
  const { action, hidden } = await openStepForm(link);
  const post = () => postForm(action, { ...hidden, action: 'reassign', delegateEmail: to });
  return { first: await post(), again: post };
}

const handOverNotices = (caseId: string) => inbox.to(MRPIPS, caseId).then((mails) => mails.filter((m) => m.subject.includes('przekazano innej osobie')));
const handOverEntries = async (caseId: string) => (await readTimeline(world, caseId)).filter((e) => e.action === 'STEP_REASSIGNED');

describe('a hand-over whose colleague has the link, while AWS fails after that', () => {
  it('GIVEN the outbox fails to take the notice to MRPiPS THEN the page says the step was handed over (202); the same POST again sends the notice once and records the hand-over once', async () => {
    const { caseId, request } = await variantRequest();
    const colleague = 'jan.nowak@mrpips.gov.pl';
    const notice = world.faults.add({ service: 'sqs', operation: 'SendMessage', match: queuedMessageTo(MRPIPS, 'przekazano innej osobie'), fault: AWS_ERRORS.sqsInternalFailure, times: SDK_ATTEMPTS.sqs, label: 'hand-over notice' });

    const { first, again } = await handOverForm(linkIn(request), colleague);
    expect(notice.exhausted).toBe(true);
    expect(first.status, first.body).toBe(202);
    expect(first.body).toContain('Krok przekazany');
    expect(first.body).toContain(`został przekazany osobie: <strong>${colleague}</strong>`);
    expect(first.body).not.toContain('Nic nie zostało zapisane');
    // True: the colleague has a working link, the step is theirs, the old link no longer acts.
    const toColleague = await inbox.take(colleague, [caseId, 'Uzgodnienie trybu']);
    expect((await fetch(linkIn(toColleague))).status).toBe(200);
    expect((await readStep(world, caseId, 'AGREE_VARIANT.1')).recipient).toBe(colleague);
    await world.stack.outbox.settled();
    expect(await handOverNotices(caseId)).toHaveLength(0);
    expect(await handOverEntries(caseId)).toHaveLength(0);

    const retried = await again();
    expect(retried.status, retried.body).toBe(200);
    expect(retried.body).toContain('Krok przekazany');
    await world.stack.outbox.settled();
    expect(await handOverNotices(caseId)).toHaveLength(1);
    expect(await handOverEntries(caseId)).toMatchObject([{ actor: { role: 'MRPIPS', email: MRPIPS }, step: 'AGREE_VARIANT.1' }]);
    // The colleague got one request only, and the step was handed over once.
    expect((await inbox.to(colleague, caseId)).filter((m) => m.subject.includes('Uzgodnienie trybu'))).toHaveLength(1);
    expect((await readStep(world, caseId, 'AGREE_VARIANT.1')).handOvers).toBe(1);
  });

  it('GIVEN DynamoDB fails the timeline entry THEN 202, and the same POST again records it once without e-mailing anyone twice', async () => {
    const { caseId, request } = await variantRequest();
    const colleague = 'ewa.zielinska@mrpips.gov.pl';
    const entry = world.faults.add({ service: 'dynamodb', operation: 'PutItem', match: bodyIncludes('EVENT#reassigned:AGREE_VARIANT.1', caseId), fault: AWS_ERRORS.dynamoInternal, times: SDK_ATTEMPTS.dynamodb, label: 'hand-over entry' });

    const { first, again } = await handOverForm(linkIn(request), colleague);
    expect(entry.exhausted).toBe(true);
    expect(first.status, first.body).toBe(202);
    expect(first.body).not.toContain('Nic nie zostało zapisane');
    await world.stack.outbox.settled();
    expect(await handOverNotices(caseId)).toHaveLength(1);
    expect(await handOverEntries(caseId)).toHaveLength(0);

    expect((await again()).status).toBe(200);
    await world.stack.outbox.settled();
    expect(await handOverEntries(caseId)).toHaveLength(1);
    expect(await handOverNotices(caseId)).toHaveLength(1);
    expect((await inbox.to(colleague, caseId)).filter((m) => m.subject.includes('Uzgodnienie trybu'))).toHaveLength(1);
  });

  it('GIVEN the answer of the hand-over write is lost THEN the SDK\'s retry finds its own write: the colleague is e-mailed once and the page says handed over', async () => {
    const { caseId, request } = await variantRequest();
    const colleague = 'piotr.wisniewski@mrpips.gov.pl';
    const lost = world.faults.add({ service: 'dynamodb', operation: 'UpdateItem', match: bodyIncludes('#handOver = :handOver', caseId), fault: { kind: 'lose-response' }, label: 'hand-over written, answer lost' });

    const { first } = await handOverForm(linkIn(request), colleague);
    expect(lost.exhausted).toBe(true);
    expect(first.status, first.body).toBe(200);
    expect(first.body).toContain('Krok przekazany');
    await world.stack.outbox.settled();
    expect((await inbox.to(colleague, caseId)).filter((m) => m.subject.includes('Uzgodnienie trybu'))).toHaveLength(1);
    expect(await handOverNotices(caseId)).toHaveLength(1);
    expect(await handOverEntries(caseId)).toHaveLength(1);
    expect((await readStep(world, caseId, 'AGREE_VARIANT.1')).handOvers).toBe(1);
  });
});
