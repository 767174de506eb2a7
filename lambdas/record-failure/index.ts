import type { z } from 'zod';
import { caseStore, type CaseStore } from '../adapters/case-store.js';
import { countCase } from '../adapters/metrics.js';
import { stateMachineHandler } from '../adapters/runtime.js';
import { ConflictError } from '../core/errors.js';
import { recordFailureEvent } from '../core/events.js';
import { log } from '../core/log.js';
import type { CountCase } from '../core/metrics.js';
import { stepKey } from '../core/steps.js';
import { failureReason } from '../core/incident.js';
import { closeWaitingIncidents } from '../services/incidents.js';

/** Catch target of every task: the case shows status FAILED with the reason, and the step is marked failed. */
export async function recordFailure(input: z.infer<typeof recordFailureEvent>, deps: { store: CaseStore; count: CountCase; now?: Date }) {
  const now = (deps.now ?? new Date()).toISOString();
  const reason = failureReason(input.failure);
  const where = input.step === 'PROCEDURE' ? 'PROCEDURE' : stepKey(input.step, input.round);
  if (input.step !== 'PROCEDURE' && (await deps.store.getStep(input.caseId, where))) {
    await deps.store.markStep(input.caseId, where, { status: 'FAILED' });
  }
  // The case ends here: no step or incident keeps a task token (before the status, as send-notice does).
  await deps.store.forgetTaskTokens(input.caseId);
  try {
    const written = await deps.store.updateCase(
      input.caseId,
      { id: `failed:${where}`, at: now, actor: { role: 'SYSTEM' }, action: 'CASE_FAILED', step: where, summary: `Błąd przetwarzania (${where}): ${reason}` },
      { status: 'FAILED', failure: { step: where, reason, at: now }, endedAt: now },
    );
    if (written === 'applied') deps.count('CaseFailed');
  } catch (error) {
    // A case that was never registered (its notification failed validation) has nothing to record on;
    // the failed execution itself is the record.
    if (!(error instanceof ConflictError)) throw error;
    log.warn('failure of an unregistered case', { caseId: input.caseId, step: where });
  }
  // An incident nobody resolved in time ends here: it no longer waits, and its token goes.
  await closeWaitingIncidents(deps.store, input.caseId, 'the case was marked FAILED', new Date(now));
  return { reason };
}

export const handler = stateMachineHandler('record-failure', recordFailureEvent, (input) => recordFailure(input, { store: caseStore(), count: countCase }));
