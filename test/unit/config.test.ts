import { stepTimings } from '../../lambdas/core/timing.js';
import { describe, expect, it } from 'vitest';
import { formConfigSchema, mailConfigSchema, parseConfig, sesConfigSchema, stepLimitsConfigSchema, tableConfigSchema } from '../../lambdas/core/config.js';
import { VOIVODESHIP_CODES } from '../../lambdas/core/voivodeships.js';

const ADMINS = Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, `Administrator.MZT.${code}@UW.gov.pl`]));
const MAIL_ENV = {
  MRPIPS_EMAIL: 'sekretariat.di@mrpips.gov.pl',
  VOIVODESHIP_ADMINS: JSON.stringify(ADMINS),
  PUBLIC_BASE_URL: 'https://zmiana-sd.mrpips.gov.pl/',
};

function configError(schema: Parameters<typeof parseConfig>[0], env: Record<string, string | undefined>): string {
  try {
    parseConfig(schema, env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('mail configuration', () => {
  it('GIVEN all 16 voivodeship administrators THEN they are read (lower-cased) and the base URL loses its trailing slash', () => {
    const config = parseConfig(mailConfigSchema, MAIL_ENV);
    expect(Object.keys(config.VOIVODESHIP_ADMINS).sort()).toEqual([...VOIVODESHIP_CODES].sort());
    expect(config.VOIVODESHIP_ADMINS['14']).toBe('administrator.mzt.14@uw.gov.pl');
    expect(config.PUBLIC_BASE_URL).toBe('https://zmiana-sd.mrpips.gov.pl');
  });

  it.each(VOIVODESHIP_CODES)('GIVEN VOIVODESHIP_ADMINS without %s THEN the error names the variable and the missing code', (code) => {
    const { [code]: _missing, ...rest } = ADMINS;
    expect(configError(mailConfigSchema, { ...MAIL_ENV, VOIVODESHIP_ADMINS: JSON.stringify(rest) })).toMatch(new RegExp(`^Invalid configuration: VOIVODESHIP_ADMINS\\.${code}: `));
  });

  it('GIVEN a code that is not a voivodeship (03) THEN VOIVODESHIP_ADMINS is refused', () => {
    expect(configError(mailConfigSchema, { ...MAIL_ENV, VOIVODESHIP_ADMINS: JSON.stringify({ ...ADMINS, '03': 'x@uw.gov.pl' }) })).toContain('VOIVODESHIP_ADMINS');
  });

  it('GIVEN an administrator address that is not an e-mail THEN the error names VOIVODESHIP_ADMINS and the code', () => {
    expect(configError(mailConfigSchema, { ...MAIL_ENV, VOIVODESHIP_ADMINS: JSON.stringify({ ...ADMINS, '24': 'nie-email' }) })).toContain('VOIVODESHIP_ADMINS.24');
  });

  it('GIVEN VOIVODESHIP_ADMINS that is not JSON THEN the error says it must be JSON', () => {
    expect(configError(mailConfigSchema, { ...MAIL_ENV, VOIVODESHIP_ADMINS: '02=a@b.pl' })).toBe('Invalid configuration: VOIVODESHIP_ADMINS: must be JSON');
  });

  it.each([
    ['MRPIPS_EMAIL', ''],
    ['PUBLIC_BASE_URL', 'zmiana-sd.mrpips.gov.pl'],
    ['VOIVODESHIP_ADMINS', undefined],
  ])('GIVEN %s = %j THEN the error names that variable', (name, value) => {
    expect(configError(mailConfigSchema, { ...MAIL_ENV, [name]: value })).toMatch(new RegExp(`^Invalid configuration: ${name}: `));
  });
});

describe("send-email's SES configuration", () => {
  const SES_ENV = { SENDER_EMAIL: 'no-reply@zmiana-sd.mrpips.gov.pl', SES_CONFIGURATION_SET: 'zmiana-sd-Outbox_1', SEND_RATE_PER_SECOND: '7' };

  it('GIVEN the sender, the configuration set and the rate THEN they are read (the rate as a number)', () => {
    expect(parseConfig(sesConfigSchema, SES_ENV)).toEqual({ SENDER_EMAIL: 'no-reply@zmiana-sd.mrpips.gov.pl', SES_CONFIGURATION_SET: 'zmiana-sd-Outbox_1', SEND_RATE_PER_SECOND: 7 });
  });

  it.each([
    ['SENDER_EMAIL', 'no-reply'],
    ['SES_CONFIGURATION_SET', 'zły zestaw'],
    ['SEND_RATE_PER_SECOND', '0'],
    ['SEND_RATE_PER_SECOND', undefined],
  ])('GIVEN %s = %j THEN the error names that variable', (name, value) => {
    expect(configError(sesConfigSchema, { ...SES_ENV, [name]: value })).toMatch(new RegExp(`^Invalid configuration: ${name}: `));
  });
});

describe('table and form configuration', () => {
  it('GIVEN no TABLE_NAME THEN the error names it', () => {
    expect(configError(tableConfigSchema, {})).toMatch(/^Invalid configuration: TABLE_NAME: /);
  });

  it('GIVEN the form environment THEN timing is read as numbers', () => {
    const config = parseConfig(formConfigSchema, { TABLE_NAME: 't', PROCEDURE_STATE_MACHINE_ARN: 'arn:sm', PUBLIC_BASE_URL: 'https://zmiana-sd.example.gov.pl', RESPONSE_TIMEOUT_SECONDS: '604800', ESCALATE_AFTER_REMINDERS: '2' });
    expect(config).toEqual({
      TABLE_NAME: 't',
      PROCEDURE_STATE_MACHINE_ARN: 'arn:sm',
      RESPONSE_TIMEOUT_SECONDS: 604_800,
      ESCALATE_AFTER_REMINDERS: 2,
      NOTIFICATIONS_PER_HOUR_PER_IP: 20,
      NOTIFICATIONS_PER_HOUR_PER_CONTACT: 5,
      PUBLIC_BASE_URL: 'https://zmiana-sd.example.gov.pl',
      STALLED_AFTER_REMINDERS: 3,
      STALLED_WAIT_SECONDS: 7 * 86_400,
      REMINDER_SCHEDULE: {},
      INCIDENT_WAIT_SECONDS: 7 * 86_400,
    });
  });

  it('GIVEN a per-step reminder schedule THEN it is parsed, and a step whose final deadline comes before its escalation is refused', () => {
    const base = { TABLE_NAME: 't', PROCEDURE_STATE_MACHINE_ARN: 'arn:sm', RESPONSE_TIMEOUT_SECONDS: '600', ESCALATE_AFTER_REMINDERS: '2', PUBLIC_BASE_URL: 'https://zmiana-sd.example.gov.pl' };
    const config = parseConfig(formConfigSchema, { ...base, REMINDER_SCHEDULE: '{"MZT_DEACTIVATED":{"responseTimeoutSeconds":259200}}' });
    expect(config.REMINDER_SCHEDULE).toEqual({ MZT_DEACTIVATED: { responseTimeoutSeconds: 259_200 } });
    const timings = stepTimings({ responseTimeoutSeconds: 600, escalateAfterReminders: 2, stalledAfterReminders: 4, stalledWaitSeconds: 3600 }, config.REMINDER_SCHEDULE);
    expect(timings.MZT_DEACTIVATED.responseTimeoutSeconds).toBe(259_200);
    expect(timings.AGREE_VARIANT.responseTimeoutSeconds).toBe(600);
    expect(() => parseConfig(formConfigSchema, { ...base, REMINDER_SCHEDULE: '{"NO_SUCH_STEP":{}}' })).toThrow(/REMINDER_SCHEDULE/);
    expect(() => parseConfig(formConfigSchema, { ...base, REMINDER_SCHEDULE: 'not json' })).toThrow(/REMINDER_SCHEDULE: must be a JSON object/);
    expect(() => stepTimings({ responseTimeoutSeconds: 600, escalateAfterReminders: 2, stalledAfterReminders: 4, stalledWaitSeconds: 3600 }, { VERIFY_COLLECTIONS: { escalateAfterReminders: 5 } })).toThrow(/VERIFY_COLLECTIONS: stalledAfterReminders \(4\) must be greater than escalateAfterReminders \(5\)/);
  });

  it('GIVEN NOTIFICATIONS_PER_HOUR_PER_IP THEN it is read as a number', () => {
    const config = parseConfig(formConfigSchema, { TABLE_NAME: 't', PROCEDURE_STATE_MACHINE_ARN: 'arn:sm', PUBLIC_BASE_URL: 'https://zmiana-sd.example.gov.pl', RESPONSE_TIMEOUT_SECONDS: '600', ESCALATE_AFTER_REMINDERS: '2', NOTIFICATIONS_PER_HOUR_PER_IP: '5' });
    expect(config.NOTIFICATIONS_PER_HOUR_PER_IP).toBe(5);
  });

  it.each([
    ['RESPONSE_TIMEOUT_SECONDS', '0'],
    ['RESPONSE_TIMEOUT_SECONDS', 'week'],
    ['ESCALATE_AFTER_REMINDERS', '1.5'],
    ['ESCALATE_AFTER_REMINDERS', '51'],
    ['PROCEDURE_STATE_MACHINE_ARN', ''],
    ['NOTIFICATIONS_PER_HOUR_PER_IP', '0'],
    ['NOTIFICATIONS_PER_HOUR_PER_IP', '10001'],
    ['NOTIFICATIONS_PER_HOUR_PER_IP', '2.5'],
    ['NOTIFICATIONS_PER_HOUR_PER_IP', 'dużo'],
  ])('GIVEN %s = %j THEN the error names that variable', (name, value) => {
    const env = { TABLE_NAME: 't', PROCEDURE_STATE_MACHINE_ARN: 'arn:sm', RESPONSE_TIMEOUT_SECONDS: '600', ESCALATE_AFTER_REMINDERS: '2', [name]: value };
    expect(configError(formConfigSchema, env)).toMatch(new RegExp(`^Invalid configuration: ${name}: `));
  });
});

describe('the bounds of the loops people drive on one step', () => {
  it('GIVEN nothing set THEN 3 hand-overs through the link, 10 reassignments and 5 resends by MRPiPS', () => {
    expect(parseConfig(stepLimitsConfigSchema, {})).toEqual({ MAX_HAND_OVERS_PER_STEP: 3, MAX_REASSIGNMENTS_PER_STEP: 10, MAX_RESENDS_PER_STEP: 5 });
  });

  it('GIVEN values THEN they are read as numbers (0 turns the loop off)', () => {
    expect(parseConfig(stepLimitsConfigSchema, { MAX_HAND_OVERS_PER_STEP: '0', MAX_REASSIGNMENTS_PER_STEP: '50', MAX_RESENDS_PER_STEP: '1' })).toEqual({ MAX_HAND_OVERS_PER_STEP: 0, MAX_REASSIGNMENTS_PER_STEP: 50, MAX_RESENDS_PER_STEP: 1 });
  });

  it.each([
    ['MAX_HAND_OVERS_PER_STEP', '21'],
    ['MAX_HAND_OVERS_PER_STEP', '-1'],
    ['MAX_REASSIGNMENTS_PER_STEP', '51'],
    ['MAX_RESENDS_PER_STEP', '2.5'],
    ['MAX_RESENDS_PER_STEP', 'wiele'],
  ])('GIVEN %s = %j THEN the error names that variable (no loop is unbounded)', (name, value) => {
    expect(configError(stepLimitsConfigSchema, { [name]: value })).toMatch(new RegExp(`^Invalid configuration: ${name}: `));
  });
});
