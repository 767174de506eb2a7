import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyIncludes } from '../../local/faults.js';
import { confirmThroughLink, submitOnPage } from '../e2e/participants.js';
import {
  answerOnPage,
  childExecutionArn,
  historyOf,
  crashAfterWrite,
  executionArn,
  expectCompletedCase,
  outcomeOf,
  playCase,
  readStep,
  startFaultWorld,
  taskFailures,
  type Answer,
  type FaultWorld,
} from './play.js';

/**
 * An action writes, then crashes before its next write: here the write reaches DynamoDB but its answer is
 * lost and every further SDK attempt fails, so the action fails although the write happened, and the state
 * machine (or the participant) tries again. Each retry must converge: the case completes exactly as without
 * the crashes, no e-mail twice, no timeline entry twice, no collection left held.
 */
let world: FaultWorld;
/** A request on a case's own item (not its steps, timeline entries or e-mail markers). */
const CASE_ITEM = '"sk":{"S":"CASE"}';

beforeAll(async () => {
  world = await startFaultWorld();
});

afterAll(async () => {
  await world?.stack.close();
});

describe('a crash between two writes of one action', () => {
  it('every retry converges: one case, each e-mail once, each event once, collections released', async () => {
    const { faults } = world;
    const crashes = {
      // register-case: the case item is created, then the action dies before locking the collections.
      register: crashAfterWrite(faults, 'PutItem', bodyIncludes(CASE_ITEM), 'case created'),
      // request-confirmation: the request e-mail has been queued (and its marker written), then the timeline write "fails".
      request: crashAfterWrite(faults, 'PutItem', bodyIncludes('requested:OLD_SD_DEACTIVATED.1:0'), 'request recorded'),
      // apply-response: new codes locked and the case updated, then it dies before its e-mail.
      // (The case item only: the outbox's sender updates the e-mails' markers, MAIL#applied:…, meanwhile.)
      apply: crashAfterWrite(faults, 'UpdateItem', bodyIncludes('applied:NEW_COLLECTIONS.1', CASE_ITEM), 'codes applied'),
      // change-collection-states: the first old collection archived, then it dies before the others.
      archiveFirst: crashAfterWrite(faults, 'UpdateItem', bodyIncludes('REMOVE #locked', '"ARCHIVED"'), 'first collection archived'),
      // send-notice: the final e-mail has been queued, then the status/timeline write "fails".
      notice: crashAfterWrite(faults, 'UpdateItem', bodyIncludes('notice:CASE_COMPLETED', CASE_ITEM), 'case completed'),
    };

    // The link handler: the completion write's answer is lost once (the SDK's retry finds its own write)...
    const feedingCompleted: Answer = async (email, fields) => {
      const lost = faults.add({ service: 'dynamodb', operation: 'UpdateItem', match: bodyIncludes('SET #status = :completed', 'STEP#NEW_SD_FEEDING.1'), fault: { kind: 'lose-response' }, label: 'feeding completion, answer lost' });
      const res = await confirmThroughLink(email, fields);
      expect(lost.exhausted).toBe(true);
      expect(res.status, res.body).toBe(200);
      expect(res.body).toContain('potwierdzenie zapisane');
    };
    // ...or lost for good: the handler undoes its own completion, says "nothing saved", the next click works.
    const verificationCompleted: Answer = async (email, fields) => {
      const caseId = /ZSD-\d{4}-\d{5}/.exec(email.subject)![0];
      const crash = crashAfterWrite(faults, 'UpdateItem', bodyIncludes('SET #status = :completed', 'STEP#VERIFY_COLLECTIONS.1'), 'verification completion');
      const handOvers = faults.seen('sfn', 'SendTaskSuccess');
      const first = await confirmThroughLink(email, fields);
      expect(crash.exhausted).toBe(true);
      expect(first.status).toBe(503);
      expect(first.body).toContain('Nic nie zostało zapisane — spróbuj ponownie');
      const step = await readStep(world, caseId, 'VERIFY_COLLECTIONS.1');
      expect(step.status).toBe('PENDING');
      expect(step.response).toBeUndefined();
      expect(faults.seen('sfn', 'SendTaskSuccess')).toBe(handOvers);
      const second = await submitOnPage(first.link, fields);
      expect(second.status, second.body).toBe(200);
    };
    // The JST waits until the retried request-confirmation has bound the step to its own task token before clicking
    // the one e-mail it got (the e-mail leaves through the outbox, so it may arrive before or after the retry).
    const requestRetried: Answer = async (email, fields) => {
      const caseId = /ZSD-\d{4}-\d{5}/.exec(email.subject)![0];
      const latestTaskToken = async () => {
        const scheduled = (await historyOf(world, childExecutionArn(world, caseId, 'OLD_SD_DEACTIVATED'))).filter((e) => e.type === 'TaskScheduled');
        return scheduled.length < 2 ? undefined : (JSON.parse(scheduled.at(-1)!.taskScheduledEventDetails!.parameters!) as { Payload: { taskToken: string } }).Payload.taskToken;
      };
      await expect.poll(async () => { const latest = await latestTaskToken(); return latest !== undefined && latest === (await readStep(world, caseId, 'OLD_SD_DEACTIVATED.1')).taskToken; }, { timeout: 10_000 }).toBe(true);
      await answerOnPage(email, fields);
    };
    const answers: Record<string, Answer> = { 'Deaktywacja dotychczasowego SD': requestRetried, 'Aktywacja nowego SD': feedingCompleted, 'Weryfikacja zbiorów': verificationCompleted };

    const played = await playCase(world, (step) => answers[step] ?? answerOnPage);
    expectCompletedCase(await outcomeOf(world, played));
    for (const [name, crash] of Object.entries(crashes)) expect(crash.exhausted, name).toBe(true);

    // The state machines saw each crashed action fail once (TransientError) and retried it.
    expect(await taskFailures(world, executionArn(world, played.caseId))).toEqual(['TransientError', 'TransientError', 'TransientError', 'TransientError']);
    expect(await taskFailures(world, childExecutionArn(world, played.caseId, 'OLD_SD_DEACTIVATED'))).toEqual(['TransientError']);
    // The JST's one request for step b was answered through the link it carried: the retried run (new task
    // token) bound that link to its own token instead of sending a second e-mail with a new link.
    expect(world.stack.stepFunctions.stats().lambdaInvocations).toMatchObject({ 'register-case': 2, 'request-confirmation': 8, 'apply-response': 8, 'change-collection-states': 2, 'send-notice': 3 });
  });
});
