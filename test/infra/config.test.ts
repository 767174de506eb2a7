import { describe, expect, it } from 'vitest';
import { formConfigSchema, mailConfigSchema, parseConfig as parseLambdaConfig, timingConfigSchema } from '../../lambdas/core/config.js';
import { VOIVODESHIP_CODES as LAMBDA_VOIVODESHIP_CODES } from '../../lambdas/core/voivodeships.js';
import { CONTEXT_DEFAULTS, parseConfig, placeholderAdminEmail, VOIVODESHIP_CODES } from '../../lib/config.js';

const fromContext = (context: Record<string, unknown>) => parseConfig((key) => context[key]);
const realAdmins = Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, `mzt.${code}@uw.gov.pl`]));

describe('parseConfig (CDK context)', () => {
  it('falls back to the documented defaults', () => {
    // WHEN
    const config = fromContext({});
    // THEN
    expect(config).toMatchObject({
      senderEmail: 'no-reply@zmiana-sd.example.gov.pl',
      mrpipsEmail: 'sekretariat.di@mrpips.gov.pl',
      responseTimeoutDays: 7,
      responseTimeoutSeconds: 604_800,
      escalateAfterReminders: 2,
      notificationsPerHourPerIp: 20,
      logRetentionDays: 90,
      createSesIdentity: false,
      usesPlaceholderAdmins: true,
    });
    expect(config.publicBaseUrl).toBeUndefined();
    expect(config.opsAlertEmail).toBeUndefined();
    expect(Object.keys(config.voivodeshipAdmins).sort()).toEqual([...VOIVODESHIP_CODES]);
    expect(config.voivodeshipAdmins['02']).toBe('administrator.mzt.02@example.gov.pl');
  });

  it('accepts the string forms `cdk -c key=value` produces', () => {
    // WHEN
    const config = fromContext({
      responseTimeoutDays: '14',
      escalateAfterReminders: '3',
      notificationsPerHourPerIp: '5',
      logRetentionDays: '365',
      createSesIdentity: 'true',
      publicBaseUrl: 'https://zmiana-sd.mrpips.gov.pl/',
      voivodeshipAdmins: JSON.stringify(realAdmins),
      senderEmail: ' Powiadomienia@Zmiana-SD.mrpips.gov.pl ',
      opsAlertEmail: 'Dyzur.IT@mrpips.gov.pl',
    });
    // THEN
    expect(config).toMatchObject({
      responseTimeoutSeconds: 14 * 86_400,
      escalateAfterReminders: 3,
      notificationsPerHourPerIp: 5,
      logRetentionDays: 365,
      createSesIdentity: true,
      publicBaseUrl: 'https://zmiana-sd.mrpips.gov.pl',
      senderEmail: 'powiadomienia@zmiana-sd.mrpips.gov.pl',
      voivodeshipAdmins: realAdmins,
      usesPlaceholderAdmins: false,
      opsAlertEmail: 'dyzur.it@mrpips.gov.pl',
    });
  });

  it('accepts a fraction of a day as the response timeout (short timeouts for a test deployment)', () => {
    expect(fromContext({ responseTimeoutDays: 0.01 }).responseTimeoutSeconds).toBe(864);
  });

  it.each([
    ['senderEmail', 'not-an-address', 'must be an e-mail address'],
    ['mrpipsEmail', 42, 'must be an e-mail address'],
    ['voivodeshipAdmins', '{"02":"a@b.pl"}', 'is missing'],
    ['voivodeshipAdmins', 'not json', 'must be an object'],
    ['voivodeshipAdmins', { ...realAdmins, '34': 'x@y.pl' }, 'must be an object'],
    ['voivodeshipAdmins', { ...realAdmins, '14': 'nope' }, 'must be an e-mail address'],
    ['responseTimeoutDays', 'seven', 'must be a number'],
    ['responseTimeoutDays', 0, 'must be > 0'],
    ['escalateAfterReminders', 0, 'must be at least 1'],
    ['escalateAfterReminders', '1.5', 'must be an integer'],
    ['notificationsPerHourPerIp', 'many', 'must be a number'],
    ['notificationsPerHourPerIp', 0, 'must be at least 1'],
    ['notificationsPerHourPerIp', '2.5', 'must be an integer'],
    ['notificationsPerHourPerIp', 10_001, 'must be at most 10000'],
    ['publicBaseUrl', 'ftp://example.gov.pl', 'must be an http(s) URL'],
    ['logRetentionDays', 2, 'must be one of the CloudWatch Logs retention values'],
    ['createSesIdentity', 'yes', 'must be true or false'],
    ['opsAlertEmail', 'ops team', 'must be an e-mail address'],
  ])('rejects %s = %j naming the key', (key, value, message) => {
    // WHEN / THEN
    expect(() => fromContext({ [key]: value })).toThrowError(new RegExp(`context "${key}".*${message.replace(/[().]/g, '\\$&')}`));
  });

  it('reports every bad key at once', () => {
    expect(() => fromContext({ senderEmail: 'x', logRetentionDays: 2 })).toThrowError(/senderEmail[\s\S]*logRetentionDays/);
  });
});

describe('context values meet the lambdas\' own configuration schemas (lambdas/core/config.ts)', () => {
  it('uses the same 16 voivodeship codes as the lambdas', () => {
    expect([...LAMBDA_VOIVODESHIP_CODES].sort()).toEqual([...VOIVODESHIP_CODES]);
  });

  it.each([
    ['defaults', {}],
    ['explicit context', { voivodeshipAdmins: realAdmins, senderEmail: 'powiadomienia@zmiana-sd.mrpips.gov.pl', responseTimeoutDays: 30, escalateAfterReminders: 5, notificationsPerHourPerIp: 10_000 }],
    ['smallest limit', { notificationsPerHourPerIp: 1 }],
  ])('%s: mail and form environments parse', (_label, context) => {
    // GIVEN the values the stack puts into the environment (see ProcedureFunction bind helpers)
    const config = fromContext(context);
    const mailEnv = {
      SENDER_EMAIL: config.senderEmail,
      MRPIPS_EMAIL: config.mrpipsEmail,
      VOIVODESHIP_ADMINS: JSON.stringify(config.voivodeshipAdmins),
      PUBLIC_BASE_URL: 'https://abc123.execute-api.eu-central-1.amazonaws.com',
    };
    const formEnv = {
      TABLE_NAME: 'Cases',
      PROCEDURE_STATE_MACHINE_ARN: 'arn:aws:states:eu-central-1:123456789012:stateMachine:procedure',
      RESPONSE_TIMEOUT_SECONDS: String(config.responseTimeoutSeconds),
      ESCALATE_AFTER_REMINDERS: String(config.escalateAfterReminders),
      NOTIFICATIONS_PER_HOUR_PER_IP: String(config.notificationsPerHourPerIp),
    };
    // WHEN / THEN
    expect(() => parseLambdaConfig(mailConfigSchema, mailEnv)).not.toThrow();
    expect(parseLambdaConfig(formConfigSchema, formEnv).NOTIFICATIONS_PER_HOUR_PER_IP).toBe(config.notificationsPerHourPerIp);
    expect(() => parseLambdaConfig(timingConfigSchema, formEnv)).not.toThrow();
  });

  it('uses the lambdas\' default for the per-address limit', () => {
    // GIVEN the form environment without the limit
    const env = { TABLE_NAME: 'Cases', PROCEDURE_STATE_MACHINE_ARN: 'arn', RESPONSE_TIMEOUT_SECONDS: '60', ESCALATE_AFTER_REMINDERS: '2' };
    // THEN
    expect(parseLambdaConfig(formConfigSchema, env).NOTIFICATIONS_PER_HOUR_PER_IP).toBe(CONTEXT_DEFAULTS.notificationsPerHourPerIp);
  });

  it('keeps the placeholder admin addresses valid e-mail addresses', () => {
    for (const code of VOIVODESHIP_CODES) expect(CONTEXT_DEFAULTS.voivodeshipAdmins[code]).toBe(placeholderAdminEmail(code));
  });
});
