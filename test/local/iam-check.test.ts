import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, PROJECT_ROOT } from '../../bench/bundles.js';
import { FaultLayer } from '../../local/faults.js';
import { LOCAL_FUNCTIONS } from '../../local/functions.js';
import { describeDenial, evaluateCalls, resolvePolicies, unusedGrants, type LocalNames, type PolicyTemplate } from '../../local/iam/policies.js';
import { decodeRequest, IamRecorder, type AwsCall } from '../../local/iam/recorder.js';
import { policyTemplateOf } from '../../local/iam/template.js';
import { synthesize } from '../infra/synth.js';

const NAMES: LocalNames = {
  region: 'eu-central-1',
  account: '000000000000',
  tableName: 'cases',
  queueNames: { outbox: 'outbox', 'dead-letter': 'outbox-dead-letter' },
  configurationSetName: 'sending',
};
const SENDER = 'no-reply@zmiana-sd.example.gov.pl';
const scope = { region: NAMES.region, account: NAMES.account, stateMachineOfToken: (token: string) => (token === 'known' ? 'arn:aws:states:eu-central-1:000000000000:stateMachine:confirmation' : undefined) };

let template: PolicyTemplate;
beforeAll(() => {
  const { stack, json } = synthesize({ allowPlaceholderAddresses: true, senderEmail: SENDER });
  template = policyTemplateOf(stack, json.Resources);
});

const sendEmail = (from = SENDER): AwsCall[] =>
  decodeRequest('ses', {}, new URLSearchParams({ Action: 'SendEmail', Source: `Zmiana SD <${from}>`, 'Destination.ToAddresses.member.1': 'a@b.pl', ConfigurationSetName: NAMES.configurationSetName }).toString(), scope)!.map((call) => ({
    principal: 'function:send-email',
    ...call,
  }));

describe('the IAM check', () => {
  it('allows what the synthesized policies grant, and marks those grants used', async () => {
    const { denials, used } = await evaluateCalls(resolvePolicies(template, NAMES), sendEmail(), NAMES.account);
    expect(denials).toEqual([]);
    const unused = unusedGrants(resolvePolicies(template, NAMES), used, []).filter((grant) => grant.principal === 'function:send-email' && grant.action === 'ses:SendEmail');
    // The domain identity and the configuration set were used; the address's identity was not.
    expect(unused.map((grant) => grant.resource)).toEqual([`arn:aws:ses:eu-central-1:000000000000:identity/${SENDER}`]);
  });

  it('reports a deliberately missing grant as denied, naming principal, action and resource', async () => {
    const withoutSes = structuredClone(template);
    withoutSes.principals['function:send-email'] = withoutSes.principals['function:send-email']!.filter((statement) => !statement.actions.includes('ses:SendEmail'));
    const { denials } = await evaluateCalls(resolvePolicies(withoutSes, NAMES), sendEmail(), NAMES.account);
    expect(denials.map(describeDenial)).toEqual([
      expect.stringMatching(/^function:send-email may not ses:SendEmail on arn:aws:ses:eu-central-1:000000000000:identity\/zmiana-sd\.example\.gov\.pl \(ImplicitlyDenied.*no statement grants that action$/),
      expect.stringMatching(/^function:send-email may not ses:SendEmail on arn:aws:ses:eu-central-1:000000000000:configuration-set\/sending \(ImplicitlyDenied/),
    ]);
  });

  it('denies a send from another address, naming the statement that was expected to allow it (its ses:FromAddress condition)', async () => {
    const { denials } = await evaluateCalls(resolvePolicies(template, NAMES), sendEmail('someone@zmiana-sd.example.gov.pl'), NAMES.account);
    expect(denials).toHaveLength(2);
    expect(describeDenial(denials[0]!)).toMatch(/expected to be allowed by FunctionsSendEmailRoleDefaultPolicy\w+ statement \d+: ses:SendEmail on .* if \{"StringEquals":\{"ses:FromAddress":"no-reply@zmiana-sd\.example\.gov\.pl"\}\}/);
  });

  it('authorises the task-token calls against the state machine of the token, and refuses an unknown token', async () => {
    const call = (token: string, principal: AwsCall['principal']): AwsCall => ({
      principal,
      ...decodeRequest('sfn', { 'x-amz-target': 'AWSStepFunctions.SendTaskSuccess' }, JSON.stringify({ taskToken: token, output: '{}' }), scope)![0]!,
    });
    const policies = resolvePolicies(template, NAMES);
    const { denials } = await evaluateCalls(policies, [call('known', 'function:confirmation-links'), call('unknown', 'function:confirmation-links'), call('known', 'function:case-status')], NAMES.account);
    expect(denials.map((denial) => [denial.call.principal, denial.call.resource])).toEqual([
      ['function:confirmation-links', 'unknown-task-token'],
      ['function:case-status', 'arn:aws:states:eu-central-1:000000000000:stateMachine:confirmation'],
    ]);
  });

  it('fails loudly on a token of the policies it cannot resolve', () => {
    const broken = structuredClone(template);
    broken.principals['function:register-case']![0]!.resources = [{ 'Fn::GetAtt': ['SomethingElse', 'Arn'] }];
    expect(() => resolvePolicies(broken, NAMES)).toThrow(/cannot resolve .*SomethingElse is not a resource the local stack has a name for/);
    broken.principals['function:register-case']![0]!.resources = [{ 'Fn::ImportValue': 'Elsewhere' }];
    expect(() => resolvePolicies(broken, NAMES)).toThrow(/Fn::ImportValue is not an intrinsic function the IAM check resolves/);
  });

  it('decodes what IAM authorises: batches as their single action, indexes of tables, queues by URL', () => {
    expect(decodeRequest('sqs', { 'x-amz-target': 'AmazonSQS.DeleteMessageBatch' }, JSON.stringify({ QueueUrl: 'http://127.0.0.1:9/000000000000/outbox', Entries: [] }), scope)).toEqual([
      { action: 'sqs:DeleteMessage', resource: 'arn:aws:sqs:eu-central-1:000000000000:outbox', context: {} },
    ]);
    expect(decodeRequest('dynamodb', { 'x-amz-target': 'DynamoDB_20120810.DescribeTable' }, JSON.stringify({ TableName: 'cases' }), scope)).toEqual([
      { action: 'dynamodb:DescribeTable', resource: 'arn:aws:dynamodb:eu-central-1:000000000000:table/cases', context: {} },
    ]);
    expect(decodeRequest('dynamodb', { 'x-amz-target': 'DynamoDB_20120810.BatchWriteItem' }, JSON.stringify({ RequestItems: {} }), scope)).toBeUndefined();
  });

  it('decodes the partition key each item call touches into dynamodb:LeadingKeys, and leaves undecoded what it cannot read', () => {
    const leadingKeys = (operation: string, request: Record<string, unknown>) => decodeRequest('dynamodb', { 'x-amz-target': `DynamoDB_20120810.${operation}` }, JSON.stringify({ TableName: 'cases', ...request }), scope)?.map((call) => call.context);
    const key = { pk: { S: 'CASE#2026-000001' }, sk: { S: 'STEP#AGREE_VARIANT' } };
    expect(leadingKeys('GetItem', { Key: key })).toEqual([{ 'dynamodb:LeadingKeys': ['CASE#2026-000001'] }]);
    expect(leadingKeys('UpdateItem', { Key: { pk: { S: 'OUTBOX' }, sk: { S: 'SEND_SCHEDULE' } } })).toEqual([{ 'dynamodb:LeadingKeys': ['OUTBOX'] }]);
    expect(leadingKeys('PutItem', { Item: { ...key, taskToken: { S: 't' } } })).toEqual([{ 'dynamodb:LeadingKeys': ['CASE#2026-000001'] }]);
    // The key condition as the case store writes it, and with the operands swapped and the name aliased.
    expect(leadingKeys('Query', { KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)', ExpressionAttributeValues: { ':pk': { S: 'CASE#7' }, ':prefix': { S: 'EVENT#' } } })).toEqual([
      { 'dynamodb:LeadingKeys': ['CASE#7'] },
    ]);
    expect(leadingKeys('Query', { KeyConditionExpression: 'begins_with(sk, :p) AND :v = #k', ExpressionAttributeNames: { '#k': 'pk' }, ExpressionAttributeValues: { ':v': { S: 'LIMIT#x#1' }, ':p': { S: 'L' } } })).toEqual([
      { 'dynamodb:LeadingKeys': ['LIMIT#x#1'] },
    ]);
    // A condition on the sort key only, an index (its partition key is not the table's), no key: not what IAM would see, so undecoded.
    expect(leadingKeys('Query', { KeyConditionExpression: 'sk = :sk', ExpressionAttributeValues: { ':sk': { S: 'CASE' } } })).toBeUndefined();
    expect(leadingKeys('Query', { IndexName: 'byStatus', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'CASE#7' } } })).toBeUndefined();
    expect(leadingKeys('GetItem', { Key: { sk: { S: 'CASE' } } })).toBeUndefined();
  });
});

describe('the case table confined to partitions (dynamodb:LeadingKeys)', () => {
  const item = (principal: AwsCall['principal'], operation: string, pk: string): AwsCall => ({
    principal,
    ...decodeRequest('dynamodb', { 'x-amz-target': `DynamoDB_20120810.${operation}` }, JSON.stringify({ TableName: NAMES.tableName, Key: { pk: { S: pk }, sk: { S: 'X' } }, Item: { pk: { S: pk }, sk: { S: 'X' } } }), scope)![0]!,
  });
  const denied = async (calls: AwsCall[]) => (await evaluateCalls(resolvePolicies(template, NAMES), calls, NAMES.account)).denials.map(({ call }) => `${call.principal} ${call.action} ${String(call.context['dynamodb:LeadingKeys'])}`);

  it('allows a call inside the partitions a function is granted', async () => {
    expect(
      await denied([
        item('function:confirmation-links', 'GetItem', 'CASE#2026-000001'),
        item('function:confirmation-links', 'UpdateItem', 'CASE#2026-000001'),
        item('function:confirmation-links', 'GetItem', 'COLLECTION#ABC'),
        item('function:notification-form', 'UpdateItem', 'SUBMISSION#s1'),
        item('function:notification-form', 'UpdateItem', 'LIMIT#notification#10.0.0.1#491234'),
        item('function:send-email', 'UpdateItem', 'OUTBOX'),
      ]),
    ).toEqual([]);
  });

  it('denies a call outside them, naming the statement and its condition', async () => {
    expect(
      await denied([
        // the link handler: no form submissions, counters or send schedule, and collections only read
        item('function:confirmation-links', 'UpdateItem', 'SUBMISSION#s1'),
        item('function:confirmation-links', 'UpdateItem', 'COLLECTION#ABC'),
        item('function:confirmation-links', 'GetItem', 'OUTBOX'),
        // the public form: no case's items (task tokens)
        item('function:notification-form', 'GetItem', 'CASE#2026-000001'),
        item('function:notification-form', 'PutItem', 'CASE#2026-000001'),
        // the pattern is a prefix of the whole key, not anywhere in it
        item('function:case-status', 'GetItem', 'LIMIT#CASE#1'),
        item('function:send-email', 'UpdateItem', 'OUTBOX#2'),
      ]),
    ).toEqual([
      'function:confirmation-links dynamodb:UpdateItem SUBMISSION#s1',
      'function:confirmation-links dynamodb:UpdateItem COLLECTION#ABC',
      'function:confirmation-links dynamodb:GetItem OUTBOX',
      'function:notification-form dynamodb:GetItem CASE#2026-000001',
      'function:notification-form dynamodb:PutItem CASE#2026-000001',
      'function:case-status dynamodb:GetItem LIMIT#CASE#1',
      'function:send-email dynamodb:UpdateItem OUTBOX#2',
    ]);
    const [denial] = (await evaluateCalls(resolvePolicies(template, NAMES), [item('function:notification-form', 'GetItem', 'CASE#2026-000001')], NAMES.account)).denials;
    expect(describeDenial(denial!)).toMatch(/^function:notification-form may not dynamodb:GetItem on arn:aws:dynamodb:eu-central-1:000000000000:table\/cases \(ImplicitlyDenied; context \{"dynamodb:LeadingKeys":\["CASE#2026-000001"\]\}\); expected to be allowed by .*if \{"ForAllValues:StringLike":\{"dynamodb:LeadingKeys":\["SUBMISSION#\*"\]\}\}/);
  });

  it('reports a partition no call used as an unused grant, naming the partition', async () => {
    const policies = resolvePolicies(template, NAMES);
    const { used } = await evaluateCalls(policies, [item('function:confirmation-links', 'GetItem', 'CASE#1')], NAMES.account);
    const unused = unusedGrants(policies, used, []).filter((grant) => grant.principal === 'function:confirmation-links' && grant.action === 'dynamodb:GetItem');
    expect(unused.map((grant) => grant.condition)).toEqual([{ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['COLLECTION#*'] } }]);
    // and a kept grant names the partition it keeps, not the others of the same action
    const kept = unusedGrants(policies, new Set(), [{ principal: 'function:confirmation-links', action: 'dynamodb:GetItem', leadingKeys: 'COLLECTION#*', why: 'because' }]).filter(
      (grant) => grant.principal === 'function:confirmation-links' && grant.action === 'dynamodb:GetItem',
    );
    expect(kept.map((grant) => [grant.condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'], grant.kept])).toEqual([
      [['CASE#*'], undefined],
      [['COLLECTION#*'], 'because'],
    ]);
  });

  it('allows a key exactly when it starts with a granted prefix, whatever follows it', async () => {
    const prefixes = ['CASE#', 'COLLECTION#', 'COUNTER#', 'SUBMISSION#', 'LIMIT#', 'OUTBOX', ''];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...prefixes), fc.string({ maxLength: 40 }), async (prefix, rest) => {
        const pk = `${prefix}${rest}`;
        const allowed = (await denied([item('function:confirmation-links', 'GetItem', pk)])).length === 0;
        expect(allowed, pk).toBe(pk.startsWith('CASE#') || pk.startsWith('COLLECTION#'));
      }),
      { numRuns: 200 },
    );
  });
});

describe('recording through the proxies', () => {
  let upstream: Server;
  let proxies: FaultLayer;
  let recorder: IamRecorder;
  let endpoint: string;
  beforeAll(async () => {
    upstream = createServer((_, res) => res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    recorder = new IamRecorder(scope);
    proxies = new FaultLayer({ observe: (service, headers, body) => recorder.observe(service, headers, body) });
    endpoint = await proxies.proxy('dynamodb', `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    recorder.close();
    await proxies.close();
    upstream.close();
  });

  it('attributes an SDK call to the principal it was made as, however deep in its promises, and counts one made as no one', async () => {
    const client = new DynamoDBClient({ endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const get = () => client.send(new GetItemCommand({ TableName: 'cases', Key: { pk: { S: 'CASE#1' }, sk: { S: 'CASE' } } }));
    await recorder.as('function:case-status', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await get();
    });
    await get();
    client.destroy();
    expect([...recorder.calls.values()]).toEqual([
      { call: { principal: 'function:case-status', action: 'dynamodb:GetItem', resource: 'arn:aws:dynamodb:eu-central-1:000000000000:table/cases', context: { 'dynamodb:LeadingKeys': ['CASE#1'] } }, count: 1 },
    ]);
    expect(Object.fromEntries(recorder.unattributed)).toEqual({ 'dynamodb dynamodb:GetItem': 1 });
  });
});

describe('the simulator stays out of the functions', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zmiana-sd-iam-bundles-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('no deployed Lambda bundle contains @cloud-copilot/* (AGPL, a test-only dependency) or anything of local/', async () => {
    for (const name of Object.keys(LOCAL_FUNCTIONS)) {
      const built = await buildBundle('deployed', join(PROJECT_ROOT, 'lambdas', name, 'index.ts'), join(dir, name));
      const inputs = Object.keys(built.metafile.inputs);
      expect(inputs.length, name).toBeGreaterThan(0);
      expect(inputs.filter((input) => input.includes('@cloud-copilot/') || input.startsWith('local/')), name).toEqual([]);
    }
  }, 120_000);
});
