import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../local/faults-cli.js';
import { writeRuntimeFile, type RuntimeFile } from '../../local/runtime-file.js';
import { notifyAndConfirmContact } from '../e2e/participants.js';
import { operatorAt } from '../faults/operator.js';
import { JST, MRPIPS, startFaultWorld, type FaultWorld } from '../faults/play.js';

/**
 * The fault control of the local stack `npm start` runs (local/faults-control.ts) and its CLI
 * (`npm run faults -- …`, local/faults-cli.ts), over HTTP against a started stack: a person injects an AWS
 * fault, a case meets it and is held as an incident, the fault is lifted, the operator retries, the case goes on.
 */
let world: FaultWorld;
let operator: ReturnType<typeof operatorAt>;
let dir: string;
let runtimeFile: string;

beforeAll(async () => {
  world = await startFaultWorld({ LAMBDA_TIMEOUTS: JSON.stringify({ 'send-notice': 1 }) }, { faultControl: true });
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

const subjectsTo = async (address: string, caseId: string, part: string) => (await world.inbox.to(address, caseId)).filter((e) => e.subject.includes(part));

describe('npm run faults: AWS faults injected and lifted on a running local stack', () => {
  it("the README's walk-through: SES rejects MRPiPS's address, the case is held at its request, cleared and retried, MRPiPS is asked once", async () => {
    // GIVEN a person makes SES reject MRPiPS's address
    const injected = await faults('reject-email', MRPIPS.toUpperCase());
    expect(injected).toEqual({ code: 0, stdout: `Injected #1: SES rejects every message to ${MRPIPS} (MessageRejected).\nLift it with \`npm run faults -- clear\`.\n`, stderr: '' });

    // WHEN a JST notifies and confirms its contact address
    const caseId = await notifyAndConfirmContact(world.stack.urls.form, world.inbox);

    // THEN the request to MRPiPS is refused and the case waits as an incident; cleared and retried, it goes on
    await operator.retries({ caseId, state: 'Request confirmation', error: 'EmailRejected' }, async () => {
      expect((await faults('list')).stdout).toBe(`Faults in force:\n  #1  SES rejects every message to ${MRPIPS} (MessageRejected); fired 1 time\n`);
      expect(await faults('clear')).toMatchObject({ code: 0, stdout: `Lifted:\n  #1  SES rejects every message to ${MRPIPS} (MessageRejected); fired 1 time\n` });
    });
    await world.inbox.take(MRPIPS, [caseId, 'Uzgodnienie trybu']);
    expect(await subjectsTo(MRPIPS, caseId, 'Uzgodnienie trybu')).toHaveLength(1);
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

  it('pause-sending is listed until cleared', async () => {
    expect((await faults('pause-sending')).code).toBe(0);
    // The earlier test's case goes on meanwhile and may meet the pause: how often it fired is not this test's business.
    expect((await faults('list')).stdout).toMatch(/^Faults in force:\n {2}#\d+ {2}sending is paused for the SES account \(AccountSendingPausedException\); fired \d+ times?\n$/);
    expect((await faults('clear')).code).toBe(0);
    expect((await faults('clear')).stdout).toBe('No faults were in force.\n');
  });

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
