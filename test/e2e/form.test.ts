import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../local/stack.js';
import { notificationFields, openNotificationForm, postForm, submitForm } from './participants.js';

const LIMIT = 4;
let stack: LocalStack;
let sfn: SFNClient;

beforeAll(async () => {
  stack = await startLocalStack({ PAGES_PORT: 0, SES_PORT: 0, DYNAMODB_PORT: 0, SFN_PORT: 0, SQS_PORT: 0, NOTIFICATIONS_PER_HOUR_PER_IP: LIMIT });
  sfn = new SFNClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: stack.urls.stepFunctions });
});

afterAll(async () => {
  await stack?.close();
});


const executions = async () => (await sfn.send(new ListExecutionsCommand({ stateMachineArn: stack.procedureArn }))).executions!.map((e) => e.name);

describe('the notification form', () => {
  it('creates the case once: a double submit and a retried POST of the same form show the same case', async () => {
    const fields = { ...notificationFields(), ...(await openNotificationForm(stack.urls.form)) };
    const before = await executions();
    const [first, second] = await Promise.all([postForm(stack.urls.form, fields), postForm(stack.urls.form, fields)]);
    const retry = await postForm(stack.urls.form, fields);
    const ids = [first, second, retry].map((r) => /ZSD-\d{4}-\d{5}/.exec(r.body)?.[0]);
    expect([first.status, second.status, retry.status]).toEqual([201, 201, 201]);
    expect(new Set(ids).size).toBe(1);
    expect((await executions()).filter((name) => !before.includes(name))).toEqual([ids[0]]);
  });

  it(`accepts at most ${LIMIT} new notifications an hour from one address, then shows a clear page and creates nothing`, async () => {
    const results = [];
    for (let i = 0; i < LIMIT + 1; i++) results.push(await submitForm(stack.urls.form, notificationFields()));
    // The first test already used some of the hour's allowance (the concurrent twins may both count).
    const statuses = results.map((r) => r.status);
    const firstRefusal = statuses.indexOf(429);
    expect(firstRefusal).toBeGreaterThanOrEqual(1);
    expect(statuses.slice(0, firstRefusal).every((s) => s === 201)).toBe(true);
    expect(statuses.slice(firstRefusal).every((s) => s === 429)).toBe(true);
    const refused = results[firstRefusal]!;
    expect(refused.body).toContain('Zbyt wiele zgłoszeń');
    expect(refused.headers.get('content-type')).toContain('text/html');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Only the accepted ones started a case, and only they were counted: refusals take nothing from the limit.
    expect(await executions()).toHaveLength(1 + firstRefusal);
    const db = new DynamoDBClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: stack.urls.dynamodb });
    const counters = (await db.send(new ScanCommand({ TableName: stack.config.TABLE_NAME }))).Items!.filter((item) => item.pk!.S!.startsWith('LIMIT#notification#'));
    expect(counters.map((item) => Number(item.count!.N))).toEqual([LIMIT]);
  });

  it('refuses a post from another site (Origin, Sec-Fetch-Site) and one without the form token, and creates nothing', async () => {
    const before = await executions();
    const fields = { ...notificationFields(), ...(await openNotificationForm(stack.urls.form)) };
    const crossSite = await fetch(stack.urls.form, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams(fields).toString(),
    });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.text()).toContain('Formularz wysłany z innej strony');
    const { formToken: _token, ...withoutToken } = fields;
    const tokenless = await postForm(stack.urls.form, withoutToken);
    expect(tokenless.status).toBe(400);
    expect(tokenless.body).toContain('Nie można potwierdzić, że formularz wypełniono na tej stronie.');
    expect(await executions()).toEqual(before);
  });
});
