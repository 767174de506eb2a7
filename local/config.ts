import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { VOIVODESHIP_CODES } from '../lambdas/core/voivodeships.js';
import { STATUS_LINK_DAYS_AFTER_END } from '../lambdas/core/links.js';
import { FUNCTION_TIMEOUT_SECONDS } from '../lib/function-timeouts.js';

/**
 * Configuration of the local stack (`npm start`, the end-to-end tests). Every value can be overridden by an
 * environment variable of the same name; ports 0 mean "any free port" (tests).
 */
const port = z.coerce.number().int().min(0).max(65535);
const FUNCTION_NAMES = Object.keys(FUNCTION_TIMEOUT_SECONDS) as (keyof typeof FUNCTION_TIMEOUT_SECONDS)[];
/** Lambda's own bounds of a function's timeout, in seconds. */
const functionTimeouts = z.partialRecord(z.enum(FUNCTION_NAMES), z.number().int().min(1).max(900));

export const localConfigSchema = z.object({
  HOST: z.string().default('127.0.0.1'),
  PAGES_PORT: port.default(3000),
  SES_PORT: port.default(8005),
  DYNAMODB_PORT: port.default(8000),
  SFN_PORT: port.default(8083),
  /** The SQS stand-in (fauxqs) holding the e-mail outbox. */
  SQS_PORT: port.default(9324),
  /** Locally a participant has minutes, not days, before a reminder. */
  RESPONSE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(300),
  ESCALATE_AFTER_REMINDERS: z.coerce.number().int().min(1).default(2),
  NOTIFICATIONS_PER_HOUR_PER_IP: z.coerce.number().int().min(1).default(20),
  /** As the per-address limit: locally every notification comes from this machine, mostly with the same contact. */
  NOTIFICATIONS_PER_HOUR_PER_CONTACT: z.coerce.number().int().min(1).default(20),
  /** The web ACL's rate rule on the form's POSTs (local/edge.ts): per client address in the window, as deployed (lib/config.ts formPostsPerClient). */
  FORM_POSTS_PER_CLIENT: z.coerce.number().int().min(1).default(30),
  /** The window WAF counts them over: AWS's 5 minutes (lib/link-page-routes.ts FORM_POST_RATE_WINDOW_SECONDS). */
  FORM_POST_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(300),
  /** Hand-overs of one step through its link page (lambdas/core/config.ts stepLimitsConfigSchema). */
  MAX_HAND_OVERS_PER_STEP: z.coerce.number().int().min(0).default(3),
  /** After this many reminders a step is past its final deadline and the case is STALLED. */
  STALLED_AFTER_REMINDERS: z.coerce.number().int().min(2).default(4),
  STALLED_WAIT_SECONDS: z.coerce.number().int().min(1).default(3600),
  /** How long a case held by an incident waits for the operator (`npm run cases -- retry`) before it is marked FAILED. */
  INCIDENT_WAIT_SECONDS: z.coerce.number().int().min(1).default(86_400),
  MAX_INCIDENTS_PER_CASE: z.coerce.number().int().min(1).default(3),
  /** Where incidents are e-mailed (the local inbox shows them). */
  OPERATIONS_EMAIL: z.string().default('operacje.di@mrpips.gov.pl'),
  /** Optional per-step overrides (JSON), see lambdas/core/timing.ts. */
  REMINDER_SCHEDULE: z.string().default(''),
  SENDER_EMAIL: z.string().default('no-reply@zmiana-sd.local'),
  /** SES's maximum send rate the outbox's sender keeps to (context sesMaxSendRate): the production default. */
  SES_MAX_SEND_RATE: z.coerce.number().positive().max(10_000).default(14),
  /**
   * The outbox's visibility timeout, when a test needs messages the sender left on the queue back sooner than CDK's
   * six sender timeouts (core/outbox.ts senderSettings); at least send-email's timeout, as Lambda requires.
   */
  OUTBOX_VISIBILITY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(43_200).optional(),
  /** The configuration set the mailer names; the local SES simulator (local/ses-simulator.ts) publishes events only for sends that name one, as SES does. */
  SES_CONFIGURATION_SET: z.string().default('zmiana-sd-local'),
  MRPIPS_EMAIL: z.string().default('sekretariat.di@mrpips.gov.pl'),
  /** JSON map of the 16 voivodeship codes to administrators' addresses. */
  VOIVODESHIP_ADMINS: z.string().default(JSON.stringify(Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, `administrator.mzt.${code}@uw.local`])))),
  /** Generated per run unless given: links from an earlier run stop working, as its data is gone anyway. */
  LINK_SIGNING_KEYS: z.string().default(() => JSON.stringify({ current: 'local1', local1: randomBytes(32).toString('base64url') })),
  /** The status links' own keys (the status page holds no others), generated per run like LINK_SIGNING_KEYS. */
  STATUS_LINK_KEYS: z.string().default(() => JSON.stringify({ current: 'status1', status1: randomBytes(32).toString('base64url') })),
  /** Days a status link works after its case ended (lambdas/core/links.ts). */
  STATUS_LINK_DAYS_AFTER_END: z.coerce.number().int().min(0).max(3650).default(STATUS_LINK_DAYS_AFTER_END),
  /** The notification form's token keys, generated per run like LINK_SIGNING_KEYS (a key of their own). */
  FORM_TOKEN_KEYS: z.string().default(() => JSON.stringify({ current: 'local1', local1: randomBytes(32).toString('base64url') })),
  TABLE_NAME: z.string().default('zmiana-sd-cases'),
  /**
   * How long an execution may run before it ends TIMED_OUT: a year, as a Standard execution on AWS; tests
   * shorten it to see what happens to a case whose execution times out.
   */
  MAX_EXECUTION_SECONDS: z.coerce.number().positive().max(365 * 86_400).default(365 * 86_400),
  /** Retry waits in the state machines are scaled by this factor locally (1 = as in AWS). */
  RETRY_INTERVAL_SCALE: z.coerce.number().min(0).max(1).default(1),
  /**
   * Functions whose timeout differs locally from lib/function-timeouts.ts, as JSON seconds by function name
   * (`{"send-notice":1}`: a test makes one function time out without waiting 30 s). The rest keep theirs.
   */
  LAMBDA_TIMEOUTS: z
    .string()
    .default('')
    .transform((text, ctx) => {
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON: {"<function name>": <seconds>, …}' });
        return z.NEVER;
      }
      const result = functionTimeouts.safeParse(parsed);
      if (!result.success) {
        ctx.addIssue({ code: 'custom', message: result.error.issues.map((i) => `${i.path.join('.') || '(map)'}: ${i.message}`).join('; ') });
        return z.NEVER;
      }
      return { ...FUNCTION_TIMEOUT_SECONDS, ...result.data };
    }),
  /** How a timed-out function reaches Step Functions (local/lambda-timeouts.ts): current runtimes, or older ones. */
  LAMBDA_TIMEOUT_ERROR: z.enum(['Sandbox.Timedout', 'Lambda.Unknown']).default('Sandbox.Timedout'),
});

export type LocalConfig = z.infer<typeof localConfigSchema>;

export function localConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Record<keyof LocalConfig, string | number>> = {}): LocalConfig {
  const merged: Record<string, unknown> = { ...Object.fromEntries(Object.keys(localConfigSchema.shape).map((k) => [k, env[k]])), ...overrides };
  const result = localConfigSchema.safeParse(Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined && v !== '')));
  if (!result.success) throw new Error(`Invalid local configuration: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return result.data;
}
