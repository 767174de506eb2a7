import { caseStore, type CaseStore } from '../adapters/case-store.js';
import { countCase } from '../adapters/metrics.js';
import { stateMachineHandler } from '../adapters/runtime.js';
import { newCase, registeredEvent } from '../core/case.js';
import { ValidationError } from '../core/errors.js';
import { registerCaseEvent } from '../core/events.js';
import type { CountCase } from '../core/metrics.js';
import { notificationSchema } from '../core/notification.js';
import type { z } from 'zod';

// The form already refused a planned date in the past; registration re-checks the shape only, so a retry
// after midnight does not fail a valid case.
const ANY_DATE = '0000-01-01';

/**
 * Step 1: the notification becomes a case. It takes no collection: that waits until the contact confirms the
 * address (apply-response, CONFIRM_CONTACT), so nobody can hold codes with a notification never confirmed.
 * CaseStarted is counted by the invocation that created the case, not by a retry that finds it.
 */
export async function registerCase(input: z.infer<typeof registerCaseEvent>, store: CaseStore, count: CountCase, now = new Date().toISOString()) {
  const parsed = notificationSchema(ANY_DATE).safeParse(input.notification);
  if (!parsed.success) throw new ValidationError(`Invalid notification: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const record = newCase(input.caseId, parsed.data, now, input.executionId);
  if (await store.createCase(record, registeredEvent(record))) count('CaseStarted');
  return { caseId: record.caseId };
}

export const handler = stateMachineHandler('register-case', registerCaseEvent, (input) => registerCase(input, caseStore(), countCase));
