import { readTimeline } from '../e2e/participants.js';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FORM_CONTENT_TYPE,
  createRealCase,
  emails,
  encodePairs,
  expectPage,
  linksIn,
  parseStepForm,
  send,
  settle,
  validAnswer,
  waitFor,
  type StoredEmail,
  type World,
  startWorld,
} from './support.js';

/**
 * 50 simultaneous submissions of the same valid link with a valid answer: exactly one completes the step
 * (200), every other one is told it was already done (409); the step is COMPLETED once, the case timeline has
 * one STEP_CONFIRMED entry for it, and the next participant's e-mail goes out exactly once. Played on the
 * first two steps of a real case (whatever they are: the JST's contact confirmation, MRPiPS's variant).
 */

const CLICKS = 50;

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.stack.close();
});

async function item(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const out = await world.db.send(new GetItemCommand({ TableName: world.table, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }));
  return out.Item ? unmarshall(out.Item) : undefined;
}

const caseMails = async (caseId: string) => (await emails(world)).filter((e) => e.subject.includes(caseId));
const key = (e: StoredEmail) => `${e.destination.to.join(',')} | ${e.subject}`;

/** Fires CLICKS simultaneous POSTs of `answer` at the link's form; checks the one-winner outcome; returns the next link e-mail. */
async function race(caseId: string, link: string, stepSk: string): Promise<StoredEmail> {
  const page = await send(link);
  expect(page.status, `the link opens its page: ${page.body.slice(0, 300)}`).toBe(200);
  const form = parseStepForm(page.body, link);
  const body = encodePairs(validAnswer(form));
  await settle(world);
  const seen = new Set((await caseMails(caseId)).map((e) => e.messageId));

  const replies = await Promise.all(Array.from({ length: CLICKS }, () => send(form.action, { method: 'POST', contentType: FORM_CONTENT_TYPE, body })));

  const statuses = replies.map((r) => r.status);
  const tally = Object.fromEntries([...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length]));
  expect(statuses.filter((s) => s === 200), `exactly one of ${CLICKS} simultaneous submissions completes ${stepSk} (statuses: ${JSON.stringify(tally)})`).toHaveLength(1);
  expect(statuses.filter((s) => s === 409), `every other submission of ${stepSk} gets 409 (statuses: ${JSON.stringify(tally)})`).toHaveLength(CLICKS - 1);
  for (const reply of replies) expectPage(reply, `simultaneous submission of ${stepSk}`, { status: [200, 409] });

  // The next participant's request: a new e-mail of this case carrying a link.
  const next = await waitFor(`the next participant's e-mail after ${stepSk}`, async () =>
    (await caseMails(caseId)).find((e) => !seen.has(e.messageId) && linksIn(e, world.stack.urls.pages).length > 0),
  );
  await settle(world); // the case waits at its next step, the outbox is empty: a duplicate would be here
  const fresh = (await caseMails(caseId)).filter((e) => !seen.has(e.messageId));
  expect(fresh.filter((e) => linksIn(e, world.stack.urls.pages).length > 0).map(key), `the next participant's e-mail is sent exactly once after ${stepSk}`).toEqual([key(next)]);
  const keys = fresh.map(key);
  expect(keys.filter((k, i) => keys.indexOf(k) !== i), `no e-mail is sent twice after ${stepSk}`).toEqual([]);

  const step = await item(`CASE#${caseId}`, stepSk);
  expect(step?.status, `${stepSk} is COMPLETED`).toBe('COMPLETED');
  expect(step?.taskToken, `${stepSk}: the task token is gone once used`).toBeUndefined();
  const timeline = await readTimeline(world.db, world.table, caseId);
  const stepKey = stepSk.replace(/^STEP#/, '');
  expect(timeline.filter((e) => e.action === 'STEP_CONFIRMED' && e.step === stepKey), `exactly one STEP_CONFIRMED entry for ${stepKey} on the case`).toHaveLength(1);
  return next;
}

describe(`${CLICKS} simultaneous submissions of one link`, () => {
  it('complete each of the first two steps exactly once and advance the case once', async () => {
    const real = await createRealCase(world);
    const next = await race(real.caseId, real.link, real.stepSk);

    // The second step: whichever step the next e-mail asks for.
    await settle(world);
    const link = linksIn(next, world.stack.urls.pages)[0]!;
    const stepKey = new URL(link).searchParams.get('s');
    const pending = stepKey ? `STEP#${stepKey}` : undefined;
    expect(pending, 'the next link names its step').toBeDefined();
    expect((await item(`CASE#${real.caseId}`, pending!))?.status, `${pending} waits for a confirmation`).toBe('PENDING');
    await race(real.caseId, link, pending!);
  }, 90_000);
});
