import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { senderSettings } from '../../lambdas/core/outbox.js';
import { ACTION_NAMES, ACTION_NEEDS, type ActionNeeds } from '../../lib/procedure-functions.js';
import { resourcesOfType, synthesize, type Synthesized } from './synth.js';

/**
 * The e-mail outbox (lib/email-outbox.ts): an encrypted, TLS-only SQS queue with a dead-letter queue, drained by
 * send-email alone through an event source mapping paced for `sesMaxSendRate`; every other mailing function may
 * only put messages on it.
 */
let synth: Synthesized;
const logicalId = (construct: IConstruct): string => synth.stack.getLogicalId(construct.node.defaultChild as CfnElement);
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (s: Synthesized, fn: string): Statement[] => {
  const role = { Ref: s.stack.getLogicalId(s.stack.functions.byName[fn as keyof typeof s.stack.functions.byName].role!.node.defaultChild as CfnElement) };
  return resourcesOfType(s.json, 'AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties?.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(role)))
    .flatMap(([, policy]) => policy.Properties?.PolicyDocument.Statement as Statement[]);
};
const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action]);

beforeAll(() => {
  // GIVEN the app with default context, WHEN it is synthesized
  synth = synthesize({ allowPlaceholderAddresses: true });
});

describe('the outbox queues', () => {
  it('are SSE-SQS encrypted, refuse requests without TLS, keep messages 14 days; the queue hands a message to its dead-letter queue after 5 receives', () => {
    // THEN
    synth.template.resourceCountIs('AWS::SQS::Queue', 2);
    const settings = senderSettings(14);
    synth.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
      VisibilityTimeout: settings.visibilityTimeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(synth.stack.outbox.deadLetterQueue), 'Arn'] }, maxReceiveCount: 5 },
    });
    for (const queue of [synth.stack.outbox.queue, synth.stack.outbox.deadLetterQueue]) {
      synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: logicalId(queue) }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
  });

  it("has a visibility timeout of six times send-email's timeout, as Lambda's documentation advises", () => {
    const sender = resourcesOfType(synth.json, 'AWS::Lambda::Function').find(([id]) => id === logicalId(synth.stack.functions.byName['send-email']))!;
    expect(synth.stack.outbox.settings.visibilityTimeoutSeconds).toBe(6 * (sender[1].Properties!.Timeout as number));
  });
});

describe('send-email, the only consumer', () => {
  it.each([
    [14, 70],
    [1, 5],
    [0.2, 1],
    [500, 100],
  ])('GIVEN sesMaxSendRate %s THEN its mapping takes batches of %s, at most 2 at once, reporting failed items one by one, and the account\'s rate is its pace (its invocations share one schedule)', (rate, batchSize) => {
    // GIVEN
    const s = rate === 14 ? synth : synthesize({ allowPlaceholderAddresses: true, sesMaxSendRate: rate });
    // THEN
    s.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: s.stack.getLogicalId(s.stack.functions.byName['send-email'].node.defaultChild as CfnElement) },
      EventSourceArn: { 'Fn::GetAtt': [s.stack.getLogicalId(s.stack.outbox.queue.node.defaultChild as CfnElement), 'Arn'] },
      BatchSize: batchSize,
      // More than 10 at once only with a batching window, as Lambda requires.
      ...(batchSize > 10 ? { MaximumBatchingWindowInSeconds: 1 } : {}),
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(resourcesOfType(s.json, 'AWS::Lambda::Function').find(([id]) => id === s.stack.getLogicalId(s.stack.functions.byName['send-email'].node.defaultChild as CfnElement))![1].Properties!.Environment.Variables.SEND_RATE_PER_SECOND).toBe(String(rate));
  });

  it('reserves no concurrency (a new account may have none to spare; the mapping bounds it)', () => {
    const sender = resourcesOfType(synth.json, 'AWS::Lambda::Function').find(([id]) => id === logicalId(synth.stack.functions.byName['send-email']))!;
    expect(sender[1].Properties).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('consumes the outbox (receive, delete, change visibility) and may put a message back; nothing else on SQS', () => {
    const sqs = statementsOf(synth, 'send-email').filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    expect(sqs.flatMap(actionsOf).sort()).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:SendMessage'].sort());
    for (const statement of sqs) expect(statement.Resource).toEqual({ 'Fn::GetAtt': [logicalId(synth.stack.outbox.queue), 'Arn'] });
  });
});

describe('every other function that e-mails', () => {
  const mailers = ACTION_NAMES.filter((name) => (ACTION_NEEDS[name] as ActionNeeds).sendsEmail && !(ACTION_NEEDS[name] as ActionNeeds).drainsOutbox);

  it.each(mailers)('%s: may put messages on the outbox (OUTBOX_QUEUE_URL) and do nothing else with SQS or SES', (name) => {
    const statements = statementsOf(synth, name);
    const sqs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    expect(sqs).toEqual([{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [logicalId(synth.stack.outbox.queue), 'Arn'] } }]);
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('ses:'))).toEqual([]);
    const env = resourcesOfType(synth.json, 'AWS::Lambda::Function').find(([id]) => id === logicalId(synth.stack.functions.byName[name]))![1].Properties!.Environment.Variables;
    expect(env.OUTBOX_QUEUE_URL).toEqual({ Ref: logicalId(synth.stack.outbox.queue) });
  });

  it('nobody may touch the dead-letter queue (operators redrive it with their own role)', () => {
    const deadLetters = JSON.stringify({ 'Fn::GetAtt': [logicalId(synth.stack.outbox.deadLetterQueue), 'Arn'] });
    for (const name of ACTION_NAMES) for (const statement of statementsOf(synth, name)) expect(JSON.stringify(statement.Resource), name).not.toContain(deadLetters);
  });
});

describe('alarms on the outbox', () => {
  it('fire on anything in the dead-letter queue and on mail waiting over an hour', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(synth.stack.outbox.deadLetterQueue), 'QueueName'] } }],
      Threshold: 1,
      AlarmDescription: Match.stringLikeRegexp('redrive'),
    });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(synth.stack.outbox.queue), 'QueueName'] } }],
      Threshold: 3600,
    });
  });
});

describe('context sesMaxSendRate', () => {
  it.each([0, -1, 'fast', 20_000])('refuses %j with the key named', (value) => {
    expect(() => synthesize({ allowPlaceholderAddresses: true, sesMaxSendRate: value })).toThrow(/sesMaxSendRate/);
  });
});
