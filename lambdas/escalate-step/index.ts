import type { z } from 'zod';
import { caseStore, type CaseStore } from '../adapters/case-store.js';
import { outbox } from '../adapters/outbox.js';
import type { Mailer } from '../core/outbox.js';
import { sendOnce } from '../adapters/mail-once.js';
import { countCase } from '../adapters/metrics.js';
import { directory, stateMachineHandler } from '../adapters/runtime.js';
import { loadStatusLinks } from '../adapters/signing-keys.js';
import type { StatusLinks } from '../core/links.js';
import { escalationEmail, stepStalledEmail } from '../core/emails.js';
import { NotFoundError } from '../core/errors.js';
import { escalateStepEvent } from '../core/events.js';
import type { CountCase } from '../core/metrics.js';
import type { Directory } from '../core/participants.js';
import { STEPS, stepKey } from '../core/steps.js';

/**
 * After the configured number of reminders MRPiPS is told who has not answered (naming the voivodeship);
 * after the final deadline (`stalled`) the case is marked STALLED and MRPiPS is asked to decide.
 */
export async function escalateStep(input: z.infer<typeof escalateStepEvent>, deps: { store: CaseStore; mailer: Mailer; directory: Directory; statusUrl: StatusLinks; count: CountCase; now?: Date }) {
  const now = (deps.now ?? new Date()).toISOString();
  const key = stepKey(input.step, input.round);
  const [record, step] = await Promise.all([deps.store.getCase(input.caseId), deps.store.getStep(input.caseId, key)]);
  if (!record || !step) throw new NotFoundError(`Step ${key} of ${input.caseId} not found`);
  const about = { record, step: input.step, awaited: step.recipient, remindersSent: input.remindersSent, requestedAt: step.requestedAt, to: deps.directory.mrpipsEmail, statusUrl: deps.statusUrl(record) };
  if (input.stalled) {
    // Status first: the case shows STALLED even if the e-mail has to be retried. Counted once per stall: by the
    // invocation whose write marked it.
    const written = await deps.store.updateCase(
      input.caseId,
      { id: `stalled:${key}`, at: now, actor: { role: 'SYSTEM' }, action: 'CASE_STALLED', step: key, summary: `Termin kroku „${STEPS[input.step].title}” minął po ${input.remindersSent} przypomnieniach — sprawa wstrzymana do decyzji MRPiPS.` },
      { status: 'STALLED' },
    );
    if (written === 'applied') deps.count('CaseStalled');
    await sendOnce(deps, input.caseId, `stalled:${key}`, stepStalledEmail(about));
    return {};
  }
  // Once per escalation, even when this action runs twice or is retried after the e-mail went out.
  await sendOnce(deps, input.caseId, `escalated:${key}:${input.remindersSent}`, escalationEmail({ ...about, round: input.round }));
  await deps.store.markStep(input.caseId, key, { escalatedAt: now });
  await deps.store.updateCase(input.caseId, {
    id: `escalated:${key}:${input.remindersSent}`,
    at: now,
    actor: { role: 'SYSTEM' },
    action: 'STEP_ESCALATED',
    step: key,
    summary: `Brak potwierdzenia kroku „${STEPS[input.step].title}” po ${input.remindersSent} przypomnieniach — poinformowano MRPiPS.`,
  });
  return {};
}

export const handler = stateMachineHandler('escalate-step', escalateStepEvent, async (input) => escalateStep(input, { store: caseStore(), mailer: outbox(), directory: directory(), statusUrl: await loadStatusLinks(), count: countCase }));
