import type { CfnElement } from 'aws-cdk-lib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { VOIVODESHIP_CODES } from '../../lib/config.js';
import { CASE_TABLE_ACTIONS } from '../../lib/procedure-function.js';
import { ACTION_NAMES, ACTION_NEEDS, type ActionName } from '../../lib/procedure-functions.js';
import { CONFIRMATION_INVOKES, PROCEDURE_INVOKES } from '../../lib/procedure-state-machines.js';
import { type CfnTemplate, resourcesOfType, type Synthesized, synthesize } from './synth.js';

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

let synth: Synthesized;
let json: CfnTemplate;

const logicalId = (construct: IConstruct): string =>
  synth.stack.getLogicalId(construct.node.defaultChild as CfnElement);
const fnId = (name: ActionName): string => logicalId(synth.stack.functions.byName[name]);
const fnRoleId = (name: ActionName): string => logicalId(synth.stack.functions.byName[name].role!);
const procedureId = (): string => logicalId(synth.stack.stateMachines.procedure);
const confirmationId = (): string => logicalId(synth.stack.stateMachines.confirmation);
const smRoleId = (which: 'procedure' | 'confirmation'): string => logicalId(synth.stack.stateMachines[which].role);

const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** Every statement of every AWS::IAM::Policy attached to the role. */
function statementsOfRole(roleLogicalId: string): Statement[] {
  return resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties?.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap(([, policy]) => policy.Properties?.PolicyDocument.Statement as Statement[]);
}
/** All policy statements in the template with the logical id of the policy. */
function allStatements(): { policy: string; roles: unknown[]; statement: Statement }[] {
  return resourcesOfType(json, 'AWS::IAM::Policy').flatMap(([policy, r]) =>
    (r.Properties?.PolicyDocument.Statement as Statement[]).map((statement) => ({ policy, roles: r.Properties?.Roles, statement })),
  );
}
const grantsAction = (statements: Statement[], action: string): Statement[] =>
  statements.filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));

const invokeResources = (name: ActionName) => [
  { 'Fn::GetAtt': [fnId(name), 'Arn'] },
  { 'Fn::Join': ['', [{ 'Fn::GetAtt': [fnId(name), 'Arn'] }, ':*']] },
];

beforeAll(() => {
  // GIVEN the app with default context
  // WHEN it is synthesized
  synth = synthesize();
  json = synth.json;
});

describe('CaseTable', () => {
  it('is one pk/sk table, on demand, with PITR, encryption and deletion protection', () => {
    // THEN
    synth.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
      GlobalSecondaryIndexes: Match.absent(),
    });
  });

  it('is retained when the stack is deleted or the table replaced', () => {
    // THEN
    synth.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('ProcedureFunctions', () => {
  it('creates exactly one function per action and no custom-resource functions', () => {
    // THEN
    synth.template.resourceCountIs('AWS::Lambda::Function', ACTION_NAMES.length);
    expect(resourcesOfType(json, 'Custom::LogRetention')).toEqual([]);
  });

  it.each(ACTION_NAMES)('%s: Node.js 24 on arm64, X-Ray active, ESM handler, own log group with retention', (name) => {
    // THEN
    const fn = json.Resources[fnId(name)]!;
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
    });
    const logGroupId = (fn.Properties!.LoggingConfig.LogGroup as { Ref: string }).Ref;
    expect(json.Resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 90 } });
  });

  it.each(ACTION_NAMES)('%s: environment holds only what the action needs', (name) => {
    // GIVEN
    const needs = ACTION_NEEDS[name];
    const expected = ['NODE_OPTIONS', 'TABLE_NAME'];
    if (needs.sendsEmail) expected.push('SENDER_EMAIL', 'MRPIPS_EMAIL', 'VOIVODESHIP_ADMINS');
    if (needs.signingKeys) expected.push('LINK_KEYS_SECRET_ARN');
    if (needs.publicBaseUrl) expected.push('PUBLIC_BASE_URL');
    if (name === 'notification-form') expected.push('PROCEDURE_STATE_MACHINE_ARN', 'RESPONSE_TIMEOUT_SECONDS', 'ESCALATE_AFTER_REMINDERS');
    // THEN
    const env = json.Resources[fnId(name)]!.Properties!.Environment.Variables as Record<string, unknown>;
    expect(Object.keys(env).sort()).toEqual(expected.sort());
    expect(env.TABLE_NAME).toEqual({ Ref: logicalId(synth.stack.cases.table) });
  });

  it('gives PUBLIC_BASE_URL to every mail-sending action (lambdas/core/config.ts mailConfigSchema requires it)', () => {
    // THEN
    for (const name of ACTION_NAMES.filter((n) => ACTION_NEEDS[n].sendsEmail)) {
      expect(json.Resources[fnId(name)]!.Properties!.Environment.Variables, name).toHaveProperty('PUBLIC_BASE_URL');
    }
  });

  it('passes the timing and the procedure ARN to notification-form', () => {
    // THEN
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^notification-form:'),
      Environment: {
        Variables: Match.objectLike({
          PROCEDURE_STATE_MACHINE_ARN: { Ref: procedureId() },
          RESPONSE_TIMEOUT_SECONDS: String(7 * 86_400),
          ESCALATE_AFTER_REMINDERS: '2',
        }),
      },
    });
  });

  it('gives every function item-level read/write on the case table only (no Scan, deletes or streams)', () => {
    // THEN
    const tableArn = { 'Fn::GetAtt': [logicalId(synth.stack.cases.table), 'Arn'] };
    for (const name of ACTION_NAMES) {
      const dynamo = statementsOfRole(fnRoleId(name)).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(dynamo, name).toEqual([{ Effect: 'Allow', Action: [...CASE_TABLE_ACTIONS], Resource: [tableArn] }]);
    }
    const all = allStatements().flatMap(({ statement }) => actionsOf(statement));
    for (const action of ['dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:DeleteTable', 'dynamodb:GetRecords']) expect(all).not.toContain(action);
  });
});

describe('SES sender', () => {
  const sesIdentity = (identity: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:identity/${identity}`]],
  });

  it.each(ACTION_NAMES)('%s: may send mail only as the sender, if it sends mail at all', (name) => {
    // THEN
    const ses = grantsAction(statementsOfRole(fnRoleId(name)), 'ses:SendEmail');
    if (!ACTION_NEEDS[name].sendsEmail) {
      expect(statementsOfRole(fnRoleId(name)).flatMap(actionsOf).filter((a) => a.startsWith('ses:'))).toEqual([]);
      return;
    }
    expect(ses).toEqual([
      {
        Effect: 'Allow',
        Action: ['ses:SendEmail', 'ses:SendRawEmail'],
        Resource: [sesIdentity('zmiana-sd.example.gov.pl'), sesIdentity('no-reply@zmiana-sd.example.gov.pl')],
        Condition: { StringEquals: { 'ses:FromAddress': 'no-reply@zmiana-sd.example.gov.pl' } },
      },
    ]);
  });

  it('does not create an SES identity unless asked', () => {
    synth.template.resourceCountIs('AWS::SES::EmailIdentity', 0);
  });
});

describe('LinkSigningSecret', () => {
  it('generates {"current":"k1","k1":<64 alphanumerics>} and keeps the value out of the template', () => {
    // THEN
    synth.template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    synth.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: JSON.stringify({ current: 'k1' }),
        GenerateStringKey: 'k1',
        PasswordLength: 64,
        ExcludePunctuation: true,
        IncludeSpace: false,
      },
      SecretString: Match.absent(),
    });
    synth.template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
  });

  it('is readable only by request-confirmation and confirmation-links', () => {
    // THEN
    const secretRef = { Ref: logicalId(synth.stack.signingKeys.secret) };
    const readers = allStatements().filter(({ statement }) => actionsOf(statement).includes('secretsmanager:GetSecretValue'));
    expect(readers.map(({ roles }) => roles).sort()).toEqual(
      [[{ Ref: fnRoleId('request-confirmation') }], [{ Ref: fnRoleId('confirmation-links') }]].sort(),
    );
    for (const { statement } of readers) expect(statement.Resource).toEqual(secretRef);
    for (const name of ['request-confirmation', 'confirmation-links'] as const) {
      expect(json.Resources[fnId(name)]!.Properties!.Environment.Variables.LINK_KEYS_SECRET_ARN).toEqual(secretRef);
    }
  });
});

describe('ProcedureStateMachines', () => {
  it('creates two STANDARD state machines with logging (no execution data) and tracing', () => {
    // THEN
    synth.template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    for (const id of [procedureId(), confirmationId()]) {
      const props = json.Resources[id]!.Properties!;
      expect(props).toMatchObject({
        StateMachineType: 'STANDARD',
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: false,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } }],
        },
      });
      const logGroupId = props.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0] as string;
      expect(json.Resources[logGroupId]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 90, LogGroupName: expect.stringMatching(/^\/aws\/vendedlogs\/states\//) },
      });
    }
  });

  it('lets the procedure invoke exactly its five functions (ARN and versions)', () => {
    // THEN
    const invokes = grantsAction(statementsOfRole(smRoleId('procedure')), 'lambda:InvokeFunction');
    expect(invokes.flatMap(resourcesOf)).toEqual(PROCEDURE_INVOKES.flatMap(invokeResources));
  });

  it('lets the confirmation child invoke exactly request-confirmation, escalate-step and record-failure', () => {
    // THEN
    const invokes = grantsAction(statementsOfRole(smRoleId('confirmation')), 'lambda:InvokeFunction');
    expect(invokes.flatMap(resourcesOf)).toEqual(CONFIRMATION_INVOKES.flatMap(invokeResources));
    expect(grantsAction(statementsOfRole(smRoleId('confirmation')), 'states:StartExecution')).toEqual([]);
  });

  it('grants the procedure what startExecution.sync:2 needs, on the child only', () => {
    // THEN
    synth.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: smRoleId('procedure') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 'states:StartExecution', Resource: { Ref: confirmationId() } },
          {
            Effect: 'Allow',
            Action: ['states:DescribeExecution', 'states:StopExecution'],
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:',
                  { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: confirmationId() }] }] },
                  ':*',
                ],
              ],
            },
          },
          {
            Effect: 'Allow',
            Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' },
                  ':rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
                ],
              ],
            },
          },
        ]),
      },
    });
  });

  it('lets only confirmation-links answer task tokens, on the confirmation machine', () => {
    // THEN
    const responders = allStatements().filter(({ statement }) => actionsOf(statement).some((a) => /^states:SendTask/.test(a)));
    expect(responders).toEqual([
      {
        policy: expect.any(String),
        roles: [{ Ref: fnRoleId('confirmation-links') }],
        statement: {
          Effect: 'Allow',
          Action: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
          Resource: { Ref: confirmationId() },
        },
      },
    ]);
  });

  it('lets notification-form start the procedure, and nobody else but the procedure start anything', () => {
    // THEN
    const starters = allStatements().filter(({ statement }) => actionsOf(statement).includes('states:StartExecution'));
    expect(starters.map(({ roles, statement }) => ({ roles, resource: statement.Resource }))).toEqual(
      expect.arrayContaining([
        { roles: [{ Ref: fnRoleId('notification-form') }], resource: { Ref: procedureId() } },
        { roles: [{ Ref: smRoleId('procedure') }], resource: { Ref: confirmationId() } },
      ]),
    );
    expect(starters).toHaveLength(2);
  });

  it('never grants states:* or lambda:* actions on "*"', () => {
    // THEN
    const wildcard = allStatements().filter(
      ({ statement }) =>
        resourcesOf(statement).includes('*') && actionsOf(statement).some((a) => /^(states|lambda|ses|secretsmanager|dynamodb):/.test(a)),
    );
    expect(wildcard).toEqual([]);
    for (const action of ['states:SendTaskSuccess', 'lambda:InvokeFunction', 'states:StartExecution']) {
      expect(grantsAction(allStatements().map((s) => s.statement), action).filter((s) => resourcesOf(s).includes('*'))).toEqual([]);
    }
  });
});

describe('LinkPagesApi', () => {
  it('routes the link pages to their functions', () => {
    // THEN
    const integrationTarget = (integrationId: string) =>
      json.Resources[integrationId]!.Properties!.IntegrationUri as unknown;
    const routes = resourcesOfType(json, 'AWS::ApiGatewayV2::Route').map(([, r]) => ({
      routeKey: r.Properties!.RouteKey as string,
      target: integrationTarget((r.Properties!.Target['Fn::Join'][1][1] as { Ref: string }).Ref),
    }));
    const form = { 'Fn::GetAtt': [fnId('notification-form'), 'Arn'] };
    const links = { 'Fn::GetAtt': [fnId('confirmation-links'), 'Arn'] };
    expect(routes.sort((a, b) => a.routeKey.localeCompare(b.routeKey))).toEqual([
      { routeKey: 'GET /', target: form },
      { routeKey: 'GET /potwierdzenie', target: links },
      { routeKey: 'GET /zgloszenie', target: form },
      { routeKey: 'HEAD /potwierdzenie', target: links },
      { routeKey: 'POST /potwierdzenie', target: links },
      { routeKey: 'POST /zgloszenie', target: form },
    ]);
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  it('has a throttled, access-logged $default stage that does not log query strings', () => {
    // THEN
    synth.template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 50, ThrottlingRateLimit: 20 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('AccessLogs'), 'Arn'] }, Format: Match.anyValue() },
    });
    const [, stage] = resourcesOfType(json, 'AWS::ApiGatewayV2::Stage')[0]!;
    const format = stage.Properties!.AccessLogSettings.Format as string;
    expect(format).toContain('$context.requestId');
    expect(format).not.toMatch(/querystring|rawQueryString|\$context\.path/i);
  });

  it('gives the API endpoint as PUBLIC_BASE_URL when publicBaseUrl is not set', () => {
    // THEN
    const apiEndpoint = { 'Fn::GetAtt': [logicalId(synth.stack.linkPages.httpApi), 'ApiEndpoint'] };
    for (const name of ACTION_NAMES.filter((n) => ACTION_NEEDS[n].publicBaseUrl)) {
      expect(json.Resources[fnId(name)]!.Properties!.Environment.Variables.PUBLIC_BASE_URL, name).toEqual(apiEndpoint);
    }
  });
});

describe('SupplierChangeStack outputs', () => {
  it('outputs the API URL, state machine ARNs, table name and secret ARN', () => {
    // THEN
    expect(json.Outputs).toMatchObject({
      LinkPagesUrl: { Value: { 'Fn::GetAtt': [logicalId(synth.stack.linkPages.httpApi), 'ApiEndpoint'] } },
      ProcedureStateMachineArn: { Value: { Ref: procedureId() } },
      ConfirmationStateMachineArn: { Value: { Ref: confirmationId() } },
      CaseTableName: { Value: { Ref: logicalId(synth.stack.cases.table) } },
      LinkKeysSecretArn: { Value: { Ref: logicalId(synth.stack.signingKeys.secret) } },
    });
  });
});

describe('SupplierChangeStack synthesis', () => {
  it('passes the CloudFormation validation CDK runs at synth (no violations, e.g. no circular dependency)', () => {
    // THEN
    const report = JSON.parse(readFileSync(join(synth.outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { pluginName: string; violations?: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it('has no errors, and warns only about placeholder addresses', () => {
    // THEN
    const annotations = Annotations.fromStack(synth.stack);
    annotations.hasNoError('*', Match.anyValue());
    const warnings = annotations.findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/voivodeshipAdmins[\s\S]*senderEmail/);
  });
});

describe('SupplierChangeStack with context', () => {
  it('uses publicBaseUrl, the sender, retention and creates the SES identity when asked', () => {
    // GIVEN
    const context = {
      publicBaseUrl: 'https://zmiana-sd.mrpips.gov.pl/',
      senderEmail: 'powiadomienia@zmiana-sd.mrpips.gov.pl',
      createSesIdentity: 'true',
      logRetentionDays: '365',
      responseTimeoutDays: '14',
      escalateAfterReminders: '3',
      voivodeshipAdmins: JSON.stringify(Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, `mzt.${code}@uw.gov.pl`]))),
    };
    // WHEN
    const custom = synthesize(context);
    // THEN
    const fns = resourcesOfType(custom.json, 'AWS::Lambda::Function').map(([, r]) => r.Properties!);
    for (const fn of fns.filter((f) => 'PUBLIC_BASE_URL' in f.Environment.Variables)) {
      expect(fn.Environment.Variables.PUBLIC_BASE_URL).toBe('https://zmiana-sd.mrpips.gov.pl');
    }
    custom.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RESPONSE_TIMEOUT_SECONDS: String(14 * 86_400), ESCALATE_AFTER_REMINDERS: '3' }) },
    });
    custom.template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'zmiana-sd.mrpips.gov.pl' });
    custom.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Condition: { StringEquals: { 'ses:FromAddress': 'powiadomienia@zmiana-sd.mrpips.gov.pl' } } }),
        ]),
      },
    });
    for (const [, logGroup] of resourcesOfType(custom.json, 'AWS::Logs::LogGroup')) {
      expect(logGroup.Properties!.RetentionInDays).toBe(365);
    }
    const admins = JSON.parse(fns.find((f) => 'VOIVODESHIP_ADMINS' in f.Environment.Variables)!.Environment.Variables.VOIVODESHIP_ADMINS as string);
    expect(admins['24']).toBe('mzt.24@uw.gov.pl');
    Annotations.fromStack(custom.stack).hasNoWarning('*', Match.anyValue());
  });
});
