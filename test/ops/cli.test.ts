import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, USAGE, UsageError, describeError, durationArg, listTable, parseCommandLine, renderTable, truncate } from '../../bin/cases.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lambdas/core/errors.js';
import type { StepRecord } from '../../lambdas/core/step-record.js';
import { CSV_COLUMNS, csvField, csvHeader, csvLine, csvRow, filterCases, summariseCases } from '../../lambdas/services/case-report.js';
import { CASE_ID, JST_EMAIL, MRPIPS_EMAIL, caseAfterStepA, caseRecord } from '../unit/fixtures.js';
import { parseCsv, runCli } from './run-cli.js';

const NOW = new Date('2026-03-10T09:00:00.000Z');
const dir = mkdtempSync(join(tmpdir(), 'zmiana-sd-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function usageError(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCommandLine(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} parsed`);
}

describe('parsing the command line (node:util parseArgs + zod)', () => {
  it('reads list with every filter, normalising what people type', () => {
    const { command, local } = parseCommandLine(['list', '--status', 'in_progress', '--voivodeship', '2', '--step', 'agree_variant', '--older-than', '7d', '--json']);
    expect(local).toBe(false);
    expect(command).toEqual({ name: 'list', json: true, filter: { status: 'IN_PROGRESS', voivodeship: '02', step: 'AGREE_VARIANT', olderThanMs: 7 * 86_400_000 } });
    expect(parseCommandLine(['list', '--voivodeship', 'Mazowieckie']).command).toMatchObject({ filter: { voivodeship: '14' } });
    expect(parseCommandLine(['list', '--step', 'VERIFY_COLLECTIONS.2']).command).toMatchObject({ filter: { step: 'VERIFY_COLLECTIONS.2' } });
    expect(parseCommandLine(['list']).command).toEqual({ name: 'list', json: false, filter: {} });
  });

  it('reads durations in minutes, hours, days and weeks', () => {
    expect(durationArg.parse('30m')).toBe(1_800_000);
    expect(durationArg.parse('12h')).toBe(43_200_000);
    expect(durationArg.parse('2W')).toBe(14 * 86_400_000);
    for (const bad of ['7', 'd', '7 days', '-1d', '1.5d']) expect(durationArg.safeParse(bad).success, bad).toBe(false);
  });

  it('reads show, cancel, resend, reassign and export with their arguments', () => {
    expect(parseCommandLine(['show', 'zsd-2026-00042']).command).toEqual({ name: 'show', caseId: CASE_ID, json: false });
    expect(parseCommandLine(['cancel', CASE_ID, '--reason', '  Wycofane.  ', '-y']).command).toEqual({ name: 'cancel', caseId: CASE_ID, reason: 'Wycofane.', yes: true, by: undefined, json: false });
    expect(parseCommandLine(['resend', CASE_ID, 'new_sd_feeding.2', '--by', 'Ops@MRPiPS.gov.pl']).command).toEqual({ name: 'resend', caseId: CASE_ID, stepKey: 'NEW_SD_FEEDING.2', by: 'ops@mrpips.gov.pl', json: false });
    expect(parseCommandLine(['reassign', CASE_ID, 'MZT_DEACTIVATED.1', ' Jan.Nowak@UW.gov.pl ']).command).toMatchObject({ name: 'reassign', to: 'jan.nowak@uw.gov.pl' });
    expect(parseCommandLine(['export', '-o', 'out.csv', '--bom', '--progress-every', '100', '--status', 'COMPLETED']).command).toEqual({ name: 'export', out: 'out.csv', bom: true, progressEvery: 100, filter: { status: 'COMPLETED' } });
    expect(parseCommandLine(['export']).command).toMatchObject({ progressEvery: 500, bom: false });
  });

  it('reads revoke-status-links with its case and operator', () => {
    expect(parseCommandLine(['revoke-status-links', 'zsd-2026-00042', '--by', 'Ops@MRPiPS.gov.pl', '--json']).command).toEqual({ name: 'revoke-status-links', caseId: CASE_ID, by: 'ops@mrpips.gov.pl', json: true });
    expect(usageError(['revoke-status-links'])).toBe('revoke-status-links needs <caseId> (missing <caseId>)');
    expect(usageError(['revoke-status-links', CASE_ID, '--reason', 'x'])).toBe('--reason is not an option of revoke-status-links');
  });

  it('takes the operator from ZMIANA_SD_OPERATOR when --by is not given', () => {
    expect(parseCommandLine(['resend', CASE_ID, 'AGREE_VARIANT.1'], { ZMIANA_SD_OPERATOR: 'Jan@mrpips.gov.pl' }).command).toMatchObject({ by: 'jan@mrpips.gov.pl' });
    expect(usageError(['resend', CASE_ID, 'AGREE_VARIANT.1'], { ZMIANA_SD_OPERATOR: 'nobody' })).toMatch(/^ZMIANA_SD_OPERATOR: /);
  });

  it('selects the local stack with --local or ZMIANA_SD_LOCAL=1, and its runtime file with --runtime-file or ZMIANA_SD_RUNTIME_FILE', () => {
    expect(parseCommandLine(['--local', 'list'])).toMatchObject({ local: true });
    expect(parseCommandLine(['list'], { ZMIANA_SD_LOCAL: '1' })).toMatchObject({ local: true });
    expect(parseCommandLine(['list'], { ZMIANA_SD_LOCAL: '0' })).toMatchObject({ local: false });
    expect(parseCommandLine(['list', '--runtime-file', '/tmp/r.json'])).toMatchObject({ runtimeFile: '/tmp/r.json' });
    expect(parseCommandLine(['list'], { ZMIANA_SD_RUNTIME_FILE: '/tmp/e.json' })).toMatchObject({ runtimeFile: '/tmp/e.json' });
  });

  it('shows the usage for help, -h and no command', () => {
    for (const argv of [[], ['help'], ['-h'], ['list', '--help']]) expect(parseCommandLine(argv).command).toEqual({ name: 'help' });
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate" (commands: list, show, cancel, resend, reassign, export, incidents, retry, revoke-status-links, outbox, redrive)'],
    [['list', '--bogus'], "Unknown option '--bogus'."],
    [['list', '--reason', 'x'], '--reason is not an option of list'],
    [['show', CASE_ID, '--status', 'X', '--yes'], '--status, --yes are not options of show'],
    [['show'], 'show needs <caseId> (missing <caseId>)'],
    [['list', 'extra'], 'list takes no arguments; unexpected "extra"'],
    [['resend', CASE_ID], 'resend needs <caseId> <STEP.round> (missing <STEP.round>)'],
    [['show', 'ZSD-42'], '<caseId>: a case id looks like ZSD-2026-00042 (got "ZSD-42")'],
    [['resend', CASE_ID, 'AGREE_VARIANT'], '<STEP.round>: a step looks like AGREE_VARIANT.1'],
    [['resend', CASE_ID, 'NOT_A_STEP.1'], '<STEP.round>: a step looks like AGREE_VARIANT.1'],
    [['reassign', CASE_ID, 'AGREE_VARIANT.1', 'jan@'], '<email>: Wpisz poprawny adres e-mail, np. jan.kowalski@gmina.pl. (got "jan@")'],
    [['cancel', CASE_ID], 'cancel needs --reason "…" (every participant reads it)'],
    [['cancel', CASE_ID, '--reason', ' '], '--reason: Podaj powód anulowania (co najmniej 3 znaki).'],
    [['cancel', CASE_ID, '--reason'], "Option '--reason <value>' argument missing"],
    [['list', '--status', 'DONE'], '--status: one of IN_PROGRESS, STALLED, INCIDENT, UNCONFIRMED, REJECTED, COMPLETED, ESCALATED, FAILED, CANCELLED (got "DONE")'],
    [['list', '--voivodeship', '03'], '--voivodeship: a TERYT voivodeship code'],
    [['list', '--step', 'SOMETHING'], '--step: a step (CONFIRM_CONTACT,'],
    [['list', '--older-than', 'a week'], '--older-than: a duration such as 7d, 12h, 30m or 2w (got "a week")'],
    [['export', '--progress-every', '0'], '--progress-every: at least 1 (got "0")'],
  ])('refuses %j: %s', (argv, message) => {
    expect(usageError(argv as string[])).toContain(message);
  });
});

describe('tables and CSV', () => {
  it('quotes CSV fields with commas, quotes, CR or LF (quotes doubled), and leaves the rest alone', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField('Ośrodek, Przykładowo')).toBe('"Ośrodek, Przykładowo"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(42)).toBe('42');
    expect(csvField(0)).toBe('0');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField('')).toBe('');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField('+48 22')).toBe("'+48 22");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField(-1)).toBe('-1');
  });

  it('writes CRLF rows that read back to the same values', () => {
    const values = ['a,b', 'c"d', 'e\r\nf', '', 'żółć'];
    const row = csvRow(values);
    expect(row.endsWith('\r\n')).toBe(true);
    expect(parseCsv(row)).toEqual([values]);
    expect(parseCsv(csvHeader())).toEqual([CSV_COLUMNS.map(([name]) => name)]);
  });

  it('renders a report row per case with the same columns as the header', () => {
    const steps: StepRecord[] = [pending('AGREE_VARIANT.1', '2026-03-07T09:00:00.000Z')];
    const [summary] = summariseCases([caseRecord({ notification: { ...caseRecord().notification, officeName: 'MOPS "Północ", Gdańsk' } })], steps, NOW);
    const [row] = parseCsv(csvLine(summary!));
    const record = Object.fromEntries(CSV_COLUMNS.map(([name], i) => [name, row![i]]));
    expect(record).toMatchObject({ case_id: CASE_ID, status: 'IN_PROGRESS', office_name: 'MOPS "Północ", Gdańsk', voivodeship: '14', awaited_steps: 'AGREE_VARIANT.1', awaited_roles: 'MRPIPS', days_waiting: '3', age_days: '9', old_collections: 'SR-01; FA-01' });
  });

  it('pads table columns to the widest cell, Polish letters counted as one character', () => {
    expect(renderTable(['A', 'LONG HEADER'], [['żółć', 'x'], ['b', 'y']])).toBe('A     LONG HEADER\n----  -----------\nżółć  x\nb     y\n');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });

  it('lists cases with their awaited step, recipient and days waiting; says so when none match', () => {
    expect(listTable([])).toBe('No cases match.\n');
    const summaries = summariseCases([caseRecord()], [pending('AGREE_VARIANT.1', '2026-03-07T09:00:00.000Z')], NOW);
    const table = listTable(summaries);
    expect(table.split('\n')[2]).toMatch(new RegExp(`^${CASE_ID}  IN_PROGRESS  Miejski Ośrodek Pomocy Społecznej w Przykładowie \\(1465011\\)  14 mazowieckie  AGREE_VARIANT\\.1 +${MRPIPS_EMAIL.replace(/\./g, '\\.')}  3$`));
    expect(table.endsWith('\n1 case\n')).toBe(true);
  });
});

function pending(stepKey: string, requestedAt: string, overrides: Partial<StepRecord> = {}): StepRecord {
  const [step, round] = stepKey.split('.') as [StepRecord['step'], string];
  return {
    caseId: CASE_ID,
    stepKey,
    step,
    round: Number(round),
    role: step === 'AGREE_VARIANT' || step === 'NEW_COLLECTIONS' || step === 'VERIFY_COLLECTIONS' ? 'MRPIPS' : step === 'MZT_DEACTIVATED' ? 'VOIVODESHIP_ADMIN' : 'JST',
    recipient: step === 'MZT_DEACTIVATED' ? 'administrator.mzt.14@uw.gov.pl' : step === 'AGREE_VARIANT' ? MRPIPS_EMAIL : JST_EMAIL,
    status: 'PENDING',
    linkIdHash: 'h',
    linkExpiresAt: 0,
    deadline: '2026-03-17T09:00:00.000Z',
    remindersSent: 1,
    requestedAt,
    lastSentAt: requestedAt,
    ...overrides,
  };
}

describe('case summaries and filters', () => {
  const other = { ...caseAfterStepA(), caseId: 'ZSD-2026-00043', createdAt: '2026-03-09T08:00:00.000Z', voivodeship: '02' as const };
  const steps = [
    pending('CONFIRM_CONTACT.1', '2026-03-01T08:00:00.000Z', { status: 'COMPLETED' }),
    pending('AGREE_VARIANT.1', '2026-03-02T09:00:00.000Z'),
    { ...pending('NEW_SD_FEEDING.1', '2026-03-09T10:00:00.000Z'), caseId: other.caseId },
    { ...pending('MZT_DEACTIVATED.1', '2026-03-09T09:00:00.000Z'), caseId: other.caseId },
  ];
  const summaries = summariseCases([other, caseRecord()], steps, NOW);

  it('orders cases by creation, lists parallel steps in the order they were requested, the longest wait first counted', () => {
    expect(summaries.map((s) => s.caseId)).toEqual([CASE_ID, other.caseId]);
    expect(summaries[1]!.awaiting.map((a) => a.stepKey)).toEqual(['MZT_DEACTIVATED.1', 'NEW_SD_FEEDING.1']);
    expect(summaries[0]).toMatchObject({ daysWaiting: 8, ageDays: 9, statusLabel: 'w toku', variant: null });
    expect(summaries[0]!.awaiting).toEqual([expect.objectContaining({ stepKey: 'AGREE_VARIANT.1', recipient: MRPIPS_EMAIL, remindersSent: 1, daysWaiting: 8, title: 'Uzgodnienie trybu zmiany dostawcy SD' })]);
  });

  it('shows nothing awaited for a case that no longer waits (cancelled, rejected, …), whatever its step items say', () => {
    const [cancelled] = summariseCases([caseRecord({ status: 'CANCELLED', cancellation: { reason: 'r', by: MRPIPS_EMAIL, at: NOW.toISOString() } })], steps, NOW);
    expect(cancelled).toMatchObject({ awaiting: [], daysWaiting: null, cancellation: { reason: 'r' } });
    const [stalled] = summariseCases([caseRecord({ status: 'STALLED' })], steps, NOW);
    expect(stalled!.awaiting).toHaveLength(1);
  });

  it('filters by status, voivodeship, awaited step (id or key) and age', () => {
    const ids = (filter: Parameters<typeof filterCases>[1]) => filterCases(summaries, filter, NOW).map((s) => s.caseId);
    expect(ids({})).toEqual([CASE_ID, other.caseId]);
    expect(ids({ voivodeship: '02' })).toEqual([other.caseId]);
    expect(ids({ status: 'COMPLETED' })).toEqual([]);
    expect(ids({ step: 'MZT_DEACTIVATED' })).toEqual([other.caseId]);
    expect(ids({ step: 'AGREE_VARIANT.1' })).toEqual([CASE_ID]);
    expect(ids({ step: 'AGREE_VARIANT.2' })).toEqual([]);
    expect(ids({ olderThanMs: 2 * 86_400_000 })).toEqual([CASE_ID]);
  });
});

describe('exit codes and messages', () => {
  it('maps errors to exit codes: 2 bad usage, 1 refused or failed operations', () => {
    expect(describeError(new UsageError('bad'))).toEqual({ message: 'error: bad\nRun `npm run cases -- help` for usage.', exitCode: EXIT.USAGE });
    for (const error of [new NotFoundError('Case X not found'), new ConflictError('Case X is COMPLETED'), new ValidationError('cannot be handed over')]) {
      expect(describeError(error)).toEqual({ message: `error: ${error.message}`, exitCode: EXIT.FAILED });
    }
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(describeError(refused, 'local stack (http://127.0.0.1:3000)')).toEqual({ message: 'error: cannot reach local stack (http://127.0.0.1:3000) (connection refused). Is the local stack running (`npm start`)?', exitCode: EXIT.FAILED });
    expect(describeError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })).exitCode).toBe(EXIT.FAILED);
    expect(describeError(new TypeError('boom'))).toEqual({ message: 'error: TypeError: boom', exitCode: EXIT.FAILED });
  });

  it('help prints the usage and exits 0', async () => {
    const run = await runCli(['help']);
    expect(run).toMatchObject({ code: 0, stdout: USAGE, stderr: '' });
    expect((await runCli([])).stdout).toBe(USAGE);
  });

  it('bad usage exits 2 with the reason and a pointer to the usage, printing nothing on stdout', async () => {
    const run = await runCli(['list', '--status', 'DONE']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^error: --status: one of IN_PROGRESS, .* \(got "DONE"\)\nRun `npm run cases -- help` for usage\.\n$/);
  });

  it('against AWS without the stack outputs: exit 2 naming what is missing, before any AWS call', async () => {
    const list = await runCli(['list'], { env: {} });
    expect(list.code).toBe(2);
    expect(list.stderr).toContain('TABLE_NAME is not set');
    const resend = await runCli(['resend', CASE_ID, 'AGREE_VARIANT.1'], { env: { TABLE_NAME: 't', MRPIPS_EMAIL: MRPIPS_EMAIL } });
    expect(resend.code).toBe(2);
    expect(resend.stderr).toContain('VOIVODESHIP_ADMINS');
    expect(resend.stderr).toContain('PUBLIC_BASE_URL');
    const outbox = await runCli(['outbox'], { env: { TABLE_NAME: 't' } });
    expect(outbox.code).toBe(2);
    expect(outbox.stderr).toContain('OUTBOX_QUEUE_URL is not set (the stack output)');
    const cancel = await runCli(['cancel', CASE_ID, '--reason', 'Powód.'], { env: { TABLE_NAME: 't' }, interactive: false });
    expect(cancel.code).toBe(2);
    expect(cancel.stderr).toContain('pass --yes');
  });

  it('with --local but no running stack: exit 1 saying to start it', async () => {
    const missing = await runCli(['--local', '--runtime-file', join(dir, 'none.json'), 'list']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No local stack found');
    expect(missing.stderr).toContain('npm start');

    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const stale = join(dir, 'stale.json');
    writeFileSync(
      stale,
      JSON.stringify({
        version: 1,
        pid: dead,
        startedAt: NOW.toISOString(),
        region: 'eu-central-1',
        endpoints: { dynamodb: 'http://127.0.0.1:1', ses: 'http://127.0.0.1:1', sqs: 'http://127.0.0.1:1', stepFunctions: 'http://127.0.0.1:1', pages: 'http://127.0.0.1:1' },
        outbox: { queueUrl: 'http://127.0.0.1:1/000000000000/zmiana-sd-outbox', deadLetterQueueUrl: 'http://127.0.0.1:1/000000000000/zmiana-sd-outbox-dead-letter' },
        tableName: 't',
        procedureStateMachineArn: 'arn:aws:states:eu-central-1:000000000000:stateMachine:procedure',
        publicBaseUrl: 'http://127.0.0.1:1',
        mrpipsEmail: MRPIPS_EMAIL,
        voivodeshipAdmins: '{}',
        linkSigningKeys: '{}',
        statusLinkKeys: '{}',
      }),
    );
    const run = await runCli(['--local', '--runtime-file', stale, 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`(process ${dead}) is not running any more`);

    writeFileSync(join(dir, 'broken.json'), '{"version":1}');
    const broken = await runCli(['--local', '--runtime-file', join(dir, 'broken.json'), 'list']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('is not a runtime file of this version');
  });
});
