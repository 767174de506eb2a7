import { describe, expect, it } from 'vitest';
import { ONE_YEAR_SECONDS, worstCaseLife } from '../../lambdas/core/case-life.js';
import { formConfigSchema, incidentConfigSchema, mailConfigSchema, parseConfig as parseLambdaConfig, statusPageConfigSchema, stepLimitsConfigSchema, timingConfigSchema } from '../../lambdas/core/config.js';
import { VOIVODESHIP_CODES as LAMBDA_VOIVODESHIP_CODES } from '../../lambdas/core/voivodeships.js';
import { STEP_IDS } from '../../lambdas/core/steps.js';
import { stepTimings } from '../../lambdas/core/timing.js';
import { CONTEXT_DEFAULTS, describeLife, isReservedAddress, MAX_WAIT_DAYS, parseConfig, placeholderAdminEmail, VOIVODESHIP_CODES } from '../../lib/config.js';

/** The context as a synth meant for deployment reads it: placeholder addresses are refused. */
const asDeployed = (context: Record<string, unknown>) => parseConfig((key) => context[key]);
/** With placeholder addresses allowed, as the tests' synths run: for the checks of the other keys. */
const fromContext = (context: Record<string, unknown>) => asDeployed({ allowPlaceholderAddresses: true, ...context });
const realAdmins = Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, `mzt.${code}@uw.gov.pl`]));
const DAY = 86_400;
/** The message of a refused configuration (empty when it is accepted). */
const refusal = (context: Record<string, unknown>, parse = fromContext): string => {
  try {
    parse(context);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
};
/** The one-year check's line, whatever the figure. */
const LIFE_REFUSAL = /^ {2}- the context together: with this configuration a case can live [\d.]+ days \(steps [\d.]+ days, incidents [\d.]+ days, retries [\d.]+ days\), more than the 365 days a Step Functions Standard execution may run; shorten responseTimeoutDays, stalledAfterReminders, stalledWaitDays or reminderSchedule \(the steps\), or incidentWaitDays or maxIncidentsPerCase \(the incidents\)$/m;

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
      stalledAfterReminders: 3,
      stalledWaitDays: 7,
      stalledWaitSeconds: 7 * 86_400,
      incidentWaitDays: 7,
      incidentWaitSeconds: 7 * 86_400,
      maxIncidentsPerCase: 3,
      incidentsTo: 'sekretariat.di@mrpips.gov.pl',
      notificationsPerHourPerIp: 20,
      maxHandOversPerStep: 3,
      statusLinkDaysAfterEnd: 30,
      logRetentionDays: 90,
      createSesIdentity: false,
      allowPlaceholderAddresses: true,
      placeholderAddresses: [
        { key: 'senderEmail', what: 'address no-reply@zmiana-sd.example.gov.pl' },
        { key: 'voivodeshipAdmins', what: `addresses for voivodeships ${VOIVODESHIP_CODES.join(', ')}` },
      ],
    });
    expect(config.publicBaseUrl).toBeUndefined();
    expect(config.opsAlertEmail).toBeUndefined();
    expect(config.reminderSchedule).toBeUndefined();
    expect(config.operationsEmail).toBeUndefined();
    for (const step of STEP_IDS) {
      expect(config.stepTimings[step], step).toEqual({
        responseTimeoutSeconds: 604_800,
        escalateAfterReminders: 2,
        stalledAfterReminders: 3,
        stalledWaitSeconds: 604_800,
      });
    }
    // a case with the defaults ends within a Standard execution's year
    expect(config.caseLife.seconds).toBeLessThan(ONE_YEAR_SECONDS);
    expect(Object.keys(config.voivodeshipAdmins).sort()).toEqual([...VOIVODESHIP_CODES]);
    expect(config.voivodeshipAdmins['02']).toBe('administrator.mzt.02@example.gov.pl');
  });

  it('accepts the string forms `cdk -c key=value` produces (as deployed: every address real)', () => {
    // WHEN
    const config = asDeployed({
      // short waits: a case with 6 reminders a step must still end within a year
      responseTimeoutDays: '2',
      escalateAfterReminders: '3',
      stalledAfterReminders: '6',
      stalledWaitDays: '10',
      incidentWaitDays: '3',
      maxIncidentsPerCase: '2',
      operationsEmail: ' Dyzur.Procedura@MRPiPS.gov.pl ',
      reminderSchedule: '{"MZT_DEACTIVATED":{"responseTimeoutSeconds":259200,"stalledAfterReminders":8}}',
      notificationsPerHourPerIp: '5',
      maxHandOversPerStep: '1',
      statusLinkDaysAfterEnd: '90',
      logRetentionDays: '365',
      createSesIdentity: 'true',
      publicBaseUrl: 'https://zmiana-sd.mrpips.gov.pl/',
      voivodeshipAdmins: JSON.stringify(realAdmins),
      senderEmail: ' Powiadomienia@Zmiana-SD.mrpips.gov.pl ',
      opsAlertEmail: 'Dyzur.IT@mrpips.gov.pl',
    });
    // THEN
    expect(config).toMatchObject({
      responseTimeoutSeconds: 2 * 86_400,
      escalateAfterReminders: 3,
      stalledAfterReminders: 6,
      stalledWaitSeconds: 10 * 86_400,
      incidentWaitSeconds: 3 * 86_400,
      maxIncidentsPerCase: 2,
      incidentsTo: 'dyzur.procedura@mrpips.gov.pl',
      reminderSchedule: { MZT_DEACTIVATED: { responseTimeoutSeconds: 259_200, stalledAfterReminders: 8 } },
      notificationsPerHourPerIp: 5,
      maxHandOversPerStep: 1,
      statusLinkDaysAfterEnd: 90,
      logRetentionDays: 365,
      createSesIdentity: true,
      publicBaseUrl: 'https://zmiana-sd.mrpips.gov.pl',
      senderEmail: 'powiadomienia@zmiana-sd.mrpips.gov.pl',
      voivodeshipAdmins: realAdmins,
      allowPlaceholderAddresses: false,
      placeholderAddresses: [],
      opsAlertEmail: 'dyzur.it@mrpips.gov.pl',
    });
  });

  it('accepts a fraction of a day as the response timeout and stalled wait (short timeouts for a test deployment)', () => {
    const config = fromContext({ responseTimeoutDays: 0.01, stalledWaitDays: '0.5' });
    expect(config.responseTimeoutSeconds).toBe(864);
    expect(config.stalledWaitSeconds).toBe(43_200);
  });

  it('accepts waits up to 200 days (what the lambdas accept: 17,280,000 s)', () => {
    // GIVEN the incident wait at the bound, in a configuration whose case still ends within a year
    const config = fromContext({ incidentWaitDays: '200', maxIncidentsPerCase: 1, responseTimeoutDays: 0.1, stalledWaitDays: 0.1 });
    expect(config.incidentWaitSeconds).toBe(17_280_000);
    // A step's response timeout or stalled wait of 200 days can no longer end within a year (every step on the path
    // waits it), so for those the bound shows in which check refuses: at 200 days the year alone, never the field.
    for (const key of ['responseTimeoutDays', 'stalledWaitDays']) {
      const message = refusal({ [key]: '200' });
      expect(message, key).toMatch(LIFE_REFUSAL);
      expect(message, key).not.toContain(`context "${key}"`);
    }
  });

  it.each(['responseTimeoutDays', 'stalledWaitDays', 'incidentWaitDays'])('refuses %s past 200 days by the field alone (the year is judged on valid values only)', (key) => {
    expect(refusal({ [key]: 200.5 })).toBe(`Invalid CDK context:\n  - context "${key}": must be at most 200`);
  });

  it('accepts a later escalation together with a later stall', () => {
    // (with short timeouts: six reminders a step at the default 7 days would pass a year)
    expect(fromContext({ escalateAfterReminders: 5, stalledAfterReminders: 6, responseTimeoutDays: 2 })).toMatchObject({ escalateAfterReminders: 5, stalledAfterReminders: 6 });
  });

  it('takes reminderSchedule as an object too, and fills each step from the context defaults', () => {
    // WHEN
    const config = fromContext({
      responseTimeoutDays: 2,
      escalateAfterReminders: 3,
      stalledAfterReminders: 5,
      reminderSchedule: { AGREE_VARIANT: { escalateAfterReminders: 1, stalledAfterReminders: 2 }, MZT_DEACTIVATED: { responseTimeoutSeconds: 3_600 } },
    });
    // THEN
    expect(config.reminderSchedule).toEqual({
      AGREE_VARIANT: { escalateAfterReminders: 1, stalledAfterReminders: 2 },
      MZT_DEACTIVATED: { responseTimeoutSeconds: 3_600 },
    });
    expect(config.stepTimings.AGREE_VARIANT).toEqual({ responseTimeoutSeconds: 172_800, escalateAfterReminders: 1, stalledAfterReminders: 2, stalledWaitSeconds: 604_800 });
    expect(config.stepTimings.MZT_DEACTIVATED).toEqual({ responseTimeoutSeconds: 3_600, escalateAfterReminders: 3, stalledAfterReminders: 5, stalledWaitSeconds: 604_800 });
    expect(config.stepTimings.CONFIRM_CONTACT).toEqual({ responseTimeoutSeconds: 172_800, escalateAfterReminders: 3, stalledAfterReminders: 5, stalledWaitSeconds: 604_800 });
  });

  it('lets a step override the default escalation as long as the step still stalls later', () => {
    // GIVEN escalation after 3 and stall after 5 by default; the step escalates after 4 (still < 5)
    const config = fromContext({ responseTimeoutDays: 2, escalateAfterReminders: 3, stalledAfterReminders: 5, reminderSchedule: '{"NEW_COLLECTIONS":{"escalateAfterReminders":4}}' });
    // THEN
    expect(config.stepTimings.NEW_COLLECTIONS).toMatchObject({ escalateAfterReminders: 4, stalledAfterReminders: 5 });
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
    ['responseTimeoutDays', 201, 'must be at most 200'],
    ['responseTimeoutDays', '365', 'must be at most 200'],
    ['escalateAfterReminders', 0, 'must be at least 1'],
    ['escalateAfterReminders', '1.5', 'must be an integer'],
    ['escalateAfterReminders', 51, 'must be at most 50'],
    ['stalledAfterReminders', 'four', 'must be a number'],
    ['stalledAfterReminders', 1, 'must be at least 2'],
    ['stalledAfterReminders', '4.5', 'must be an integer'],
    ['stalledAfterReminders', 51, 'must be at most 50'],
    ['stalledAfterReminders', 2, 'must be greater than escalateAfterReminders (2), is 2'],
    ['stalledWaitDays', 'half a year', 'must be a number'],
    ['stalledWaitDays', 0, 'must be > 0'],
    ['stalledWaitDays', '-1', 'must be > 0'],
    ['stalledWaitDays', 200.5, 'must be at most 200'],
    ['reminderSchedule', 'not json', 'must be a JSON object of per-step overrides'],
    ['reminderSchedule', '[1]', 'must be a JSON object of per-step overrides'],
    ['reminderSchedule', 7, 'must be a JSON object of per-step overrides'],
    ['reminderSchedule', { FOO: {} }, 'unknown step id "FOO" (step ids: CONFIRM_CONTACT, '],
    ['reminderSchedule', { MZT_DEACTIVATED: 3 }, '(at MZT_DEACTIVATED): must be an object with any of responseTimeoutSeconds'],
    ['reminderSchedule', { MZT_DEACTIVATED: { responseTimeoutDays: 3 } }, '(at MZT_DEACTIVATED): unknown override "responseTimeoutDays"'],
    ['reminderSchedule', '{"AGREE_VARIANT":{"responseTimeoutSeconds":0}}', '(at AGREE_VARIANT.responseTimeoutSeconds): must be at least 1'],
    ['reminderSchedule', { AGREE_VARIANT: { responseTimeoutSeconds: 17_280_001 } }, 'must be at most 17280000'],
    ['reminderSchedule', { AGREE_VARIANT: { responseTimeoutSeconds: 1.5 } }, 'must be an integer'],
    ['reminderSchedule', { AGREE_VARIANT: { escalateAfterReminders: 51 } }, 'must be at most 50'],
    ['reminderSchedule', { AGREE_VARIANT: { stalledAfterReminders: 2 } }, '(at AGREE_VARIANT): the step\'s stalledAfterReminders (2) must be greater than its escalateAfterReminders (2)'],
    ['reminderSchedule', { AGREE_VARIANT: { escalateAfterReminders: 4 } }, 'the step\'s stalledAfterReminders (3) must be greater than its escalateAfterReminders (4)'],
    ['incidentWaitDays', 'a week', 'must be a number'],
    ['incidentWaitDays', 0, 'must be > 0'],
    ['incidentWaitDays', '201', 'must be at most 200'],
    ['maxIncidentsPerCase', 0, 'must be at least 1'],
    ['maxIncidentsPerCase', '2.5', 'must be an integer'],
    ['maxIncidentsPerCase', 21, 'must be at most 20'],
    ['operationsEmail', 'operations', 'must be an e-mail address'],
    ['notificationsPerHourPerIp', 'many', 'must be a number'],
    ['notificationsPerHourPerIp', 0, 'must be at least 1'],
    ['notificationsPerHourPerIp', '2.5', 'must be an integer'],
    ['notificationsPerHourPerIp', 10_001, 'must be at most 10000'],
    ['maxHandOversPerStep', -1, 'must be at least 0'],
    ['maxHandOversPerStep', '1.5', 'must be an integer'],
    ['maxHandOversPerStep', 21, 'must be at most 20'],
    ['statusLinkDaysAfterEnd', -1, 'must be at least 0'],
    ['statusLinkDaysAfterEnd', '7.5', 'must be an integer'],
    ['statusLinkDaysAfterEnd', 3651, 'must be at most 3650'],
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

  it('asks for a later stall when only the escalation is moved past the default stall (3)', () => {
    expect(() => fromContext({ escalateAfterReminders: 3 })).toThrowError(
      'context "stalledAfterReminders": must be greater than escalateAfterReminders (3), is 3',
    );
  });

  it('compares escalation and stall only when both are valid themselves', () => {
    // WHEN / THEN only the bad value is reported, not the comparison
    let message = '';
    try {
      fromContext({ escalateAfterReminders: 60, stalledAfterReminders: 3, reminderSchedule: { AGREE_VARIANT: { stalledAfterReminders: 2 } } });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('Invalid CDK context:\n  - context "escalateAfterReminders": must be at most 50');
  });

  it('reports every step whose stall does not come after its escalation', () => {
    expect(() =>
      fromContext({ reminderSchedule: { AGREE_VARIANT: { stalledAfterReminders: 2 }, VERIFY_COLLECTIONS: { escalateAfterReminders: 5, stalledAfterReminders: 5 }, CONFIRM_CONTACT: { escalateAfterReminders: 1 } } }),
    ).toThrowError(
      [
        'Invalid CDK context:',
        '  - context "reminderSchedule" (at AGREE_VARIANT): the step\'s stalledAfterReminders (2) must be greater than its escalateAfterReminders (2); values the step does not set come from the context keys of the same name',
        '  - context "reminderSchedule" (at VERIFY_COLLECTIONS): the step\'s stalledAfterReminders (5) must be greater than its escalateAfterReminders (5); values the step does not set come from the context keys of the same name',
      ].join('\n'),
    );
  });

  it('reports every bad value inside reminderSchedule at once, with where it is', () => {
    expect(() =>
      fromContext({ reminderSchedule: '{"MZT_DEACTIVATED":{"responseTimeoutSeconds":0,"stalledAfterReminders":99},"OTHER":{}}' }),
    ).toThrowError(
      [
        'Invalid CDK context:',
        '  - context "reminderSchedule" (at MZT_DEACTIVATED.responseTimeoutSeconds): must be at least 1',
        '  - context "reminderSchedule" (at MZT_DEACTIVATED.stalledAfterReminders): must be at most 50',
        `  - context "reminderSchedule": unknown step id "OTHER" (step ids: ${STEP_IDS.join(', ')})`,
      ].join('\n'),
    );
  });
});

describe('placeholder addresses (refused unless allowPlaceholderAddresses is true)', () => {
  const HINT =
    'Placeholder addresses, on domains reserved for examples and tests (any "example" label (example.com, example.gov.pl, *.example), ' +
    '*.test, *.invalid, *.localhost, *.local: RFC 2606, 6761, 6762), are refused: on AWS the first e-mail from or to one fails. Set the real addresses; a synth not meant ' +
    'for deployment (the tests) accepts them with -c allowPlaceholderAddresses=true.';
  const REAL = { senderEmail: 'powiadomienia@zmiana-sd.mrpips.gov.pl', voivodeshipAdmins: realAdmins };
  const SINGLE_ADDRESS_KEYS = ['senderEmail', 'mrpipsEmail', 'operationsEmail', 'opsAlertEmail'];

  it('refuses the defaults in one error naming senderEmail and every voivodeship, and says how a test opts out', () => {
    expect(refusal({}, asDeployed)).toBe(
      [
        'Invalid CDK context:',
        `  - context "senderEmail": placeholder address no-reply@zmiana-sd.example.gov.pl`,
        `  - context "voivodeshipAdmins": placeholder addresses for voivodeships ${VOIVODESHIP_CODES.join(', ')}`,
        HINT,
      ].join('\n'),
    );
  });

  it('counts the config\'s own placeholders as reserved addresses', () => {
    expect(isReservedAddress(CONTEXT_DEFAULTS.senderEmail)).toBe(true);
    for (const code of VOIVODESHIP_CODES) expect(isReservedAddress(placeholderAdminEmail(code)), code).toBe(true);
  });

  const reserved = [
    'a@example.com', 'a@example.net', 'a@example.org', 'a@mail.example.com', 'a@example.gov.pl', 'a@zmiana-sd.example.gov.pl',
    'a@uw.example', 'a@uw.test', 'a@uw.invalid', 'a@uw.local', 'a@mail.localhost', ' A@Example.COM ',
  ];
  it.each(SINGLE_ADDRESS_KEYS.flatMap((key) => reserved.map((address) => [key, address])))('refuses %s = %j', (key, address) => {
    const message = refusal({ ...REAL, [key]: address }, asDeployed);
    expect(message).toBe(
      `Invalid CDK context:\n  - context "${key}": placeholder address ${address.trim().toLowerCase()}\n${HINT}`,
    );
  });

  // Look-alikes that are ordinary domains: only an `example` label or a reserved top-level domain is refused.
  const ordinary = ['a@mrpips.gov.pl', 'a@examples.com', 'a@example-urzad.pl', 'a@test.gov.pl', 'a@local.gov.pl', 'a@uw.localhost.pl', 'a@invalid.pl'];
  it.each(SINGLE_ADDRESS_KEYS.flatMap((key) => ordinary.map((address) => [key, address])))('accepts %s = %j as deployed', (key, address) => {
    expect(asDeployed({ ...REAL, [key]: address })).toMatchObject({ [key]: address, placeholderAddresses: [] });
  });

  it('names exactly the voivodeships whose administrator is a placeholder', () => {
    const admins = { ...realAdmins, '02': 'mzt@example.com', '14': 'mzt@uw.test', '32': placeholderAdminEmail('32') };
    expect(refusal({ ...REAL, voivodeshipAdmins: admins }, asDeployed)).toBe(
      `Invalid CDK context:\n  - context "voivodeshipAdmins": placeholder addresses for voivodeships 02, 14, 32\n${HINT}`,
    );
  });

  it('reports every key with a placeholder at once, other bad keys with them, and the hint once', () => {
    const message = refusal({ voivodeshipAdmins: realAdmins, operationsEmail: 'incydenty@ops.local', opsAlertEmail: 'it@ops.invalid', logRetentionDays: 2 }, asDeployed);
    expect(message.split('\n').map((line) => line.replace(/:.*/, ''))).toEqual([
      'Invalid CDK context',
      '  - context "logRetentionDays"',
      '  - context "senderEmail"',
      '  - context "operationsEmail"',
      '  - context "opsAlertEmail"',
      'Placeholder addresses, on domains reserved for examples and tests (any "example" label (example.com, example.gov.pl, *.example), *.test, *.invalid, *.localhost, *.local',
    ]);
  });

  it('checks an address only when it is an address (its own message says what is wrong otherwise)', () => {
    expect(refusal({ voivodeshipAdmins: realAdmins, senderEmail: 'no-reply' }, asDeployed)).toBe('Invalid CDK context:\n  - context "senderEmail": must be an e-mail address');
  });

  it.each([true, 'true'])('accepts every placeholder with allowPlaceholderAddresses = %j, and lists them', (value) => {
    const config = asDeployed({ allowPlaceholderAddresses: value, opsAlertEmail: 'it@ops.test' });
    expect(config.allowPlaceholderAddresses).toBe(true);
    expect(config.placeholderAddresses.map((p) => p.key)).toEqual(['senderEmail', 'voivodeshipAdmins', 'opsAlertEmail']);
  });

  it.each([false, 'false'])('refuses them with allowPlaceholderAddresses = %j, as when it is unset', (value) => {
    expect(refusal({ allowPlaceholderAddresses: value }, asDeployed)).toBe(refusal({}, asDeployed));
  });

  it.each(['yes', 'allowed', 1, 'TRUE'])('refuses allowPlaceholderAddresses = %j by itself (whether placeholders may pass is unknown)', (value) => {
    expect(refusal({ allowPlaceholderAddresses: value }, asDeployed)).toBe('Invalid CDK context:\n  - context "allowPlaceholderAddresses": must be true or false');
  });
});

describe('a case\'s worst-case life (a Standard execution runs at most one year)', () => {
  /** Every step with the same timing (no reminderSchedule). */
  const uniform = (t: { responseTimeoutSeconds: number; escalateAfterReminders: number; stalledAfterReminders: number; stalledWaitSeconds: number }) =>
    Object.fromEntries(STEP_IDS.map((step) => [step, t])) as Parameters<typeof worstCaseLife>[0];

  it('is, with the defaults, what worstCaseLife computes', () => {
    // WHEN
    const config = fromContext({});
    // THEN
    expect(config.caseLife).toEqual(
      worstCaseLife(uniform({ responseTimeoutSeconds: 7 * DAY, escalateAfterReminders: 2, stalledAfterReminders: 3, stalledWaitSeconds: 7 * DAY }), {
        incidentWaitSeconds: 7 * DAY,
        maxIncidentsPerCase: 3,
      }),
    );
  });

  it('leaves the defaults four weeks short of the year (room for a deployment to lengthen one wait)', () => {
    expect(fromContext({}).caseLife.seconds).toBeLessThanOrEqual(ONE_YEAR_SECONDS - 28 * DAY);
  });

  it.each([
    ['a long response timeout', { responseTimeoutDays: 200 }, { responseTimeoutSeconds: 200 * DAY, stalledWaitSeconds: 7 * DAY, incidentWaitSeconds: 7 * DAY, maxIncidentsPerCase: 3 }],
    ['a long stalled wait', { stalledWaitDays: '60' }, { responseTimeoutSeconds: 7 * DAY, stalledWaitSeconds: 60 * DAY, incidentWaitSeconds: 7 * DAY, maxIncidentsPerCase: 3 }],
    ['many long incidents', { maxIncidentsPerCase: 20, incidentWaitDays: 30 }, { responseTimeoutSeconds: 7 * DAY, stalledWaitSeconds: 7 * DAY, incidentWaitSeconds: 30 * DAY, maxIncidentsPerCase: 20 }],
  ])('refuses %s that lets a case pass the year, naming the figure and every key that makes it up', (_label, context, expected) => {
    // GIVEN the figure the case-life rule computes for these values
    const life = worstCaseLife(
      uniform({ responseTimeoutSeconds: expected.responseTimeoutSeconds, escalateAfterReminders: 2, stalledAfterReminders: 3, stalledWaitSeconds: expected.stalledWaitSeconds }),
      { incidentWaitSeconds: expected.incidentWaitSeconds, maxIncidentsPerCase: expected.maxIncidentsPerCase },
    );
    expect(life.seconds).toBeGreaterThan(ONE_YEAR_SECONDS);
    // WHEN / THEN one issue for the context together, not for any one key
    expect(refusal(context)).toBe(
      'Invalid CDK context:\n' +
        `  - the context together: with this configuration a case can live ${describeLife(life)}, more than the 365 days a Step Functions Standard execution may run; ` +
        'shorten responseTimeoutDays, stalledAfterReminders, stalledWaitDays or reminderSchedule (the steps), or incidentWaitDays or maxIncidentsPerCase (the incidents)',
    );
    expect(refusal(context)).toMatch(LIFE_REFUSAL);
  });

  it('counts a step\'s own schedule too: one step waiting 200 days is refused', () => {
    expect(refusal({ reminderSchedule: { MZT_DEACTIVATED: { responseTimeoutSeconds: 17_280_000 } } })).toMatch(LIFE_REFUSAL);
  });

  it('reports the year together with other bad keys that are not timing keys', () => {
    const message = refusal({ stalledWaitDays: 60, senderEmail: 'x' });
    expect(message).toContain('  - context "senderEmail": must be an e-mail address');
    expect(message).toMatch(LIFE_REFUSAL);
  });
});

describe('context values meet the lambdas\' own configuration schemas (lambdas/core/config.ts)', () => {
  it('uses the same 16 voivodeship codes as the lambdas', () => {
    expect([...LAMBDA_VOIVODESHIP_CODES].sort()).toEqual([...VOIVODESHIP_CODES]);
  });

  it.each([
    ['defaults', {}],
    ['explicit context', {
      voivodeshipAdmins: realAdmins, senderEmail: 'powiadomienia@zmiana-sd.mrpips.gov.pl', responseTimeoutDays: 2, escalateAfterReminders: 5,
      stalledAfterReminders: 6, stalledWaitDays: 10, incidentWaitDays: 3, maxIncidentsPerCase: 2, operationsEmail: 'dyzur@mrpips.gov.pl',
      notificationsPerHourPerIp: 10_000,
    }],
    ['smallest limit', { notificationsPerHourPerIp: 1 }],
    // The longest step waits (200 days) cannot end within a year: 'caps the waits' below checks them against the lambdas.
    ['latest stall', { responseTimeoutDays: 0.01, escalateAfterReminders: 49, stalledAfterReminders: 50 }],
    ['longest incident wait', { incidentWaitDays: 200, maxIncidentsPerCase: 1, responseTimeoutDays: 0.1, stalledWaitDays: 0.1 }],
    ['most incidents', { incidentWaitDays: 1, maxIncidentsPerCase: 20, responseTimeoutDays: 0.1, stalledWaitDays: 0.1 }],
    ['shortest waits, earliest stall', { responseTimeoutDays: 0.000001, stalledWaitDays: 0.000001, escalateAfterReminders: 1, stalledAfterReminders: 2 }],
    ['reminder schedule', {
      reminderSchedule: {
        MZT_DEACTIVATED: { responseTimeoutSeconds: 9 * DAY },
        AGREE_VARIANT: { escalateAfterReminders: 1, stalledAfterReminders: 2 },
        VERIFY_COLLECTIONS: { escalateAfterReminders: 49, stalledAfterReminders: 50, responseTimeoutSeconds: 1 },
      },
    }],
    ['empty reminder schedule', { reminderSchedule: '{}' }],
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
      STALLED_AFTER_REMINDERS: String(config.stalledAfterReminders),
      STALLED_WAIT_SECONDS: String(config.stalledWaitSeconds),
      ...(config.reminderSchedule === undefined ? {} : { REMINDER_SCHEDULE: JSON.stringify(config.reminderSchedule) }),
      NOTIFICATIONS_PER_HOUR_PER_IP: String(config.notificationsPerHourPerIp),
      NOTIFICATIONS_PER_HOUR_PER_CONTACT: String(config.notificationsPerHourPerContact),
      INCIDENT_WAIT_SECONDS: String(config.incidentWaitSeconds),
      PUBLIC_BASE_URL: 'https://zmiana-sd.example.gov.pl',
    };
    const incidentEnv = { OPERATIONS_EMAIL: config.incidentsTo, MAX_INCIDENTS_PER_CASE: String(config.maxIncidentsPerCase) };
    // WHEN
    const form = parseLambdaConfig(formConfigSchema, formEnv);
    const incidents = parseLambdaConfig(incidentConfigSchema, incidentEnv);
    // THEN
    expect(incidents).toEqual({ OPERATIONS_EMAIL: config.incidentsTo, MAX_INCIDENTS_PER_CASE: config.maxIncidentsPerCase });
    expect(() => parseLambdaConfig(mailConfigSchema, mailEnv)).not.toThrow();
    // confirmation-links reads the hand-over bound with the lambdas' own schema
    expect(parseLambdaConfig(stepLimitsConfigSchema, { MAX_HAND_OVERS_PER_STEP: String(config.maxHandOversPerStep) }).MAX_HAND_OVERS_PER_STEP).toBe(config.maxHandOversPerStep);
    // and case-status the status links' days after the end of a case with its own
    expect(parseLambdaConfig(statusPageConfigSchema, { STATUS_LINK_DAYS_AFTER_END: String(config.statusLinkDaysAfterEnd) }).STATUS_LINK_DAYS_AFTER_END).toBe(config.statusLinkDaysAfterEnd);
    expect(() => parseLambdaConfig(timingConfigSchema, formEnv)).not.toThrow();
    expect(form).toMatchObject({
      NOTIFICATIONS_PER_HOUR_PER_IP: config.notificationsPerHourPerIp,
      NOTIFICATIONS_PER_HOUR_PER_CONTACT: config.notificationsPerHourPerContact,
      RESPONSE_TIMEOUT_SECONDS: config.responseTimeoutSeconds,
      ESCALATE_AFTER_REMINDERS: config.escalateAfterReminders,
      STALLED_AFTER_REMINDERS: config.stalledAfterReminders,
      STALLED_WAIT_SECONDS: config.stalledWaitSeconds,
      REMINDER_SCHEDULE: config.reminderSchedule ?? {},
      INCIDENT_WAIT_SECONDS: config.incidentWaitSeconds,
    });
    // and the handler's own step timings (lambdas/notification-form) are the ones the config reports
    const timings = stepTimings(
      {
        responseTimeoutSeconds: form.RESPONSE_TIMEOUT_SECONDS,
        escalateAfterReminders: form.ESCALATE_AFTER_REMINDERS,
        stalledAfterReminders: form.STALLED_AFTER_REMINDERS,
        stalledWaitSeconds: form.STALLED_WAIT_SECONDS,
      },
      form.REMINDER_SCHEDULE,
    );
    expect(timings).toEqual(config.stepTimings);
  });

  it('caps the waits where the lambdas do (200 days = 17,280,000 s)', () => {
    // GIVEN the longest wait any timing key takes (MAX_WAIT_DAYS: a response timeout or stalled wait that long is
    // refused only by the one-year check, see 'accepts waits up to 200 days'; an incident wait that long is accepted)
    const config = fromContext({ incidentWaitDays: MAX_WAIT_DAYS, maxIncidentsPerCase: 1, responseTimeoutDays: 0.1, stalledWaitDays: 0.1 });
    const longest = MAX_WAIT_DAYS * DAY;
    expect(config.incidentWaitSeconds).toBe(longest);
    const env = (seconds: number) => ({
      RESPONSE_TIMEOUT_SECONDS: String(seconds), ESCALATE_AFTER_REMINDERS: '2', STALLED_WAIT_SECONDS: String(seconds), INCIDENT_WAIT_SECONDS: String(seconds),
    });
    // THEN the lambdas take it, and not one second more
    expect(() => parseLambdaConfig(timingConfigSchema, env(longest))).not.toThrow();
    expect(() => parseLambdaConfig(timingConfigSchema, env(longest + 1))).toThrow(/RESPONSE_TIMEOUT_SECONDS[\s\S]*STALLED_WAIT_SECONDS[\s\S]*INCIDENT_WAIT_SECONDS/);
  });

  it('uses the lambdas\' defaults for the stall (STALLED_AFTER_REMINDERS, STALLED_WAIT_SECONDS) and no schedule', () => {
    // GIVEN the timing environment without the stall settings
    const lambdaDefaults = parseLambdaConfig(timingConfigSchema, { RESPONSE_TIMEOUT_SECONDS: '60', ESCALATE_AFTER_REMINDERS: '2' });
    // THEN
    expect(lambdaDefaults.STALLED_AFTER_REMINDERS).toBe(CONTEXT_DEFAULTS.stalledAfterReminders);
    expect(lambdaDefaults.STALLED_WAIT_SECONDS).toBe(CONTEXT_DEFAULTS.stalledWaitDays * 86_400);
    expect(lambdaDefaults.REMINDER_SCHEDULE).toEqual({});
    expect(lambdaDefaults.INCIDENT_WAIT_SECONDS).toBe(CONTEXT_DEFAULTS.incidentWaitDays * 86_400);
    expect(parseLambdaConfig(incidentConfigSchema, { OPERATIONS_EMAIL: CONTEXT_DEFAULTS.mrpipsEmail }).MAX_INCIDENTS_PER_CASE).toBe(CONTEXT_DEFAULTS.maxIncidentsPerCase);
  });

  it('rejects no stall count the lambdas accept, and accepts none they reject', () => {
    for (const n of [0, 1, 2, 3, 49, 50, 51]) {
      const lambdaAccepts = timingConfigSchema.shape.STALLED_AFTER_REMINDERS.safeParse(String(n)).success;
      // short timeouts, so that only the count's bound decides (50 reminders a step at 7 days would pass a year)
      const contextAccepts = refusal({ stalledAfterReminders: n, escalateAfterReminders: 1, responseTimeoutDays: 0.01 }) === '';
      expect(contextAccepts, String(n)).toBe(lambdaAccepts);
    }
  });

  it('rejects no incident count the lambdas accept, and accepts none they reject', () => {
    for (const n of [0, 1, 2, 19, 20, 21]) {
      const lambdaAccepts = incidentConfigSchema.shape.MAX_INCIDENTS_PER_CASE.safeParse(String(n)).success;
      // short waits, so that only the count's bound decides (20 incidents of 7 days each would pass a year)
      const contextAccepts = refusal({ maxIncidentsPerCase: n, incidentWaitDays: 1, responseTimeoutDays: 0.1, stalledWaitDays: 0.1 }) === '';
      expect(contextAccepts, String(n)).toBe(lambdaAccepts);
    }
  });

  it('uses the lambdas\' default for the per-address limit', () => {
    // GIVEN the form environment without the limit
    const env = { TABLE_NAME: 'Cases', PROCEDURE_STATE_MACHINE_ARN: 'arn', RESPONSE_TIMEOUT_SECONDS: '60', ESCALATE_AFTER_REMINDERS: '2', PUBLIC_BASE_URL: 'https://x.example' };
    // THEN
    expect(parseLambdaConfig(formConfigSchema, env).NOTIFICATIONS_PER_HOUR_PER_IP).toBe(CONTEXT_DEFAULTS.notificationsPerHourPerIp);
    expect(parseLambdaConfig(formConfigSchema, env).NOTIFICATIONS_PER_HOUR_PER_CONTACT).toBe(CONTEXT_DEFAULTS.notificationsPerHourPerContact);
  });

  it('keeps the placeholder admin addresses valid e-mail addresses', () => {
    for (const code of VOIVODESHIP_CODES) expect(CONTEXT_DEFAULTS.voivodeshipAdmins[code]).toBe(placeholderAdminEmail(code));
  });
});
