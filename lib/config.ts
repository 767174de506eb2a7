import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';

/**
 * Deployment configuration, read from CDK context (`cdk.json` "context", or `cdk synth -c key=value`).
 *
 * Values given with `-c` on the command line arrive as strings, so numbers, booleans and the
 * voivodeship map are also accepted in their string / JSON form.
 *
 * | key                    | default                                   |
 * |------------------------|-------------------------------------------|
 * | senderEmail            | no-reply@zmiana-sd.example.gov.pl         |
 * | mrpipsEmail            | sekretariat.di@mrpips.gov.pl              |
 * | voivodeshipAdmins      | placeholders administrator.mzt.<code>@example.gov.pl — MUST be set for production |
 * | responseTimeoutDays    | 7                                         |
 * | escalateAfterReminders | 2                                         |
 * | notificationsPerHourPerIp | 20 (accepted notifications per client address per hour, 1..10000) |
 * | publicBaseUrl          | (unset: the HTTP API endpoint)            |
 * | logRetentionDays       | 90 (one of the CloudWatch Logs retention values) |
 * | createSesIdentity      | false                                     |
 * | opsAlertEmail          | (unset: no subscription to the ops alert topic, and a synth warning) |
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
  notificationsPerHourPerIp: 20,
  logRetentionDays: 90,
  createSesIdentity: false,
} as const;

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

export const configSchema = z.object({
  senderEmail: email.default(CONTEXT_DEFAULTS.senderEmail),
  mrpipsEmail: email.default(CONTEXT_DEFAULTS.mrpipsEmail),
  voivodeshipAdmins: voivodeshipAdmins.default(CONTEXT_DEFAULTS.voivodeshipAdmins),
  responseTimeoutDays: numeric
    .pipe(z.number().positive('must be > 0').max(365, 'must be at most 365'))
    .default(CONTEXT_DEFAULTS.responseTimeoutDays),
  escalateAfterReminders: numeric
    .pipe(z.number().int('must be an integer').min(1, 'must be at least 1').max(50, 'must be at most 50'))
    .default(CONTEXT_DEFAULTS.escalateAfterReminders),
  /** NOTIFICATIONS_PER_HOUR_PER_IP of notification-form (same bounds as lambdas/core/config.ts formConfigSchema). */
  notificationsPerHourPerIp: numeric
    .pipe(z.number().int('must be an integer').min(1, 'must be at least 1').max(10_000, 'must be at most 10000'))
    .default(CONTEXT_DEFAULTS.notificationsPerHourPerIp),
  publicBaseUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .transform((url) => url.replace(/\/+$/, ''))
    .optional(),
  logRetentionDays: numeric
    .pipe(
      z.number().refine((v) => RETENTION_VALUES.includes(v), {
        message: `must be one of the CloudWatch Logs retention values: ${RETENTION_VALUES.join(', ')}`,
      }),
    )
    .default(CONTEXT_DEFAULTS.logRetentionDays),
  createSesIdentity: bool.default(CONTEXT_DEFAULTS.createSesIdentity),
  /** Subscribed by e-mail to the operations alert topic (OperationsMonitoring); must confirm the subscription. */
  opsAlertEmail: email.optional(),
});

export type DeploymentConfig = z.output<typeof configSchema> & {
  /** responseTimeoutDays in seconds (what the lambdas and the state machines use). */
  readonly responseTimeoutSeconds: number;
  /** True while any voivodeship admin address is still a placeholder. */
  readonly usesPlaceholderAdmins: boolean;
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
        const where = rest.length > 0 ? `context "${key}" (at ${rest.join('.')})` : `context "${key}"`;
        return `  - ${where}: ${issue.message}`;
      })
      .join('\n');
    throw new ConfigError(`Invalid CDK context:\n${details}`);
  }
  const config = result.data;
  return {
    ...config,
    responseTimeoutSeconds: Math.max(1, Math.round(config.responseTimeoutDays * 86_400)),
    usesPlaceholderAdmins: VOIVODESHIP_CODES.some(
      (code) => config.voivodeshipAdmins[code] === placeholderAdminEmail(code),
    ),
  };
}
