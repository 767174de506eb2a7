import type { z } from 'zod';
import { caseStore, type CaseStore } from '../adapters/case-store.js';
import { outbox } from '../adapters/outbox.js';
import type { Mailer } from '../core/outbox.js';
import { finishConfirmation } from '../adapters/confirmations.js';
import { sendAllOnce } from '../adapters/mail-once.js';
import { directory, stateMachineHandler } from '../adapters/runtime.js';
import { loadStatusLinks } from '../adapters/signing-keys.js';
import type { StatusLinks } from '../core/links.js';
import { describeResponse, stepEffect, validateResponse } from '../core/apply.js';
import type { CaseRecord } from '../core/case.js';
import { newCollectionCodesEmail, participantConfirmedEmail, variantAgreedEmail, type EmailMessage } from '../core/emails.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { applyResponseEvent } from '../core/events.js';
import { addressOf, supplierContact, type Directory } from '../core/participants.js';
import { STEPS, stepKey, type StepId } from '../core/steps.js';

/**
 * Applies a participant's confirmed response to the case (variant, collection codes, dates, verification)
 * and tells the people who need to know: MRPiPS whenever another participant confirms ("informs MRPiPS"),
 * the JST when MRPiPS has decided something it must act on. Returns what the procedure branches on.
 */
export async function applyResponse(input: z.infer<typeof applyResponseEvent>, deps: { store: CaseStore; mailer: Mailer; directory: Directory; statusUrl: StatusLinks; now?: Date }) {
  const now = (deps.now ?? new Date()).toISOString();
  const record = await deps.store.getCase(input.caseId);
  if (!record) throw new NotFoundError(`Case ${input.caseId} not found`);
  const ctx = { record, round: input.round };
  const response = validateResponse(input.step, ctx, input.confirmation.response);
  const effect = stepEffect(record, input.step, input.round, response, input.confirmation.confirmedAt);
  // A late answer to a stalled step resumes the case.
  if (record.status === 'STALLED') effect.set.status = 'IN_PROGRESS';

  // The link handler records the confirmation right after handing it on; if it could not, it is done here.
  const key = stepKey(input.step, input.round);
  if (!(await deps.store.hasEvent(record.caseId, `confirmed:${key}`))) await finishConfirmation(deps.store, await deps.store.getStep(record.caseId, key));

  // The contact confirmed: only now does the case take its old collections (an unconfirmed notification holds none).
  const collections = input.step === 'CONFIRM_CONTACT' ? await takeOldCollections(deps.store, record, now) : undefined;
  for (const collection of effect.newCollections ?? []) {
    await deps.store.lockCollection({ code: collection.code, caseId: record.caseId, area: collection.area, teryt: record.notification.teryt, kind: 'NEW', updatedAt: now });
  }
  await deps.store.updateCase(
    record.caseId,
    { id: `applied:${stepKey(input.step, input.round)}`, at: now, actor: { role: STEPS[input.step].role, email: input.confirmation.participant.email }, action: `${input.step}_APPLIED`, step: stepKey(input.step, input.round), summary: effect.summary },
    effect.set,
  );
  const updated: CaseRecord = { ...record, ...effect.set };
  // Once per step instance, even when this action runs twice (at-least-once delivery) or is retried.
  await sendAllOnce(deps, record.caseId, `applied:${stepKey(input.step, input.round)}`, notices(updated, input.step, input, deps.directory, describeResponse(input.step, ctx, response), deps.statusUrl(record)));
  return { ...effect.outcome, ...(collections ? { collections } : {}) };
}

/**
 * Takes every old collection of the case, or none: when a code is held by another (confirmed) case, or was
 * closed or archived meanwhile, what this call took is given back and the procedure ends the case. Safe to
 * retry: taking a code the case already holds succeeds.
 */
async function takeOldCollections(store: CaseStore, record: CaseRecord, now: string): Promise<'TAKEN' | 'UNAVAILABLE'> {
  const taken: string[] = [];
  for (const collection of record.collections) {
    try {
      await store.lockCollection({ code: collection.oldCode, caseId: record.caseId, area: collection.area, teryt: record.notification.teryt, kind: 'OLD', updatedAt: now });
      taken.push(collection.oldCode);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      for (const code of taken) await store.releaseCollection(code, record.caseId, now);
      return 'UNAVAILABLE';
    }
  }
  return 'TAKEN';
}

function notices(record: CaseRecord, step: StepId, input: z.infer<typeof applyResponseEvent>, directory: Directory, rows: [string, string][], statusUrl: string): EmailMessage[] {
  const jst = addressOf('JST', record, directory);
  const supplier = supplierContact(record);
  switch (step) {
    case 'CONFIRM_CONTACT':
      // The procedure acknowledges the notification next ("1 Acknowledge notification").
      return [];
    case 'AGREE_VARIANT':
      // A rejection is announced by the procedure's "2 Reject notification" notice.
      return record.variant ? [variantAgreedEmail(record, jst, [], statusUrl)] : [];
    case 'NEW_COLLECTIONS':
      return [newCollectionCodesEmail(record, jst, supplier ? [supplier] : [], statusUrl)];
    case 'VERIFY_COLLECTIONS':
      // Discrepancies reach the JST in the next feeding request; OK reaches it in the final notice.
      return [];
    case 'OLD_SD_DEACTIVATED':
    case 'NEW_SD_FEEDING':
    case 'MZT_DEACTIVATED':
      return [
        participantConfirmedEmail({
          record,
          step,
          by: input.confirmation.participant.email,
          role: input.confirmation.participant.role,
          at: input.confirmation.confirmedAt,
          response: rows,
          to: directory.mrpipsEmail,
          statusUrl,
        }),
      ];
  }
}

export const handler = stateMachineHandler('apply-response', applyResponseEvent, async (input) => applyResponse(input, { store: caseStore(), mailer: outbox(), directory: directory(), statusUrl: await loadStatusLinks() }));
