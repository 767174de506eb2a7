import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resourcesOfType, synthesize, type Synthesized } from './synth.js';

/**
 * The watch over the procedure's executions that end abnormally (lib/ended-execution-watch.ts): an EventBridge
 * rule on Step Functions' status changes of the procedure only, FAILED / TIMED_OUT / ABORTED only, delivered to
 * record-ended-execution with retries, and that function allowed no more than the case table and e-mail.
 */
let synth: Synthesized;
const logicalId = (construct: IConstruct): string => synth.stack.getLogicalId(construct.node.defaultChild as CfnElement);
const watchFunction = () => synth.stack.functions.byName['record-ended-execution'];

interface Statement { Effect: string; Action: string | string[]; Resource: unknown }
const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

beforeAll(() => {
  // GIVEN the app with default context, WHEN it is synthesized
  synth = synthesize({ allowPlaceholderAddresses: true });
});

describe('EndedExecutionWatch', () => {
  it('has one rule: status changes of the procedure (not the confirmation child) that ended FAILED, TIMED_OUT or ABORTED', () => {
    // THEN
    const rules = resourcesOfType(synth.json, 'AWS::Events::Rule').filter(([, rule]) => JSON.stringify(rule.Properties?.EventPattern?.source) === JSON.stringify(['aws.states']));
    expect(rules).toHaveLength(1);
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [{ Ref: logicalId(synth.stack.stateMachines.procedure) }],
        },
      },
    });
  });

  it('targets record-ended-execution alone, retrying delivery for a day', () => {
    // THEN
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [logicalId(watchFunction()), 'Arn'] },
          Id: Match.anyValue(),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        },
      ],
    });
  });

  it('lets only this rule invoke the function', () => {
    // THEN
    const ruleArn = { 'Fn::GetAtt': [logicalId(synth.stack.endedExecutions.rule), 'Arn'] };
    synth.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalId(watchFunction()), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: ruleArn,
    });
    const permissions = resourcesOfType(synth.json, 'AWS::Lambda::Permission').filter(
      ([, p]) => JSON.stringify(p.Properties?.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [logicalId(watchFunction()), 'Arn'] }),
    );
    expect(permissions).toHaveLength(1);
  });

  it('gives record-ended-execution the case table (item level), the outbox and the signing keys: nothing on Step Functions', () => {
    // THEN
    const roleId = logicalId(watchFunction().role!);
    const statements = resourcesOfType(synth.json, 'AWS::IAM::Policy')
      .filter(([, policy]) => (policy.Properties?.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleId })))
      .flatMap(([, policy]) => policy.Properties?.PolicyDocument.Statement as Statement[]);
    const actions = statements.flatMap(actionsOf);
    expect([...new Set(actions.filter((a) => a.startsWith('dynamodb:')))].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(actions.filter((a) => a.startsWith('sqs:')).sort()).toEqual(['sqs:SendMessage']);
    expect(actions.filter((a) => a.startsWith('secretsmanager:')).sort()).toEqual(['secretsmanager:GetSecretValue']);
    expect(actions.filter((a) => !/^(dynamodb|sqs|secretsmanager|logs|xray):/.test(a))).toEqual([]);
    expect(synth.json.Resources[logicalId(watchFunction())]!.Properties!.Environment.Variables).toMatchObject({ OPERATIONS_EMAIL: 'sekretariat.di@mrpips.gov.pl' });
  });
});
