import * as z from 'zod';
import { reminderScheduleSchema } from './timing.js';
import { VOIVODESHIP_CODES } from './voivodeships.js';
import { STATUS_LINK_DAYS_AFTER_END } from './links.js';

/**
 * Configuration comes from the Lambda environment (CDK context in AWS, local config in `npm start`).
 * Each handler parses only the part it needs, and a bad value fails loudly naming the variable.
 */
const email = z.string().trim().toLowerCase().pipe(z.email());

const voivodeshipAdmins = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.object(Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, email])) as Record<string, typeof email>).strict());

export const tableConfigSchema = z.object({ TABLE_NAME: z.string().min(1) });

/** Who the procedure's e-mail goes to, and the base of the links it carries (every function that puts mail on the outbox). */
export const mailConfigSchema = z.object({
  MRPIPS_EMAIL: email,
  VOIVODESHIP_ADMINS: voivodeshipAdmins,
  PUBLIC_BASE_URL: z.string().url().transform((url) => url.replace(/\/+$/, '')),
});

/** How send-email sends through SES: as whom, with which configuration set, and how fast (its share of the quota). */
export const sesConfigSchema = z.object({
  SENDER_EMAIL: email,
  /** The SES configuration set every message is sent with (its event destination reports deliveries, bounces, complaints). */
  SES_CONFIGURATION_SET: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an SES configuration set name').optional(),
  /** SES's maximum send rate (recipients per second), which the senders share through one schedule (core/outbox.ts). */
  SEND_RATE_PER_SECOND: z.coerce.number().positive().max(10_000),
});

export const timingConfigSchema = z.object({
  RESPONSE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(17_280_000),
  ESCALATE_AFTER_REMINDERS: z.coerce.number().int().min(1).max(50),
  // Defaults as lib/config.ts's: together they keep a case within a Standard execution's year (core/case-life.ts).
  STALLED_AFTER_REMINDERS: z.coerce.number().int().min(2).max(50).default(3),
  STALLED_WAIT_SECONDS: z.coerce.number().int().min(1).max(17_280_000).default(7 * 86_400),
  REMINDER_SCHEDULE: reminderScheduleSchema,
  /** How long an execution waits in an incident for the operator's retry before the case is marked FAILED. */
  INCIDENT_WAIT_SECONDS: z.coerce.number().int().min(1).max(17_280_000).default(7 * 86_400),
});

export const formConfigSchema = tableConfigSchema.extend({
  ...timingConfigSchema.shape,
  PROCEDURE_STATE_MACHINE_ARN: z.string().min(1),
  /** Accepted notifications per client address per hour; floods get a clear page instead of cases. */
  NOTIFICATIONS_PER_HOUR_PER_IP: z.coerce.number().int().min(1).max(10_000).default(20),
  /** Accepted notifications per contact address per hour: nobody is sent confirmation requests in bulk, from however many client addresses. */
  NOTIFICATIONS_PER_HOUR_PER_CONTACT: z.coerce.number().int().min(1).max(1_000).default(5),
  /** The site's own origin: a POST whose Origin is another is refused (cross-site submission). */
  PUBLIC_BASE_URL: mailConfigSchema.shape.PUBLIC_BASE_URL,
});

/** open-incident: where operations are told, and how many incidents one case may have (every loop is bounded). */
/** Where what needs an operator is e-mailed (incidents, executions that ended abnormally). */
export const operationsConfigSchema = z.object({ OPERATIONS_EMAIL: email });

export const incidentConfigSchema = operationsConfigSchema.extend({
  MAX_INCIDENTS_PER_CASE: z.coerce.number().int().min(1).max(20).default(3),
});

/**
 * How often one step (one round of it) may change hands or links: every loop a person can drive is bounded, so
 * no step item grows without end and nobody is e-mailed without end. Hand-overs through the link page are the
 * participants' (confirmation-links); reassignments and resends are MRPiPS's (the operations CLI), allowed past
 * the participants' bound but bounded themselves.
 */
export const stepLimitsConfigSchema = z.object({
  MAX_HAND_OVERS_PER_STEP: z.coerce.number().int().min(0).max(20).default(3),
  MAX_REASSIGNMENTS_PER_STEP: z.coerce.number().int().min(0).max(50).default(10),
  MAX_RESENDS_PER_STEP: z.coerce.number().int().min(0).max(50).default(5),
});

/** The status page: how many days its links work after the case ended (core/links.ts explains the default). */
export const statusPageConfigSchema = z.object({
  STATUS_LINK_DAYS_AFTER_END: z.coerce.number().int().min(0).max(3650).default(STATUS_LINK_DAYS_AFTER_END),
});

export type MailConfig = z.infer<typeof mailConfigSchema>;
export type SesConfig = z.infer<typeof sesConfigSchema>;
export type StepLimitsConfig = z.infer<typeof stepLimitsConfigSchema>;
export type FormConfig = z.infer<typeof formConfigSchema>;
export type IncidentConfig = z.infer<typeof incidentConfigSchema>;

export function parseConfig<T extends z.ZodTypeAny>(schema: T, env: Record<string, string | undefined>): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const details = result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`).join('; ');
    throw new Error(`Invalid configuration: ${details}`);
  }
  return result.data;
}
