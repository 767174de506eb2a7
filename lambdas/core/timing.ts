import * as z from 'zod';
import { STEP_IDS, type StepId } from './steps.js';

/**
 * When participants are reminded, per step. A step waits `responseTimeoutSeconds`, then a reminder with a
 * fresh link goes out; after `escalateAfterReminders` reminders MRPiPS is told; after
 * `stalledAfterReminders` reminders the step is past its final deadline: the case becomes STALLED, the
 * participant gets a last link that keeps working for `stalledWaitSeconds`, and MRPiPS decides (cancel,
 * resend, hand over). The contact's address confirmation lapses instead (see the confirmation ASL).
 */
export interface StepTiming {
  responseTimeoutSeconds: number;
  escalateAfterReminders: number;
  stalledAfterReminders: number;
  stalledWaitSeconds: number;
}

const MAX_WAIT = 200 * 86_400; // the whole procedure must fit in a Standard execution's year
const override = z
  .object({
    responseTimeoutSeconds: z.number().int().min(1).max(MAX_WAIT).optional(),
    escalateAfterReminders: z.number().int().min(1).max(50).optional(),
    stalledAfterReminders: z.number().int().min(1).max(50).optional(),
  })
  .strict();

/** REMINDER_SCHEDULE: optional JSON object of per-step overrides, e.g. {"MZT_DEACTIVATED":{"responseTimeoutSeconds":259200}}. */
export const reminderScheduleSchema = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    if (!raw) return {};
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }
  })
  .pipe(z.partialRecord(z.enum(STEP_IDS), override));

export type ReminderSchedule = z.infer<typeof reminderScheduleSchema>;

export function stepTimings(defaults: StepTiming, schedule: ReminderSchedule): Record<StepId, StepTiming> {
  const timings = Object.fromEntries(STEP_IDS.map((step) => [step, { ...defaults, ...schedule[step] }])) as Record<StepId, StepTiming>;
  for (const [step, timing] of Object.entries(timings)) {
    if (timing.stalledAfterReminders <= timing.escalateAfterReminders) {
      throw new Error(`Invalid configuration: REMINDER_SCHEDULE for ${step}: stalledAfterReminders (${timing.stalledAfterReminders}) must be greater than escalateAfterReminders (${timing.escalateAfterReminders})`);
    }
  }
  return timings;
}
