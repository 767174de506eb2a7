import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../local/faults-cli.js';
import { writeRuntimeFile, type RuntimeFile } from '../../local/runtime-file.js';
import { notificationFields, notifyAndConfirmContact, submitForm } from '../e2e/participants.js';
import { operatorAt } from '../faults/operator.js';
import { JST, MRPIPS, startFaultWorld, type FaultWorld } from '../faults/play.js';

/**
 * The fault control of the local stack `npm start` runs (local/faults-control.ts) and its CLI
 * (`npm run faults -- …`, local/faults-cli.ts), over HTTP against a started stack: a person injects an AWS
 * fault, a case meets it, and the operator sees what it did with `npm run cases -- --local`: a rejected address
 * recorded on the case, e-mail in the outbox's dead-letter queue until redriven, a timed-out function held as an
 * incident until retried.
 */
let world: FaultWorld;
let operator: ReturnType<typeof operatorAt>;
let dir: string;
let runtimeFile: string;

/** What the control says each SES fault does. */
const REJECTED = 'kontakt.odrzucany@mops.przykladowo.pl';
const REJECTION = `SES rejects every message to ${REJECTED} (MessageRejected); each is recorded on its case as a delivery failure`;
const PAUSE = 'sending is paused for the SES account (AccountSendingPausedException); e-mail waits in the outbox, then in its dead-letter queue';
/** send-email's timeout, and so the outbox's visibility timeout: a message it leaves comes back within the test. */
const SENDER_TIMEOUT_SECONDS = 4;

beforeAll(async () => {
  world = await startFaultWorld(
    { LAMBDA_TIMEOUTS: JSON.stringify({ 'send-notice': 1, 'send-email': SENDER_TIMEOUT_SECONDS }), OUTBOX_VISIBILITY_TIMEOUT_SECONDS: SENDER_TIMEOUT_SECONDS },
    { faultControl: true },
  );
  dir = mkdtempSync(join(tmpdir(), 'zmiana-sd-faults-control-'));
  runtimeFile = await writeRuntimeFile(world.stack, join(dir, 'runtime.json'));
  operator = operatorAt(world, runtimeFile);
});

afterAll(async () => {
  await world?.stack.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `npm run faults -- …` with the runtime file `file`. */
async function faultsOn(file: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['--runtime-file', file, ...args], { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {} });
  return { code, stdout, stderr };
}

/** `npm run faults -- …` on this stack. */
const faults = (...args: string[]) => faultsOn(runtimeFile, ...args);

/** A raw request to the control, with its token unless `authorization` replaces it. */
function control(method: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  const { url, token } = world.stack.faultControl!;
  return fetch(url, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body }) });
}

/** A notification through the form (no contact confirmation); its case id. */
async function notify(fields = notificationFields()): Promise<string> {
  const res = await submitForm(world.stack.urls.form, fields);
  expect(res.status, res.body).toBe(201);
  return /ZSD-\d{4}-\d{5}/.exec(res.body)![0];
}

/** `npm run cases -- --local outbox --json`. */
async function outboxDepths(): Promise<unknown> {
  const run = await operator.cli(['outbox', '--json']);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

const subjectsTo = async (address: string, caseId: string, part: string) => (await world.inbox.to(address, caseId)).filter((e) => e.subject.includes(part));

describe('npm run faults: AWS faults injected and lifted on a running local stack', () => {
  it("the README's walk-through: SES rejects the contact's address; the case records it and MRPiPS is told, nothing is held", async () => {
    // GIVEN a person makes SES reject an address
    const injected = await faults('reject-email', REJECTED.toUpperCase());
    expect(injected).toEqual({ code: 0, stdout: `Injected #1: ${REJECTION}.\nLift it with \`npm run faults -- clear\`.\n`, stderr: '' });

    // WHEN a JST notifies a change with it as the contact's address
    const caseId = await notify(notificationFields({ 'contact.email': REJECTED }));

    // THEN the confirmation request is rejected and recorded on the case, MRPiPS is told which step waits for
    // which address, and no incident holds the case (`cases -- show` lists the rejection)
    const told = await world.inbox.take(MRPIPS, [caseId, 'nie można doręczyć']);
    expect(told.body.text).toContain(REJECTED);
    expect(told.body.text).toContain('CONFIRM_CONTACT.1');
    const shown = await operator.cli(['show', caseId]);
    expect(shown.stdout).toContain('EMAIL_REJECTED');
    expect(await operator.waitingIncidents()).toEqual([]);
    expect(await world.inbox.to(REJECTED, caseId)).toEqual([]);
    expect((await faults('list')).stdout).toBe(`Faults in force:\n  #1  ${REJECTION}; fired 1 time\n`);
    expect(await faults('clear')).toMatchObject({ code: 0, stdout: `Lifted:\n  #1  ${REJECTION}; fired 1 time\n` });
    expect((await faults('list')).stdout).toBe('No faults in force.\n');
  });

  it('timeout <function>: its invocations hang past its timeout (Sandbox.Timedout); once cleared, the retry sends the acknowledgement once', async () => {
    // GIVEN send-notice hangs
    expect((await faults('timeout', 'send-notice')).stdout).toContain('every invocation of send-notice hangs and fails after its 1 s timeout (Sandbox.Timedout)');
    // WHEN a case is confirmed, THEN its acknowledgement is an incident until cleared and retried
    const caseId = await notifyAndConfirmContact(world.stack.urls.form, world.inbox);
    await operator.retries({ caseId, state: '1 Acknowledge notification', error: 'Sandbox.Timedout' }, async () => expect((await faults('clear')).code).toBe(0));
    await world.inbox.take(JST, [caseId, 'przyjęto zgłoszenie']);
    expect(await subjectsTo(JST, caseId, 'przyjęto zgłoszenie')).toHaveLength(1);
  });

  it('pause-sending: e-mail waits in the outbox, then in its dead-letter queue, as `cases -- outbox` shows; cleared, `redrive` sends it once', async () => {
    // GIVEN the earlier cases' e-mail has all been sent, and a person pauses sending for the account
    await world.stack.outbox.settled();
    expect((await faults('pause-sending')).stdout).toBe(`Injected #3: ${PAUSE}.\nLift it with \`npm run faults -- clear\`.\n`);

    // WHEN a JST notifies a change
    const caseId = await notify();

    // THEN its confirmation request is tried once per receive of the queue, then waits in the dead-letter queue
    await expect.poll(async () => outboxDepths(), { timeout: 60_000, interval: 500 }).toEqual({ outbox: { visible: 0, inFlight: 0, delayed: 0 }, deadLetters: { visible: 1, inFlight: 0, delayed: 0 } });
    expect((await operator.cli(['outbox'])).stdout).toContain("1 e-mail could not be sent: read send-email's ERROR lines, fix the cause, then `redrive`.\n");
    expect((await faults('list')).stdout).toBe(`Faults in force:\n  #3  ${PAUSE}; fired 5 times\n`);

    // WHEN the pause is lifted and the operator moves the e-mail back to the outbox
    expect((await faults('clear')).code).toBe(0);
    expect((await operator.cli(['redrive'])).stdout).toBe('Moved 1 e-mail back to the outbox; send-email sends them at the sending rate.\n');

    // THEN the JST gets the request, once
    await world.inbox.take(JST, [caseId, 'prośba o potwierdzenie adresu e-mail']);
    await world.stack.outbox.settled();
    expect(await subjectsTo(JST, caseId, 'prośba o potwierdzenie adresu e-mail')).toHaveLength(1);
    expect((await faults('clear')).stdout).toBe('No faults were in force.\n');
  }, 120_000);

  it('refuses wrong input with a clear message and exit code 2, an unreachable stack with 1, and injects nothing then', async () => {
    expect(await faults('reject-email', 'not-an-address')).toMatchObject({ code: 2, stderr: expect.stringContaining('error: address: address must be an e-mail address') });
    expect(await faults('timeout', 'notification-form')).toMatchObject({ code: 2, stderr: expect.stringContaining('function: function must be one the state machines invoke: register-case, request-confirmation,') });
    expect(await faults('timeout')).toMatchObject({ code: 2, stderr: expect.stringContaining('error: timeout takes one function name') });
    expect(await faults('pause-sending', 'now')).toMatchObject({ code: 2, stderr: expect.stringContaining('error: pause-sending takes no arguments') });
    expect(await faults('explode')).toMatchObject({ code: 2, stderr: expect.stringContaining('error: unknown command "explode"') });
    expect(await faults('list', '--verbose')).toMatchObject({ code: 2, stderr: expect.stringContaining("Unknown option '--verbose'") });
    // A stack that is not there, serves no control, or does not answer: exit 1, saying so.
    const runtime = JSON.parse(readFileSync(runtimeFile, 'utf8')) as RuntimeFile;
    const elsewhere = (name: string, changed: Partial<RuntimeFile>) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify({ ...runtime, ...changed }));
      return path;
    };
    expect(await faultsOn(join(dir, 'none.json'), 'list')).toMatchObject({ code: 1, stderr: expect.stringContaining('No local stack found') });
    expect(await faultsOn(elsewhere('no-control.json', { faultControl: undefined }), 'list')).toMatchObject({ code: 1, stderr: expect.stringContaining('serves no fault control; restart it with `npm start`') });
    expect(await faultsOn(elsewhere('gone.json', { faultControl: { ...runtime.faultControl!, url: 'http://127.0.0.1:9/faults' } }), 'pause-sending')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('cannot reach the fault control at http://127.0.0.1:9/faults'),
    });

    // The control itself checks what reaches it, whoever sends it.
    const refused = async (res: Promise<Response>) => {
      const answer = await res;
      return [answer.status, ((await answer.json()) as { error: string }).error];
    };
    expect(await refused(control('GET', undefined, { authorization: 'Bearer wrong' }))).toEqual([401, 'missing or wrong bearer token (it is in the runtime file)']);
    expect(await refused(control('POST', '{"fault":"pause-sending"}', { authorization: '' }))).toEqual([401, 'missing or wrong bearer token (it is in the runtime file)']);
    expect(await refused(control('POST', '{"fault":'))).toEqual([400, 'the body must be JSON']);
    expect(await refused(control('POST', '{"fault":"reject-email","address":"x"}'))).toEqual([400, 'address: address must be an e-mail address']);
    expect(await refused(control('POST', '{"fault":"pause-sending","forever":true}'))).toEqual([400, 'Unrecognized key: "forever"']);
    expect(await refused(control('POST', '{"fault":"flood"}'))).toEqual([400, 'fault: fault must be one of: reject-email, pause-sending, timeout']);
    expect(await refused(control('POST', '{"fault":"pause-sending"}', { 'content-type': 'text/plain' }))).toEqual([415, 'the body must be application/json']);
    expect(await refused(control('POST', JSON.stringify({ fault: 'pause-sending', pad: 'x'.repeat(5000) })))).toEqual([413, 'the body may have at most 4096 bytes']);
    expect(await refused(control('PUT', '{}'))).toEqual([405, 'use GET, POST or DELETE']);

    // THEN nothing was injected
    expect((await faults('list')).stdout).toBe('No faults in force.\n');
  });
});
