import { confirmedSummary } from '../core/apply.js';
import type { TimelineEntry } from '../core/case.js';
import type { StepRecord } from '../core/step-record.js';
import type { CaseStore } from './case-store.js';

/**
 * The bookkeeping after a participant's confirmation has been handed to Step Functions: the used task token
 * is removed from the step and the case timeline records who confirmed, when and through which link. The
 * link handler does it right after the hand-over; apply-response, which the procedure runs next (with
 * retries), does it again, so a failure in between never loses the entry. Both writes are idempotent (the
 * token removal is conditional on the completed step, the entry has a deterministic id).
 */
export function confirmedEvent(step: StepRecord & { completedAt: string; completedBy: NonNullable<StepRecord['completedBy']> }): TimelineEntry {
  return {
    id: `confirmed:${step.stepKey}`,
    at: step.completedAt,
    actor: { role: step.role, email: step.completedBy.email },
    action: 'STEP_CONFIRMED',
    step: step.stepKey,
    summary: confirmedSummary(step.step, step.round, step.role, step.completedBy.email),
    details: { ip: step.completedBy.ip, userAgent: step.completedBy.userAgent, linkId: step.completedBy.linkId },
  };
}

/** Removes the used token and records the confirmation, for a step that is completed; false when it is not. */
export async function finishConfirmation(store: CaseStore, step: StepRecord | undefined): Promise<boolean> {
  if (step?.status !== 'COMPLETED' || !step.completedAt || !step.completedBy) return false;
  if (step.taskToken) await store.forgetTaskToken(step.caseId, step.stepKey);
  await store.updateCase(step.caseId, confirmedEvent({ ...step, completedAt: step.completedAt, completedBy: step.completedBy }));
  return true;
}
