import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseRecord, TimelineEntry } from '../../lambdas/core/case.js';
import type { StepRecord } from '../../lambdas/core/step-record.js';
import type { CollectionItem } from '../../lambdas/adapters/case-store.js';
import type { CaseSummary } from '../../lambdas/services/case-report.js';
import { writeRuntimeFile } from '../../local/runtime-file.js';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { confirmThroughLink, Inbox, itemsWithTaskToken, linkIn, notificationFields, notifyAndConfirmContact, readTimeline, statusLinkIn, submitForm } from '../e2e/participants.js';
import { parseCsv, runCli } from './run-cli.js';

/**
 * The operations CLI against the running local stack: cases are created and played over HTTP and e-mail as
 * participants do (test/e2e), the CLI acts through the runtime file `npm start` writes.
 */
const MRPIPS = 'sekretariat.di@mrpips.gov.pl';
const JST = 'anna.kowalska@mops.przykladowo.pl';
const SUPPLIER = 'wdrozenia@nowydostawca.pl';
const ADMIN_14 = 'administrator.mzt.14@uw.local';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let stack: LocalStack;
let inbox: Inbox;
let sfn: SFNClient;
let db: DynamoDBClient;
let dir: string;
let runtimeFile: string;

beforeAll(async () => {
  stack = await startLocalStack({ PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0, RESPONSE_TIMEOUT_SECONDS: 600 });
  inbox = new Inbox(stack.urls.inbox);
  const clientConfig = { region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  sfn = new SFNClient({ ...clientConfig, endpoint: stack.urls.stepFunctions });
  db = new DynamoDBClient({ ...clientConfig, endpoint: stack.urls.dynamodb });
  dir = mkdtempSync(join(tmpdir(), 'zmiana-sd-ops-'));
  runtimeFile = await writeRuntimeFile(stack, join(dir, 'runtime.json'));
});

afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], options: Parameters<typeof runCli>[1] = {}) => runCli(['--local', '--runtime-file', runtimeFile, ...args], options);

async function item<T>(pk: string, sk: string): Promise<T | undefined> {
  const out = await db.send(new GetItemCommand({ TableName: stack.config.TABLE_NAME, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }));
  return out.Item ? (unmarshall(out.Item) as T) : undefined;
}

const executionArn = (caseId: string) => `${stack.procedureArn.replace(':stateMachine:', ':execution:')}:${caseId}`;

/** A case whose JST confirmed the contact address: it waits for MRPiPS to agree the variant. */
async function caseAwaitingVariant(overrides: Record<string, string> = {}) {
  const fields = notificationFields(overrides);
  const caseId = await notifyAndConfirmContact(stack.urls.form, inbox, fields);
  const email = await inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']);
  return { caseId, fields, email };
}

/** A case in steps b (new SD) and c (MZT) at once, with new collections registered. */
async function caseInStepsBandC() {
  const { caseId, fields, email } = await caseAwaitingVariant();
  expect((await confirmThroughLink(email, { decision: 'WITH_MIGRATION' })).status).toBe(200);
  const newCodes = [`N${fields['areas.0.oldCollectionCode']}`, `N${fields['areas.1.oldCollectionCode']}`];
  const codes = await confirmThroughLink(await inbox.take(MRPIPS, [caseId, 'Utworzenie nowych zbiorów']), {
    'newCollections.0.newCollectionCode': newCodes[0]!,
    'newCollections.1.newCollectionCode': newCodes[1]!,
  });
  expect(codes.status, codes.body).toBe(200);
  const today = new Date().toISOString().slice(0, 10);
  expect((await confirmThroughLink(await inbox.take(JST, [caseId, 'Deaktywacja dotychczasowego SD']), { deactivatedOn: today, confirmed: 'tak' })).status).toBe(200);
  const [feeding, mzt] = await Promise.all([inbox.take(JST, [caseId, 'Aktywacja nowego SD']), inbox.take(ADMIN_14, [caseId, 'Deaktywacja urzędników i jednostki'])]);
  const oldCodes = [fields['areas.0.oldCollectionCode']!, fields['areas.1.oldCollectionCode']!];
  return { caseId, fields, feedingLink: linkIn(feeding), mztLink: linkIn(mzt), oldCodes, newCodes };
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('list, show and export', () => {
  let plain: string;
  let quoted: string;
  let elsewhere: string;

  beforeAll(async () => {
    plain = (await caseAwaitingVariant()).caseId;
    quoted = (await caseAwaitingVariant({ officeName: 'Ośrodek "Pomocy", Przykładowo' })).caseId;
    elsewhere = (await caseAwaitingVariant({ teryt: '0264011', mztUnitCode: 'MOPS-0264011', 'contact.email': 'kontakt@mops.wroclaw.pl' })).caseId;
  });

  it('list --json: every case with the step it waits for, who is awaited and for how long', async () => {
    const run = await cli(['list', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const cases = JSON.parse(run.stdout) as CaseSummary[];
    const found = cases.find((c) => c.caseId === plain)!;
    expect(found).toMatchObject({ status: 'IN_PROGRESS', voivodeship: '14', voivodeshipName: 'mazowieckie', teryt: '1465011', daysWaiting: 0 });
    expect(found.awaiting).toEqual([expect.objectContaining({ stepKey: 'AGREE_VARIANT.1', role: 'MRPIPS', recipient: MRPIPS, remindersSent: 0, daysWaiting: 0 })]);
    expect(cases.map((c) => c.caseId)).toEqual(expect.arrayContaining([plain, quoted, elsewhere]));
  });

  it('list: a table for people, with the awaited step, recipient and days waiting', async () => {
    const run = await cli(['list']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^CASE\s+STATUS\s+UNIT\s+VOIVODESHIP\s+AWAITED STEP\s+RECIPIENT\s+DAYS WAITING$/);
    expect(lines[1]).toMatch(/^-+ {2}-+/);
    const row = lines.find((line) => line.startsWith(plain))!;
    expect(row).toMatch(new RegExp(`^${plain}\\s+IN_PROGRESS\\s+Miejski Ośrodek .*\\(1465011\\)\\s+14 mazowieckie\\s+AGREE_VARIANT\\.1\\s+${MRPIPS.replace(/\./g, '\\.')}\\s+0$`));
    expect(run.stdout).toMatch(/\n\d+ cases\n$/);
  });

  it('list filters by status, voivodeship (code or name), awaited step and age', async () => {
    const ids = async (...args: string[]) => {
      const run = await cli(['list', '--json', ...args]);
      expect(run.code, run.stderr).toBe(0);
      return (JSON.parse(run.stdout) as CaseSummary[]).map((c) => c.caseId);
    };
    expect(await ids('--voivodeship', '02')).toEqual([elsewhere]);
    expect(await ids('--voivodeship', 'dolnośląskie')).toEqual([elsewhere]);
    expect(await ids('--voivodeship', '14')).toEqual(expect.arrayContaining([plain, quoted]));
    expect(await ids('--status', 'in_progress', '--step', 'AGREE_VARIANT')).toEqual(expect.arrayContaining([plain, quoted, elsewhere]));
    expect(await ids('--step', 'AGREE_VARIANT.1')).toContain(plain);
    expect(await ids('--step', 'NEW_COLLECTIONS')).not.toContain(plain);
    expect(await ids('--status', 'COMPLETED')).toEqual([]);
    expect(await ids('--older-than', '1d')).toEqual([]);
    const later = await cli(['list', '--json', '--older-than', '7d'], { now: new Date(Date.now() + 8 * 86_400_000) });
    const aged = JSON.parse(later.stdout) as CaseSummary[];
    expect(aged.map((c) => c.caseId)).toContain(plain);
    expect(aged.find((c) => c.caseId === plain)!.daysWaiting).toBe(8);
    expect((await cli(['list', '--status', 'COMPLETED'])).stdout).toBe('No cases match.\n');
  });

  it('show: the case, its steps and its timeline; --json never carries the task token', async () => {
    const run = await cli(['show', plain]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Case ${plain}`);
    expect(run.stdout).toMatch(/Status\s+IN_PROGRESS \(w toku\)/);
    expect(run.stdout).toMatch(new RegExp(`\n  Execution +${executionArn(plain)}\n`));
    expect(run.stdout).toMatch(/AGREE_VARIANT\.1\s+MRPIPS\s+sekretariat\.di@mrpips\.gov\.pl\s+PENDING/);
    expect(run.stdout).toMatch(/CONFIRM_CONTACT\.1\s+JST\s+anna\.kowalska@mops\.przykladowo\.pl\s+COMPLETED/);
    expect(run.stdout).toContain('NOTIFICATION_REGISTERED');
    expect(run.stdout).toContain('Zarejestrowano zgłoszenie zmiany dostawcy SD');

    const asJson = await cli(['show', plain.toLowerCase(), '--json']);
    expect(asJson.code, asJson.stderr).toBe(0);
    const shown = JSON.parse(asJson.stdout) as { case: CaseRecord & { timeline: TimelineEntry[] }; steps: StepRecord[]; executionArn: string };
    expect(shown.case.caseId).toBe(plain);
    expect(shown.case.timeline[0]).toMatchObject({ id: 'registered', action: 'NOTIFICATION_REGISTERED' });
    expect(shown.steps.map((s) => s.stepKey).sort()).toEqual(['AGREE_VARIANT.1', 'CONFIRM_CONTACT.1']);
    expect(asJson.stdout).not.toContain('taskToken');
    expect(shown.executionArn).toBe(executionArn(plain));
  });

  it('show: an unknown case is exit code 1 with a clear message', async () => {
    const run = await cli(['show', 'ZSD-2000-99999']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: Case ZSD-2000-99999 not found in local stack (${stack.urls.pages})\n`);
  });

  it('export: a CSV with a header row, one quoted-where-needed row per case, to a file or stdout, with progress', async () => {
    const out = join(dir, 'cases.csv');
    const run = await cli(['export', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^\d+ cases exported to .*cases\.csv\.\n$/);
    const text = readFileSync(out, 'utf8');
    const rows = parseCsv(text);
    expect(rows[0]!.slice(0, 4)).toEqual(['case_id', 'status', 'status_label', 'created_at']);
    expect(rows.every((row) => row.length === rows[0]!.length)).toBe(true);
    const header = rows[0]!;
    const byId = new Map(rows.slice(1).map((row) => [row[0], Object.fromEntries(header.map((name, i) => [name, row[i]]))]));
    expect(byId.get(quoted)).toMatchObject({ office_name: 'Ośrodek "Pomocy", Przykładowo', status: 'IN_PROGRESS', voivodeship: '14', awaited_steps: 'AGREE_VARIANT.1', days_waiting: '0' });
    expect(text).toContain('"Ośrodek ""Pomocy"", Przykładowo"');
    expect(byId.get(elsewhere)).toMatchObject({ voivodeship: '02', voivodeship_name: 'dolnośląskie' });
    // No personal contact data in the report.
    expect(text).not.toContain(JST);
    expect(text).not.toContain('+48 22');

    const piped = await cli(['export', '--voivodeship', '14', '--progress-every', '1']);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout.startsWith('case_id,status,')).toBe(true);
    expect(parseCsv(piped.stdout).slice(1).map((row) => row[8])).not.toContain('02');
    expect(piped.stderr).toMatch(/read \d+ items…\n/);
    expect(piped.stderr).toMatch(/exported 1\/\d+ cases\n/);
  });
});

describe('resend a step link', () => {
  it('issues a new link for the same recipient and task: the old link gives 410, the new one works', async () => {
    const { caseId, email } = await caseAwaitingVariant();
    const oldLink = linkIn(email);
    const run = await cli(['resend', caseId, 'agree_variant.1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Sent a new link for AGREE_VARIANT.1 (Uzgodnienie trybu zmiany dostawcy SD) of ${caseId} to ${MRPIPS}`);
    const resent = await inbox.take(MRPIPS, [caseId, 'link wysłany ponownie']);
    expect(resent.body.text).toContain('Poprzednie linki w tej sprawie przestały działać');
    const old = await fetch(oldLink);
    expect(old.status).toBe(410);
    expect(await old.text()).toContain('Link nieaktualny');
    expect((await confirmThroughLink(resent, { decision: 'WITH_MIGRATION' })).status).toBe(200);
    const timeline = await readTimeline(db, stack.config.TABLE_NAME, caseId);
    expect(timeline.find((e) => e.action === 'STEP_LINK_RESENT')).toMatchObject({ actor: { role: 'MRPIPS', email: MRPIPS }, step: 'AGREE_VARIANT.1' });
  });

  it('refuses a step that no longer waits, and an unknown step, with exit code 1 and nothing sent', async () => {
    const { caseId } = await caseAwaitingVariant();
    const done = await cli(['resend', caseId, 'CONFIRM_CONTACT.1']);
    expect(done.code).toBe(1);
    expect(done.stderr).toBe(`error: Step CONFIRM_CONTACT.1 of case ${caseId} is COMPLETED, not pending\n`);
    const missing = await cli(['resend', caseId, 'VERIFY_COLLECTIONS.1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not found');
    expect((await inbox.to(MRPIPS, caseId)).filter((e) => e.subject.includes('ponownie'))).toEqual([]);
  });
});

describe('reassign a step (MRPiPS)', () => {
  it('the new recipient gets a working link, the old link gives 410, MRPiPS is told, the timeline records it', async () => {
    const { caseId, email } = await caseAwaitingVariant();
    const colleague = 'jan.nowak@mrpips.gov.pl';
    const run = await cli(['reassign', caseId, 'AGREE_VARIANT.1', 'Jan.Nowak@MRPiPS.gov.pl', '--by', 'ops.di@mrpips.gov.pl']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`from ${MRPIPS} to ${colleague}`);
    const request = await inbox.take(colleague, [caseId, 'Uzgodnienie trybu']);
    expect(request.body.text).toContain('ops.di@mrpips.gov.pl przekazał(a) Ci ten krok');
    const told = await inbox.take(MRPIPS, [caseId, 'MRPiPS przekazało krok innej osobie']);
    expect(told.body.text).toContain(`MRPiPS (ops.di@mrpips.gov.pl) przekazało krok 2 od ${MRPIPS} osobie: ${colleague}.`);
    expect((await fetch(linkIn(email))).status).toBe(410);
    const page = await (await fetch(linkIn(request))).text();
    expect(page).toContain(`Potwierdzasz jako: <strong>${colleague}</strong>`);
    expect((await confirmThroughLink(request, { decision: 'WITHOUT_MIGRATION' })).status).toBe(200);
    const timeline = await readTimeline(db, stack.config.TABLE_NAME, caseId);
    expect(timeline.find((e) => e.action === 'STEP_REASSIGNED')).toMatchObject({ actor: { role: 'MRPIPS', email: 'ops.di@mrpips.gov.pl' } });
    expect((await item<StepRecord>(`CASE#${caseId}`, 'STEP#AGREE_VARIANT.1'))!.completedBy).toMatchObject({ email: colleague });
  });

  it('refuses the contact-address step, the current recipient and a bad address', async () => {
    const { caseId } = await caseAwaitingVariant();
    const same = await cli(['reassign', caseId, 'AGREE_VARIANT.1', MRPIPS]);
    expect(same.code).toBe(1);
    expect(same.stderr).toBe(`error: Step AGREE_VARIANT.1 is already with ${MRPIPS}\n`);
    const bad = await cli(['reassign', caseId, 'AGREE_VARIANT.1', 'jan@']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('<email>: Wpisz poprawny adres e-mail');
    const fields = notificationFields({ 'contact.email': 'nowy.kontakt@mops.przykladowo.pl' });
    const res = await submitForm(stack.urls.form, fields);
    const fresh = /ZSD-\d{4}-\d{5}/.exec(res.body)![0];
    await inbox.take('nowy.kontakt@mops.przykladowo.pl', [fresh, 'potwierdzenie adresu']);
    const contact = await cli(['reassign', fresh, 'CONFIRM_CONTACT.1', 'ktos@mops.przykladowo.pl']);
    expect(contact.code).toBe(1);
    expect(contact.stderr).toContain('cannot be handed over');
  });
});

describe('revoke the status links of a case (MRPiPS)', () => {
  it('the links sent so far show "Link unieważniony" (410), the revocation is on the timeline, and the next e-mail\'s link works', async () => {
    const { caseId, email } = await caseAwaitingVariant();
    const leaked = statusLinkIn(email);
    expect((await fetch(leaked)).status).toBe(200);

    const run = await cli(['revoke-status-links', caseId.toLowerCase(), '--by', 'Ops.DI@mrpips.gov.pl', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ caseId, status: 'IN_PROGRESS', statusLinkGeneration: 1, revokedBy: 'ops.di@mrpips.gov.pl' });

    const refused = await fetch(leaked);
    expect(refused.status).toBe(410);
    const page = await refused.text();
    expect(page).toContain('Link unieważniony');
    expect(page).not.toContain('Uzgodnienie trybu');
    const english = await fetch(`${leaked}&lang=en`);
    expect(english.status).toBe(410);
    expect(await english.text()).toContain('Link revoked');
    const timeline = await readTimeline(db, stack.config.TABLE_NAME, caseId);
    expect(timeline.find((e) => e.action === 'STATUS_LINKS_REVOKED')).toMatchObject({ actor: { role: 'MRPIPS', email: 'ops.di@mrpips.gov.pl' }, details: { generation: 1 } });

    // An e-mail sent after the revocation carries a link of the new generation, which opens the page.
    expect((await cli(['resend', caseId, 'AGREE_VARIANT.1'])).code).toBe(0);
    const fresh = statusLinkIn(await inbox.take(MRPIPS, [caseId, 'link wysłany ponownie']));
    expect(fresh).not.toBe(leaked);
    const opened = await fetch(fresh);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain('Unieważniono dotychczasowe linki do strony stanu sprawy (ops.di@mrpips.gov.pl).');

    // A second revocation revokes that one too, and the page answers it as it did the first.
    expect((await cli(['revoke-status-links', caseId])).stdout).toContain(`Status links of ${caseId} revoked (generation 2, by ${MRPIPS})`);
    expect((await fetch(fresh)).status).toBe(410);
  });

  it('refuses an unknown case with exit code 1', async () => {
    const run = await cli(['revoke-status-links', 'ZSD-2026-99999']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: Case ZSD-2026-99999 not found\n');
  });
});

describe('cancel a case', () => {
  it('stops the execution, closes the links, releases the collections and tells every participant; a retry converges', async () => {
    const { caseId, fields, feedingLink, mztLink, oldCodes, newCodes } = await caseInStepsBandC();
    const reason = 'Jednostka wycofała zgłoszenie — zmiana dostawcy przesunięta na przyszły rok.';
    const statusLinkBefore = statusLinkIn((await inbox.to(JST, caseId))[0]!);
    expect((await fetch(statusLinkBefore)).status).toBe(200);

    // At a terminal, a wrong answer to the confirmation changes nothing.
    const declined = await cli(['cancel', caseId, '--reason', reason], { interactive: true, answers: ['nie'] });
    expect(declined.code).toBe(1);
    expect(declined.asked).toEqual([`Type the case id (${caseId}) to cancel it: `]);
    expect(declined.stderr).toContain('Not cancelled');
    expect((await item<CaseRecord>(`CASE#${caseId}`, 'CASE'))!.status).toBe('IN_PROGRESS');

    const run = await cli(['cancel', caseId, '--reason', reason], { interactive: true, answers: [caseId.toLowerCase()] });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Case ${caseId} cancelled.`);
    expect(run.stdout).toMatch(/execution: +ABORTED/);

    // The execution and its waiting children are stopped.
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: executionArn(caseId) }))).status).toBe('ABORTED');
    const confirmationArn = stack.procedureArn.replace(':procedure', ':confirmation');
    const children = await until(
      async () => ((await sfn.send(new ListExecutionsCommand({ stateMachineArn: confirmationArn }))).executions ?? []).filter((e) => e.name!.startsWith(`${caseId}-`)),
      (list) => list.every((e) => e.status !== 'RUNNING'),
    );
    expect(children.map((e) => e.name).sort()).toEqual(expect.arrayContaining([`${caseId}-MZT_DEACTIVATED-1`, `${caseId}-NEW_SD_FEEDING-1`]));
    expect(children.filter((e) => e.status === 'RUNNING')).toEqual([]);

    // The case is CANCELLED with the reason, and stays so: the stopped execution's event has been handled
    // (record-ended-execution) and recorded no failure.
    await stack.eventRules.settled();
    const record = (await item<CaseRecord>(`CASE#${caseId}`, 'CASE'))!;
    expect(record.status).toBe('CANCELLED');
    expect(record.cancellation).toMatchObject({ reason, by: MRPIPS });
    const actions = (await readTimeline(db, stack.config.TABLE_NAME, caseId)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['CASE_CANCELLED', 'COLLECTIONS_RELEASED', 'CASE_CANCELLATION_SENT']));
    expect(actions).not.toContain('CASE_FAILED');

    // Open links now show "no longer pending" (4xx) and change nothing; the steps are closed, tokens gone.
    for (const link of [feedingLink, mztLink]) {
      const page = await fetch(link);
      expect(page.status).toBe(409);
      expect(await page.text()).toContain('Krok nie oczekuje na potwierdzenie');
    }
    for (const key of ['NEW_SD_FEEDING.1', 'MZT_DEACTIVATED.1']) {
      const step = (await item<StepRecord>(`CASE#${caseId}`, `STEP#${key}`))!;
      expect(step.status).toBe('CANCELLED');
    }
    // No item of the cancelled case keeps a task token.
    expect(await itemsWithTaskToken(db, stack.config.TABLE_NAME, caseId)).toEqual([]);
    // The status links sent before the cancellation are revoked with it.
    const revoked = await fetch(statusLinkBefore);
    expect(revoked.status).toBe(410);
    expect(await revoked.text()).toContain('Link unieważniony');

    // Every participant is told, with the reason: JST, MRPiPS, the voivodeship administrator (step c), the supplier.
    for (const address of [JST, MRPIPS, ADMIN_14, SUPPLIER]) {
      const mail = await inbox.take(address, [caseId, 'sprawa anulowana']);
      expect(mail.body.text).toContain(`Powód: ${reason}`);
      expect(mail.destination.to).toEqual([address]);
    }

    // The collections are free: none held by the case, and a new notification may take the old ones.
    for (const code of [...oldCodes, ...newCodes]) {
      const collection = (await item<CollectionItem>(`COLLECTION#${code}`, 'COLLECTION'))!;
      expect(collection.lockedByCase, code).toBeUndefined();
      expect(collection.state).toBe('ACTIVE');
    }
    const again = await submitForm(stack.urls.form, notificationFields({ 'areas.0.oldCollectionCode': fields['areas.0.oldCollectionCode']!, 'areas.1.oldCollectionCode': fields['areas.1.oldCollectionCode']! }));
    expect(again.status, again.body).toBe(201);

    // Running it again (a retry) finishes nothing twice: no second e-mail, the first reason kept.
    const retry = await cli(['cancel', caseId, '--reason', 'Inny powód', '--yes', '--json']);
    expect(retry.code, retry.stderr).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ status: 'CANCELLED', cancelledNow: false, notified: [], closedSteps: [], releasedCollections: [], cancellation: { reason }, execution: { status: 'ABORTED' } });
    await stack.outbox.settled(); // what the second run queued, if anything, is in the inbox
    expect((await inbox.to(JST, caseId)).filter((e) => e.subject.includes('sprawa anulowana'))).toHaveLength(1);
    // The status page says so too.
    const statusLink = /(http:\/\/[^\s]+\/sprawa\?[^\s]+)/.exec((await inbox.to(JST, caseId)).find((e) => e.subject.includes('sprawa anulowana'))!.body.text!)![1]!;
    const statusPage = await (await fetch(statusLink)).text();
    expect(statusPage).toContain('anulowana przez MRPiPS');
    expect(statusPage).toContain('Sprawa nie czeka na nikogo.');
  });

  it('a notification whose contact never confirmed: cancelled, the JST and MRPiPS told, not the supplier', async () => {
    const fields = notificationFields({ 'contact.email': 'niepotwierdzony@mops.przykladowo.pl' });
    const res = await submitForm(stack.urls.form, fields);
    const caseId = /ZSD-\d{4}-\d{5}/.exec(res.body)![0];
    const request = await inbox.take('niepotwierdzony@mops.przykladowo.pl', [caseId, 'potwierdzenie adresu']);
    const run = await cli(['cancel', caseId, '--reason', 'Zgłoszenie testowe.', '--yes', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).notified).toEqual(['niepotwierdzony@mops.przykladowo.pl', MRPIPS]);
    expect((await fetch(linkIn(request))).status).toBe(409);
  });

  it('refuses a case that has ended (rejected) with exit code 1 and changes nothing', async () => {
    const { caseId, email } = await caseAwaitingVariant();
    expect((await confirmThroughLink(email, { decision: 'REJECT', reason: 'Niekompletne dane.' })).status).toBe(200);
    await until(async () => (await item<CaseRecord>(`CASE#${caseId}`, 'CASE'))!.status, (status) => status === 'REJECTED');
    const run = await cli(['cancel', caseId, '--reason', 'Pomyłka.', '--yes']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: Case ${caseId} is REJECTED (zgłoszenie odrzucone) and cannot be cancelled\n`);
    expect((await item<CaseRecord>(`CASE#${caseId}`, 'CASE'))!.status).toBe('REJECTED');
  });
});

describe('the CLI as a real process (npx tsx bin/cases.ts --local …)', () => {
  function spawnCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile('npx', ['tsx', 'bin/cases.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      });
    });
  }

  it('exits 0 on success, 1 when the operation fails, 2 on bad usage', async () => {
    const { caseId } = await caseAwaitingVariant();
    const local = ['--local', '--runtime-file', runtimeFile];
    const [listed, viaEnv, missing, badStatus, unconfirmed] = await Promise.all([
      spawnCli([...local, 'list', '--json']),
      spawnCli(['show', caseId], { ZMIANA_SD_LOCAL: '1', ZMIANA_SD_RUNTIME_FILE: runtimeFile }),
      spawnCli([...local, 'show', 'ZSD-2000-99999']),
      spawnCli([...local, 'list', '--status', 'NOPE']),
      spawnCli([...local, 'cancel', caseId, '--reason', 'Bez potwierdzenia.']),
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as CaseSummary[]).map((c) => c.caseId)).toContain(caseId);
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(viaEnv.stdout).toContain(`Case ${caseId}`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: Case ZSD-2000-99999 not found');
    expect(badStatus.code).toBe(2);
    expect(badStatus.stderr).toContain('--status: one of IN_PROGRESS');
    // Not at a terminal and no --yes: refused, nothing cancelled.
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('pass --yes');
    expect((await item<CaseRecord>(`CASE#${caseId}`, 'CASE'))!.status).toBe('IN_PROGRESS');
  });
});
