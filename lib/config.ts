import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { STEP_IDS, type StepId } from '../lambdas/core/steps.js';
import { ONE_YEAR_SECONDS, worstCaseLife, type CaseLife } from '../lambdas/core/case-life.js';
import { type ReminderSchedule, reminderScheduleSchema, type StepTiming, stepTimings } from '../lambdas/core/timing.js';
import { STATUS_LINK_DAYS_AFTER_END } from '../lambdas/core/links.js';

/**
 * Deployment configuration, read from CDK context (`cdk.json` "context", or `cdk synth -c key=value`).
 *
 * Values given with `-c` on the command line arrive as strings, so numbers, booleans, the
 * voivodeship map and the reminder schedule are also accepted in their string / JSON form.
 *
 * | key                    | default                                   |
 * |------------------------|-------------------------------------------|
 * | senderEmail            | placeholder no-reply@zmiana-sd.example.gov.pl — MUST be set (refused, see below) |
 * | mrpipsEmail            | sekretariat.di@mrpips.gov.pl              |
 * | voivodeshipAdmins      | placeholders administrator.mzt.<code>@example.gov.pl — MUST be set (refused, see below) |
 * | responseTimeoutDays    | 7 (days before a participant is reminded, > 0, at most 200; fractions allowed) |
 * | escalateAfterReminders | 2 (reminders before MRPiPS is told, 1..50)  |
 * | stalledAfterReminders  | 3 (reminders before the case is STALLED, 2..50; must be greater than escalateAfterReminders) |
 * | stalledWaitDays        | 7 (how long the last link of a stalled step keeps working, > 0, at most 200) |
 * | incidentWaitDays       | 7 (how long a case held by an incident waits for the operator before it is marked FAILED) |
 * | maxIncidentsPerCase    | 3 (incidents one case may have, 1..20; one more fails the case) |
 * | operationsEmail        | (unset: mrpipsEmail) — where incidents are e-mailed |
 * | reminderSchedule       | (unset: no REMINDER_SCHEDULE, every step uses the values above) — per-step overrides, an object or its JSON text: |
 * |                        |   {"<step id>": {"responseTimeoutSeconds"?, "escalateAfterReminders"?, "stalledAfterReminders"?}} |
 * |                        |   (note: SECONDS here, 1..17280000; reminders 1..50), validated by the lambdas' own reminderScheduleSchema |
 * |                        |   (lambdas/core/timing.ts); each step's resulting stalledAfterReminders must exceed its escalateAfterReminders |
 * | notificationsPerHourPerIp | 20 (accepted notifications per client address per hour, 1..10000) |
 * | notificationsPerHourPerContact | 5 (accepted notifications per contact e-mail address per hour, 1..1000) |
 * | maxHandOversPerStep    | 3 (hand-overs of one step through its link page, 0..20; MRPiPS can still reassign it) |
 * | statusLinkDaysAfterEnd | 30 (days a status link keeps working after its case ended, 0..3650; lambdas/core/links.ts says why) |
 * | publicBaseUrl          | (unset: the CloudFront distribution's https://<id>.cloudfront.net) |
 * | formPostsPerClient     | 30 (form POSTs one client address may make in AWS WAF's 5-minute window, 10..2000000000) |
 * | logRetentionDays       | 90 (one of the CloudWatch Logs retention values) |
 * | createSesIdentity      | false                                     |
 * | sesMaxSendRate         | 14 (SES's maximum send rate of the account, messages/s, > 0, at most 10000: the outbox's sender keeps to it) |
 * | opsAlertEmail          | (unset: no subscription to the ops alert topic, and a synth warning) |
 * | allowPlaceholderAddresses | false (true: accept placeholder addresses, for a synth not meant for deployment, e.g. the tests; a loud synth warning) |
 *
 * Every address key (senderEmail, mrpipsEmail, voivodeshipAdmins, operationsEmail, opsAlertEmail) is refused on a
 * domain reserved for examples and tests (isReservedAddress), the defaults' placeholders included, unless
 * allowPlaceholderAddresses is true: on AWS the first e-mail from or to such an address fails.
 *
 * The timing keys together must keep a case within a Standard execution's one year (lambdas/core/case-life.ts):
 * a configuration whose worst case passes 365 days is refused, naming the keys that make it up.
 */

/** The 16 voivodeships by TERYT code (first two digits of a unit's TERYT code). */
export const VOIVODESHIP_CODES = [
  '02', '04', '06', '08', '10', '12', '14', '16',
  '18', '20', '22', '24', '26', '28', '30', '32',
] as const;
export type VoivodeshipCode = (typeof VOIVODESHIP_CODES)[number];

/** Placeholder address of a voivodeship MZT administrator; real addresses must be supplied via context. */
export const placeholderAdminEmail = (code: VoivodeshipCode): string => `administrator.mzt.${code}@example.gov.pl`;

export const DEFAULT_VOIVODESHIP_ADMINS: Record<VoivodeshipCode, string> = Object.fromEntries(
  VOIVODESHIP_CODES.map((code) => [code, placeholderAdminEmail(code)]),
) as Record<VoivodeshipCode, string>;

export const CONTEXT_DEFAULTS = {
  senderEmail: 'no-reply@zmiana-sd.example.gov.pl',
  mrpipsEmail: 'sekretariat.di@mrpips.gov.pl',
  voivodeshipAdmins: DEFAULT_VOIVODESHIP_ADMINS,
  responseTimeoutDays: 7,
  escalateAfterReminders: 2,
  stalledAfterReminders: 3,
  stalledWaitDays: 7,
  incidentWaitDays: 7,
  maxIncidentsPerCase: 3,
  notificationsPerHourPerIp: 20,
  notificationsPerHourPerContact: 5,
  maxHandOversPerStep: 3,
  statusLinkDaysAfterEnd: STATUS_LINK_DAYS_AFTER_END,
  logRetentionDays: 90,
  createSesIdentity: false,
  sesMaxSendRate: 14,
  allowPlaceholderAddresses: false,
  formPostsPerClient: 30,
} as const;

/**
 * Domains no mail reaches, reserved for examples and tests: any `example` label (example.com, .net, .org by RFC 2606;
 * example.gov.pl, the placeholders' domain; the top-level domain .example; their subdomains), and the top-level domains
 * .test, .invalid, .localhost (RFC 2606, 6761) and .local (multicast DNS, RFC 6762).
 */
const RESERVED_TOP_LEVEL_DOMAINS = ['test', 'invalid', 'localhost', 'local'];
const RESERVED_DOMAINS = `any "example" label (example.com, example.gov.pl, *.example), ${RESERVED_TOP_LEVEL_DOMAINS.map((tld) => `*.${tld}`).join(', ')}: RFC 2606, 6761, 6762`;

/** Whether an address is on a domain reserved for examples and tests (a placeholder: no mail reaches it). */
export function isReservedAddress(address: string): boolean {
  const labels = address.slice(address.lastIndexOf('@') + 1).toLowerCase().split('.');
  return labels.includes('example') || RESERVED_TOP_LEVEL_DOMAINS.includes(labels.at(-1)!);
}

/** The context keys that hold e-mail addresses, in the schema's order. */
const ADDRESS_KEYS = ['senderEmail', 'mrpipsEmail', 'voivodeshipAdmins', 'operationsEmail', 'opsAlertEmail'] as const;
type AddressKey = (typeof ADDRESS_KEYS)[number];
/** The keys the placeholder check reads. */
const PLACEHOLDER_CHECK_KEYS: readonly string[] = [...ADDRESS_KEYS, 'allowPlaceholderAddresses'];

/** A context key holding a placeholder address, with what is a placeholder (the address, or the voivodeships). */
export interface PlaceholderAddress {
  readonly key: AddressKey;
  readonly what: string;
}

type Addresses = { voivodeshipAdmins: Record<VoivodeshipCode, string> } & { [key in Exclude<AddressKey, 'voivodeshipAdmins'>]?: string };

function placeholderAddressesOf(config: Addresses): PlaceholderAddress[] {
  return ADDRESS_KEYS.flatMap((key): PlaceholderAddress[] => {
    if (key === 'voivodeshipAdmins') {
      const codes = VOIVODESHIP_CODES.filter((code) => isReservedAddress(config.voivodeshipAdmins[code]));
      return codes.length === 0 ? [] : [{ key, what: `addresses for voivodeships ${codes.join(', ')}` }];
    }
    const address = config[key];
    return address !== undefined && isReservedAddress(address) ? [{ key, what: `address ${address}` }] : [];
  });
}

/** The last line of a refusal for placeholders: what they are, and what to do. */
const PLACEHOLDER_HINT =
  `Placeholder addresses, on domains reserved for examples and tests (${RESERVED_DOMAINS}), are refused: on AWS the first ` +
  'e-mail from or to one fails. Set the real addresses; a synth not meant for deployment (the tests) accepts them with -c allowPlaceholderAddresses=true.';

/** Retention values CloudWatch Logs accepts (RetentionDays without INFINITE). */
const RETENTION_VALUES = Object.values(RetentionDays).filter(
  (v): v is number => typeof v === 'number' && v !== RetentionDays.INFINITE,
);

const email = z
  .string({ error: (issue) => (issue.input === undefined ? 'is missing' : 'must be an e-mail address') })
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'must be an e-mail address' }));

/** Accepts a number or a numeric string (from `-c key=7`). */
const numeric = z.union([z.number(), z.string().trim().regex(/^-?\d+(\.\d+)?$/).transform(Number)], {
  error: 'must be a number',
});

const bool = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')], {
  error: 'must be true or false',
});

/** Accepts an object or its JSON text (from `-c voivodeshipAdmins='{"02":...}'`). */
const parseJsonText = (value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value; // reported by the object schema below
  }
};

const voivodeshipAdmins = z.preprocess(
  parseJsonText,
  z.strictObject(
    Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, email])) as Record<VoivodeshipCode, typeof email>,
    { error: `must be an object with an e-mail for each of the 16 voivodeship codes ${VOIVODESHIP_CODES.join(', ')}` },
  ),
);

/** Longest wait the lambdas accept (RESPONSE_TIMEOUT_SECONDS, STALLED_WAIT_SECONDS: 17,280,000 s in lambdas/core/config.ts). */
export const MAX_WAIT_DAYS = 200;

/** Days as the whole seconds the lambdas use (at least 1). */
const daysToSeconds = (days: number): number => Math.max(1, Math.round(days * 86_400));

const waitDays = numeric.pipe(
  z.number().positive('must be > 0').max(MAX_WAIT_DAYS, `must be at most ${MAX_WAIT_DAYS}`),
);

const OVERRIDE_KEYS = ['responseTimeoutSeconds', 'escalateAfterReminders', 'stalledAfterReminders'] as const;

/** The lambdas' issue, worded for the context key (the path still says where). */
const scheduleIssueMessage = (issue: z.core.$ZodIssue): string => {
  if (issue.code === 'unrecognized_keys') {
    return issue.path.length === 0
      ? `unknown step id ${issue.keys.map((k) => `"${k}"`).join(', ')} (step ids: ${STEP_IDS.join(', ')})`
      : `unknown override ${issue.keys.map((k) => `"${k}"`).join(', ')} (allowed: ${OVERRIDE_KEYS.join(', ')})`;
  }
  if ((issue.code === 'invalid_type' || issue.code === 'custom') && issue.path.length === 0) {
    return 'must be a JSON object of per-step overrides, e.g. {"MZT_DEACTIVATED":{"responseTimeoutSeconds":259200}}';
  }
  if (issue.code === 'invalid_type' && issue.path.length === 1) return `must be an object with any of ${OVERRIDE_KEYS.join(', ')}`;
  if (issue.code === 'invalid_type') return 'must be an integer';
  if (issue.code === 'too_small') return `must be at least ${String(issue.minimum)}`;
  if (issue.code === 'too_big') return `must be at most ${String(issue.maximum)}`;
  return issue.message;
};

/**
 * REMINDER_SCHEDULE: an object, or its JSON text (from `-c reminderSchedule='{...}'`), checked by the lambdas'
 * own reminderScheduleSchema on the JSON the function will get.
 */
const reminderSchedule = z.unknown().transform((value, ctx): ReminderSchedule => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const result = reminderScheduleSchema.safeParse(text);
  if (!result.success) {
    for (const issue of result.error.issues) {
      ctx.addIssue({ code: 'custom', message: scheduleIssueMessage(issue), path: issue.path.map(String) });
    }
    return z.NEVER;
  }
  return result.data;
});

/** Keys whose values the timing checks below compare (and that make up a case's worst-case life). */
const TIMING_KEYS = ['responseTimeoutDays', 'escalateAfterReminders', 'stalledAfterReminders', 'stalledWaitDays', 'reminderSchedule', 'incidentWaitDays', 'maxIncidentsPerCase'];

export const configSchema = z.object({
  senderEmail: email.default(CONTEXT_DEFAULTS.senderEmail),
  mrpipsEmail: email.default(CONTEXT_DEFAULTS.mrpipsEmail),
  voivodeshipAdmins: voivodeshipAdmins.default(CONTEXT_DEFAULTS.voivodeshipAdmins),
  responseTimeoutDays: waitDays.default(CONTEXT_DEFAULTS.responseTimeoutDays),
  escalateAfterReminders: numeric
    .pipe(z.number().int('must be an integer').min(1, 'must be at least 1').max(50, 'must be at most 50'))
    .default(CONTEXT_DEFAULTS.escalateAfterReminders),
  /** STALLED_AFTER_REMINDERS of notification-form; must exceed escalateAfterReminders (checked below). */
  stalledAfterReminders: numeric
    .pipe(z.number().int('must be an integer').min(2, 'must be at least 2').max(50, 'must be at most 50'))
    .default(CONTEXT_DEFAULTS.stalledAfterReminders),
  /** STALLED_WAIT_SECONDS of notification-form, in days. */
  stalledWaitDays: waitDays.default(CONTEXT_DEFAULTS.stalledWaitDays),
  /** REMINDER_SCHEDULE of notification-form (per-step overrides, lambdas/core/timing.ts). */
  reminderSchedule: reminderSchedule.optional(),
  /** INCIDENT_WAIT_SECONDS of notification-form (passed in every execution's input), in days. */
  incidentWaitDays: waitDays.default(CONTEXT_DEFAULTS.incidentWaitDays),
  /** MAX_INCIDENTS_PER_CASE of open-incident. */
  maxIncidentsPerCase: numeric
    .pipe(z.number().int('must be an integer').min(1, 'must be at least 1').max(20, 'must be at most 20'))
    .default(CONTEXT_DEFAULTS.maxIncidentsPerCase),
  /** OPERATIONS_EMAIL of open-incident: who is e-mailed about each incident (default: mrpipsEmail). */
  operationsEmail: email.optional(),
  /** NOTIFICATIONS_PER_HOUR_PER_IP of notification-form (same bounds as lambdas/core/config.ts formConfigSchema). */
  notificationsPerHourPerIp: numeric
    .pipe(z.number().int('must be an integer').min(1, 'must be at least 1').max(10_000, 'must be at most 10000'))
    .default(CONTEXT_DEFAULTS.notificationsPerHourPerIp),
  /** NOTIFICATIONS_PER_HOUR_PER_CONTACT of notification-form (same bounds as lambdas/core/config.ts formConfigSchema). */
  notificationsPerHourPerContact: numeric
    .pipe(z.number().int('must be an integer').min(1, 'must be at least 1').max(1_000, 'must be at most 1000'))
    .default(CONTEXT_DEFAULTS.notificationsPerHourPerContact),
  /** MAX_HAND_OVERS_PER_STEP of confirmation-links (same bounds as lambdas/core/config.ts stepLimitsConfigSchema). */
  maxHandOversPerStep: numeric
    .pipe(z.number().int('must be an integer').min(0, 'must be at least 0').max(20, 'must be at most 20'))
    .default(CONTEXT_DEFAULTS.maxHandOversPerStep),
  /** STATUS_LINK_DAYS_AFTER_END of case-status (same bounds as lambdas/core/config.ts statusPageConfigSchema). */
  statusLinkDaysAfterEnd: numeric
    .pipe(z.number().int('must be an integer').min(0, 'must be at least 0').max(3650, 'must be at most 3650'))
    .default(CONTEXT_DEFAULTS.statusLinkDaysAfterEnd),
  publicBaseUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  /**
   * Limit of the web ACL's rate-based rule (lib/link-pages-web-acl.ts): a person filling in the form posts it a few times
   * (errors shown, corrected); 30 in 5 minutes leaves room for an office behind one address and stops one client flooding it.
   * AWS WAF's bounds.
   */
  formPostsPerClient: numeric
    .pipe(z.number().int('must be an integer').min(10, 'must be at least 10').max(2_000_000_000, 'must be at most 2000000000'))
    .default(CONTEXT_DEFAULTS.formPostsPerClient),
  logRetentionDays: numeric
    .pipe(
      z.number().refine((v) => RETENTION_VALUES.includes(v), {
        message: `must be one of the CloudWatch Logs retention values: ${RETENTION_VALUES.join(', ')}`,
      }),
    )
    .default(CONTEXT_DEFAULTS.logRetentionDays),
  createSesIdentity: bool.default(CONTEXT_DEFAULTS.createSesIdentity),
  /** SES's maximum send rate (Service Quotas "Sending rate"; 1 in the sandbox, 14 when production access is granted, more on request). */
  sesMaxSendRate: numeric.pipe(z.number().positive('must be > 0').max(10_000, 'must be at most 10000')).default(CONTEXT_DEFAULTS.sesMaxSendRate),
  /** Subscribed by e-mail to the operations alert topic (OperationsMonitoring); must confirm the subscription. */
  opsAlertEmail: email.optional(),
  /** Accept placeholder addresses (checked below): for synths not meant for deployment only. */
  allowPlaceholderAddresses: bool.default(CONTEXT_DEFAULTS.allowPlaceholderAddresses),
}).superRefine(
  (config, ctx) => {
    if (config.stalledAfterReminders <= config.escalateAfterReminders) {
      ctx.addIssue({
        code: 'custom',
        path: ['stalledAfterReminders'],
        message: `must be greater than escalateAfterReminders (${config.escalateAfterReminders}), is ${config.stalledAfterReminders}`,
      });
      return; // every step without its own values would repeat this
    }
    const schedule = config.reminderSchedule ?? {};
    const defaults = timingDefaults(config);
    // The lambdas' own check (stepTimings throws at the first bad step): run per step to name each one.
    let scheduleValid = true;
    for (const step of STEP_IDS) {
      const override = schedule[step];
      if (!override) continue;
      try {
        stepTimings(defaults, { [step]: override });
      } catch {
        scheduleValid = false;
        const timing = { ...defaults, ...override };
        ctx.addIssue({
          code: 'custom',
          path: ['reminderSchedule', step],
          message:
            `the step's stalledAfterReminders (${timing.stalledAfterReminders}) must be greater than its escalateAfterReminders ` +
            `(${timing.escalateAfterReminders}); values the step does not set come from the context keys of the same name`,
        });
      }
    }
    // A case's life is only computed from a schedule the steps can run with (the issues above say what is wrong).
    if (!scheduleValid) return;
    const life = caseLifeOf(config);
    if (life.seconds > ONE_YEAR_SECONDS) {
      // No single key is wrong: the message names every key that makes up the figure.
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          `with this configuration a case can live ${describeLife(life)}, more than the 365 days a Step Functions Standard execution may run; ` +
          'shorten responseTimeoutDays, stalledAfterReminders, stalledWaitDays or reminderSchedule (the steps), or incidentWaitDays or maxIncidentsPerCase (the incidents)',
      });
    }
  },
  // Only when the values compared are valid themselves (their own messages say what is wrong otherwise).
  { when: (payload) => !payload.issues.some((issue) => TIMING_KEYS.includes(String(issue.path?.[0]))) },
).superRefine(
  (config, ctx) => {
    if (config.allowPlaceholderAddresses) return;
    for (const { key, what } of placeholderAddressesOf(config)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `placeholder ${what}`,
        params: { placeholder: true },
      });
    }
  },
  // Only on valid addresses and a valid opt-out (their own messages say what is wrong otherwise).
  { when: (payload) => !payload.issues.some((issue) => PLACEHOLDER_CHECK_KEYS.includes(String(issue.path?.[0]))) },
);

/** A case's worst-case life under this configuration (lambdas/core/case-life.ts). */
function caseLifeOf(config: Parameters<typeof timingDefaults>[0] & { reminderSchedule?: ReminderSchedule; incidentWaitDays: number; maxIncidentsPerCase: number }): CaseLife {
  return worstCaseLife(stepTimings(timingDefaults(config), config.reminderSchedule ?? {}), {
    incidentWaitSeconds: daysToSeconds(config.incidentWaitDays),
    maxIncidentsPerCase: config.maxIncidentsPerCase,
  });
}

const days = (seconds: number): string => `${(seconds / 86_400).toFixed(1)} days`;
export const describeLife = (life: CaseLife): string =>
  `${days(life.seconds)} (steps ${days(life.parts.steps)}, incidents ${days(life.parts.incidents)}, retries ${days(life.parts.retries)})`;

/** The procedure's timing of a step that has no overrides (lambdas/core/timing.ts StepTiming). */
function timingDefaults(config: {
  responseTimeoutDays: number;
  escalateAfterReminders: number;
  stalledAfterReminders: number;
  stalledWaitDays: number;
}): StepTiming {
  return {
    responseTimeoutSeconds: daysToSeconds(config.responseTimeoutDays),
    escalateAfterReminders: config.escalateAfterReminders,
    stalledAfterReminders: config.stalledAfterReminders,
    stalledWaitSeconds: daysToSeconds(config.stalledWaitDays),
  };
}

export type DeploymentConfig = z.output<typeof configSchema> & {
  /** responseTimeoutDays in seconds (what the lambdas and the state machines use). */
  readonly responseTimeoutSeconds: number;
  /** stalledWaitDays in seconds (STALLED_WAIT_SECONDS). */
  readonly stalledWaitSeconds: number;
  /** Every step's timing, the defaults above with reminderSchedule's overrides (what notification-form starts the procedure with). */
  readonly stepTimings: Readonly<Record<StepId, StepTiming>>;
  /** The placeholder addresses allowPlaceholderAddresses let through (none without it: they are refused). */
  readonly placeholderAddresses: readonly PlaceholderAddress[];
  /** incidentWaitDays in seconds (INCIDENT_WAIT_SECONDS). */
  readonly incidentWaitSeconds: number;
  /** Where incidents are e-mailed: operationsEmail, else mrpipsEmail. */
  readonly incidentsTo: string;
  /** The longest a case can live with this configuration (under one year, or the synth is refused). */
  readonly caseLife: CaseLife;
};

export const CONTEXT_KEYS = Object.keys(configSchema.shape) as (keyof typeof configSchema.shape)[];

export class ConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Validate raw context values. `read(key)` returns the context value or undefined
 * (e.g. `(key) => app.node.tryGetContext(key)`).
 * Throws a ConfigError naming every offending context key.
 */
export function parseConfig(read: (key: string) => unknown): DeploymentConfig {
  const raw: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = read(key);
    // `-c key=` gives an empty string: treat it as "not set".
    if (value !== undefined && value !== null && value !== '') raw[key] = value;
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const details = result.error.issues
      .map((issue) => {
        const [key, ...rest] = issue.path.map(String);
        const where = key === undefined ? 'the context together' : rest.length > 0 ? `context "${key}" (at ${rest.join('.')})` : `context "${key}"`;
        return `  - ${where}: ${issue.message}`;
      })
      .join('\n');
    const hint = result.error.issues.some((issue) => issue.code === 'custom' && issue.params?.placeholder === true) ? `\n${PLACEHOLDER_HINT}` : '';
    throw new ConfigError(`Invalid CDK context:\n${details}${hint}`);
  }
  const config = result.data;
  return {
    ...config,
    responseTimeoutSeconds: daysToSeconds(config.responseTimeoutDays),
    stalledWaitSeconds: daysToSeconds(config.stalledWaitDays),
    stepTimings: stepTimings(timingDefaults(config), config.reminderSchedule ?? {}),
    incidentWaitSeconds: daysToSeconds(config.incidentWaitDays),
    incidentsTo: config.operationsEmail ?? config.mrpipsEmail,
    caseLife: caseLifeOf(config),
    placeholderAddresses: placeholderAddressesOf(config),
  };
}
