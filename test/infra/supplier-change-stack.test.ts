import type { CfnElement } from 'aws-cdk-lib';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { formConfigSchema, parseConfig as parseLambdaConfig } from '../../lambdas/core/config.js';
import { CONFIRMATION_PATH, STATUS_PATH } from '../../lambdas/core/links.js';
import { FORM_PATH } from '../../lambdas/notification-form/index.js';
import { CASE_TTL_ATTRIBUTE } from '../../lib/case-table.js';
import { VOIVODESHIP_CODES } from '../../lib/config.js';
import { DEFAULT_THROTTLE, FORM_POST_THROTTLE, LINK_PAGE_ROUTES } from '../../lib/link-page-routes.js';
import { FUNCTION_TIMEOUT_SECONDS } from '../../lib/function-timeouts.js';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { ACTION_NAMES, ACTION_NEEDS, type ActionName, type ActionNeeds, needsProblems } from '../../lib/procedure-functions.js';
import { CONFIRMATION_INVOKES, PROCEDURE_INVOKES } from '../../lib/procedure-state-machines.js';
import { type CfnTemplate, resourcesOfType, type Synthesized, synthesize } from './synth.js';

/** The environment as the function sees it: tokens (Ref, Fn::GetAtt) stand for strings that exist at deploy time. */
const resolvedForLambda = (env: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).map(([key, value]) => [key, typeof value === 'string' ? value : `resolved-${key}`]));

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

// The unqualified ARNs the ASL invokes: no versions or aliases.
const invokeResources = (name: ActionName) => [{ 'Fn::GetAtt': [fnId(name), 'Arn'] }];

/**
 * What each function must get, written out here independently of ACTION_NEEDS from what the handlers use
 * (lambdas/<name>/index.ts, the adapters' factories, lambdas/core/config.ts), so a wrong row in
 * ACTION_NEEDS fails these tests instead of being mirrored by them.
 */
const MAIL_ENV = ['OUTBOX_QUEUE_URL', 'MRPIPS_EMAIL', 'VOIVODESHIP_ADMINS', 'PUBLIC_BASE_URL'];
const SES_ENV = ['SENDER_EMAIL', 'SES_CONFIGURATION_SET', 'SEND_RATE_PER_SECOND'];
const KEYS_ENV = ['LINK_KEYS_SECRET_ARN'];
/** The page functions answer only what CloudFront passes on (LinkPagesDistribution's origin-verification secret). */
const ORIGIN_ENV = ['ORIGIN_VERIFICATION_SECRET_ARN'];
const STATUS_KEYS_ENV = ['STATUS_KEYS_SECRET_ARN'];
/** REMINDER_SCHEDULE only when context "reminderSchedule" is given (not in the default synthesis these rows describe). */
const FORM_ENV = [
  'PROCEDURE_STATE_MACHINE_ARN', 'RESPONSE_TIMEOUT_SECONDS', 'ESCALATE_AFTER_REMINDERS', 'STALLED_AFTER_REMINDERS', 'STALLED_WAIT_SECONDS',
  'NOTIFICATIONS_PER_HOUR_PER_IP', 'NOTIFICATIONS_PER_HOUR_PER_CONTACT', 'INCIDENT_WAIT_SECONDS',
  // the site's own origin (cross-site posts are refused) and the form-token keys, not the link-signing ones
  'PUBLIC_BASE_URL', 'FORM_KEYS_SECRET_ARN',
];
const EXPECTED_ENV: Record<ActionName, string[]> = {
  'register-case': [],
  'request-confirmation': [...MAIL_ENV, ...KEYS_ENV, ...STATUS_KEYS_ENV],
  'escalate-step': [...MAIL_ENV, ...STATUS_KEYS_ENV],
  'apply-response': [...MAIL_ENV, ...STATUS_KEYS_ENV],
  'change-collection-states': [],
  'send-notice': [...MAIL_ENV, ...STATUS_KEYS_ENV],
  'record-failure': [],
  'open-incident': [...MAIL_ENV, ...STATUS_KEYS_ENV, 'OPERATIONS_EMAIL', 'MAX_INCIDENTS_PER_CASE'],
  'record-ended-execution': [...MAIL_ENV, ...STATUS_KEYS_ENV, 'OPERATIONS_EMAIL'],
  'record-delivery-event': [...MAIL_ENV, ...STATUS_KEYS_ENV],
  'send-email': [...MAIL_ENV, ...STATUS_KEYS_ENV, ...SES_ENV],
  'notification-form': [...FORM_ENV, ...ORIGIN_ENV],
  'confirmation-links': [...MAIL_ENV, ...KEYS_ENV, ...STATUS_KEYS_ENV, ...ORIGIN_ENV, 'MAX_HAND_OVERS_PER_STEP'],
  'case-status': [...STATUS_KEYS_ENV, ...ORIGIN_ENV, 'STATUS_LINK_DAYS_AFTER_END'],
};
/** Every e-mail carries a signed status link: every sender reads the status keys. */
const MAIL_SENDERS: ActionName[] = ['request-confirmation', 'escalate-step', 'apply-response', 'send-notice', 'open-incident', 'record-ended-execution', 'record-delivery-event', 'send-email', 'confirmation-links'];
/** Only the outbox's sender talks to SES. */
const SES_SENDERS: ActionName[] = ['send-email'];
/** Only the two functions that sign or verify links that act on a step read the link-signing keys. */
const SECRET_READERS: ActionName[] = ['request-confirmation', 'confirmation-links'];
/** The status page verifies status links, and reads no other key. */
const STATUS_SECRET_READERS: ActionName[] = [...MAIL_SENDERS, 'case-status'];
/** The link pages, behind CloudFront: each reads the origin-verification value (LinkPagesDistribution). */
const PAGE_FUNCTIONS: ActionName[] = ['notification-form', 'confirmation-links', 'case-status'];
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:TransactWriteItems'];

const handlerSource = (name: ActionName) => readFileSync(join(PROJECT_ROOT, 'lambdas', name, 'index.ts'), 'utf8');

beforeAll(() => {
  // GIVEN the app with default context
  // WHEN it is synthesized
  synth = synthesize({ allowPlaceholderAddresses: true });
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

  it(`expires items by DynamoDB TTL on "${CASE_TTL_ATTRIBUTE}" (form submissions and rate-limit counters)`, () => {
    // THEN
    expect(CASE_TTL_ATTRIBUTE).toBe('expiresAt');
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('TTL attribute is the one the case store writes on SUBMISSION# and LIMIT# items only', () => {
    // GIVEN
    const store = readFileSync(join(PROJECT_ROOT, 'lambdas', 'adapters', 'case-store.ts'), 'utf8');
    // THEN the store sets it (so TTL is not a no-op) ...
    expect(store).toContain(`'#expiresAt': '${CASE_TTL_ATTRIBUTE}'`);
    // ... and no long-lived item type has a field of that name (a case or step carrying it would be deleted).
    for (const file of ['case.ts', 'step-record.ts']) {
      expect(readFileSync(join(PROJECT_ROOT, 'lambdas', 'core', file), 'utf8'), file).not.toMatch(new RegExp(`\\b${CASE_TTL_ATTRIBUTE}\\??:`));
    }
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

  it.each(ACTION_NAMES)('%s: Node.js 24 on arm64, X-Ray active, ESM handler, own log group with retention, the timeout the local stack enforces', (name) => {
    // THEN
    const fn = json.Resources[fnId(name)]!;
    expect(fn.Properties).toMatchObject({
      Timeout: FUNCTION_TIMEOUT_SECONDS[name],
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
    });
    const logGroupId = (fn.Properties!.LoggingConfig.LogGroup as { Ref: string }).Ref;
    expect(json.Resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 90 } });
  });

  it.each(ACTION_NAMES)('%s: its role writes only its own log group (no AWS managed policy)', (name) => {
    // THEN
    const role = json.Resources[fnRoleId(name)]!;
    expect(role.Properties!.ManagedPolicyArns).toBeUndefined();
    const logGroupId = (json.Resources[fnId(name)]!.Properties!.LoggingConfig.LogGroup as { Ref: string }).Ref;
    const logWrites = statementsOfRole(fnRoleId(name)).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
    expect(logWrites).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
    ]);
  });

  it('has a function for every action directory under lambdas/ and a directory for every action', () => {
    // GIVEN
    const dirs = readdirSync(join(PROJECT_ROOT, 'lambdas'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(PROJECT_ROOT, 'lambdas', d.name, 'index.ts')))
      .map((d) => d.name);
    // THEN
    expect([...ACTION_NAMES].sort()).toEqual(dirs.sort());
  });

  it.each(ACTION_NAMES)('%s: ACTION_NEEDS matches what the handler uses (lambdas/<name>/index.ts)', (name) => {
    // GIVEN
    const source = handlerSource(name);
    const needs: ActionNeeds = ACTION_NEEDS[name];
    // THEN (the handlers build their dependencies with the adapters' factories: caseStore(), outbox(), sesMailer(), workflow(), loadStatusLinks(), mailConfig())
    expect(needs.sendsEmail, 'sendsEmail <=> outbox()').toBe(/\boutbox\(\)/.test(source));
    expect(needs.drainsOutbox ?? false, 'drainsOutbox <=> sesMailer()').toBe(/\bsesMailer\(\)/.test(source));
    expect(needs.signingKeys, 'signingKeys <=> loadSigningKeys()').toBe(/\bloadSigningKeys\(\)/.test(source));
    expect(needs.statusKeys, 'statusKeys <=> loadStatusKeys() / loadStatusLinks()').toBe(/\b(loadStatusKeys|loadStatusLinks)\(\)/.test(source));
    expect(needs.publicBaseUrl, 'publicBaseUrl <=> mailConfig() / loadStatusLinks() / outbox() / formConfigSchema').toBe(/\b(mailConfig|loadStatusLinks|outbox)\(\)/.test(source) || source.includes('formConfigSchema'));
    expect(needs.formKeys ?? false, 'formKeys <=> loadFormKeys()').toBe(/\bloadFormKeys\(\)/.test(source));
    expect(needs.startsProcedure, 'startsProcedure <=> formConfigSchema').toBe(source.includes('formConfigSchema'));
    expect(needs.answersTasks, 'answersTasks <=> workflow.completeTask').toBe(/\.completeTask\(/.test(source));
    expect(source, 'every action uses the case table').toMatch(/\bcaseStore\(\)/);
    if (Object.values(needs.table).every((access) => !access.write)) {
      const storeCalls = [...source.matchAll(/\bstore\.(\w+)\(/g)].map((m) => m[1]!);
      expect(storeCalls.length).toBeGreaterThan(0);
      for (const method of storeCalls) expect(method, `${name} is read-only but calls store.${method}`).toMatch(/^(get|list)/);
    }
  });

  it('keeps ACTION_NEEDS consistent (every sender gets PUBLIC_BASE_URL and the status keys)', () => {
    // THEN
    expect(ACTION_NAMES.flatMap((name) => needsProblems(name, ACTION_NEEDS[name]))).toEqual([]);
    expect(ACTION_NAMES.filter((name) => ACTION_NEEDS[name].sendsEmail).sort()).toEqual([...MAIL_SENDERS].sort());
    expect(ACTION_NAMES.filter((name) => ACTION_NEEDS[name].signingKeys).sort()).toEqual([...SECRET_READERS].sort());
    expect(ACTION_NAMES.filter((name) => ACTION_NEEDS[name].statusKeys).sort()).toEqual([...STATUS_SECRET_READERS].sort());
    // and a row that breaks it is reported
    const broken: ActionNeeds = { ...ACTION_NEEDS['send-notice'], statusKeys: false, publicBaseUrl: false };
    expect(needsProblems('x', broken)).toEqual([
      expect.stringContaining('PUBLIC_BASE_URL'),
      expect.stringContaining('status link'),
    ]);
  });

  it.each(ACTION_NAMES)('%s: environment holds only what the action needs', (name) => {
    // GIVEN
    // (every function: Node options, the case table, and the business metrics' namespace and service, so any action may count an event)
    const expected = ['NODE_OPTIONS', 'TABLE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME', ...EXPECTED_ENV[name]];
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

  it('passes the timing, the per-address limit and the procedure ARN to notification-form', () => {
    // THEN
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^notification-form:'),
      Environment: {
        Variables: Match.objectLike({
          PROCEDURE_STATE_MACHINE_ARN: { Ref: procedureId() },
          RESPONSE_TIMEOUT_SECONDS: String(7 * 86_400),
          ESCALATE_AFTER_REMINDERS: '2',
          STALLED_AFTER_REMINDERS: '3',
          STALLED_WAIT_SECONDS: String(7 * 86_400),
          NOTIFICATIONS_PER_HOUR_PER_IP: '20',
          NOTIFICATIONS_PER_HOUR_PER_CONTACT: '5',
          INCIDENT_WAIT_SECONDS: String(7 * 86_400),
        }),
      },
    });
  });

  it('tells open-incident where incidents go (mrpipsEmail unless operationsEmail is set) and how many a case may have', () => {
    // THEN
    expect(json.Resources[fnId('open-incident')]!.Properties!.Environment.Variables).toMatchObject({
      OPERATIONS_EMAIL: 'sekretariat.di@mrpips.gov.pl',
      MAX_INCIDENTS_PER_CASE: '3',
    });
  });

  it('gives notification-form no REMINDER_SCHEDULE unless context "reminderSchedule" is set, and an environment formConfigSchema accepts', () => {
    // GIVEN
    const env = json.Resources[fnId('notification-form')]!.Properties!.Environment.Variables as Record<string, unknown>;
    // THEN
    expect(env).not.toHaveProperty('REMINDER_SCHEDULE');
    const parsed = parseLambdaConfig(formConfigSchema, { ...resolvedForLambda(env), PUBLIC_BASE_URL: 'https://resolved.example' });
    expect(parsed).toMatchObject({ RESPONSE_TIMEOUT_SECONDS: 604_800, ESCALATE_AFTER_REMINDERS: 2, STALLED_AFTER_REMINDERS: 3, STALLED_WAIT_SECONDS: 604_800, REMINDER_SCHEDULE: {}, INCIDENT_WAIT_SECONDS: 604_800 });
  });

  it('the case store and the send schedule call only single-item reads and writes and Query (test/infra/case-table-access.test.ts holds who may call which)', () => {
    // GIVEN the commands the table's adapters send
    const sent = ['case-store.ts', 'send-schedule.ts'].flatMap((file) => [...readFileSync(join(PROJECT_ROOT, 'lambdas', 'adapters', file), 'utf8').matchAll(/new (\w+)Command\(/g)].map((m) => `dynamodb:${m[1]}`));
    // THEN
    expect([...new Set(sent)].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
  });

  it('case-status cannot write to the table', () => {
    // THEN
    const actions = statementsOfRole(fnRoleId('case-status')).flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    for (const action of WRITE_ACTIONS) expect(actions).not.toContain(action);
    expect(actions.filter((a) => /^dynamodb:.*\*/.test(a))).toEqual([]);
  });

  it('grants no Scan, deletes, batches, transactions or streams to anyone', () => {
    // THEN
    const all = allStatements().flatMap(({ statement }) => actionsOf(statement));
    for (const action of [
      'dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:DeleteTable', 'dynamodb:GetRecords', 'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:TransactWriteItems', 'dynamodb:*',
    ]) {
      expect(all).not.toContain(action);
    }
  });
});

describe('SES sender', () => {
  const sesIdentity = (identity: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:identity/${identity}`]],
  });

  const configurationSetArn = () => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':configuration-set/', { Ref: synth.stack.getLogicalId(synth.stack.sender.configurationSet.node.defaultChild as CfnElement) }]],
  });

  it.each(ACTION_NAMES)('%s: may send mail through SES only as the sender, with its configuration set, and only if it drains the outbox', (name) => {
    // THEN
    const ses = grantsAction(statementsOfRole(fnRoleId(name)), 'ses:SendEmail');
    expect((ACTION_NEEDS[name] as ActionNeeds).drainsOutbox ?? false).toBe(SES_SENDERS.includes(name));
    if (!SES_SENDERS.includes(name)) {
      expect(statementsOfRole(fnRoleId(name)).flatMap(actionsOf).filter((a) => a.startsWith('ses:'))).toEqual([]);
      return;
    }
    expect(ses).toEqual([
      {
        Effect: 'Allow',
        Action: 'ses:SendEmail',
        // With a configuration set named in the send, SES authorises it against the identity AND the configuration set.
        Resource: [sesIdentity('zmiana-sd.example.gov.pl'), sesIdentity('no-reply@zmiana-sd.example.gov.pl'), configurationSetArn()],
        Condition: { StringEquals: { 'ses:FromAddress': 'no-reply@zmiana-sd.example.gov.pl' } },
      },
    ]);
  });

  it('does not create an SES identity unless asked', () => {
    synth.template.resourceCountIs('AWS::SES::EmailIdentity', 0);
  });
});

describe('SigningKeysSecret: the link keys and the status-link keys', () => {
  it('two secrets, the confirmation links\' and the status links\', each generating {"current":"k1","k1":<64 alphanumerics>} with the value out of the template', () => {
    // THEN
    // (the others are the form-token keys, a SigningKeysSecret too, and CloudFront's origin-verification value, LinkPagesDistribution)
    synth.template.resourceCountIs('AWS::SecretsManager::Secret', 4);
    for (const secret of [synth.stack.signingKeys.secret, synth.stack.statusKeys.secret]) {
      expect(json.Resources[logicalId(secret)]).toMatchObject({
        Type: 'AWS::SecretsManager::Secret',
        DeletionPolicy: 'Retain',
        Properties: {
          GenerateSecretString: {
            SecretStringTemplate: JSON.stringify({ current: 'k1' }),
            GenerateStringKey: 'k1',
            PasswordLength: 64,
            ExcludePunctuation: true,
            IncludeSpace: false,
          },
        },
      });
      expect(json.Resources[logicalId(secret)]!.Properties).not.toHaveProperty('SecretString');
    }
  });

  /** The secrets each function's role may read (GetSecretValue only, nothing else of Secrets Manager). */
  const secretsReadBy = (name: ActionName): unknown[] => {
    const statements = statementsOfRole(fnRoleId(name)).filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    for (const statement of statements) expect(actionsOf(statement), name).toEqual(['secretsmanager:GetSecretValue']);
    return statements.flatMap((s) => [s.Resource].flat());
  };

  it.each(ACTION_NAMES)('%s: reads exactly the secrets it needs, each with its variable', (name) => {
    // THEN
    const linkKeys = { Ref: logicalId(synth.stack.signingKeys.secret) };
    const statusKeys = { Ref: logicalId(synth.stack.statusKeys.secret) };
    const originValue = { Ref: logicalId(synth.stack.edge.originSecret) };
    const formKeys = { Ref: logicalId(synth.stack.formKeys.secret) };
    const expected = [
      ...(SECRET_READERS.includes(name) ? [linkKeys] : []),
      ...(STATUS_SECRET_READERS.includes(name) ? [statusKeys] : []),
      ...(PAGE_FUNCTIONS.includes(name) ? [originValue] : []),
      ...(name === 'notification-form' ? [formKeys] : []),
    ];
    expect(secretsReadBy(name).map((r) => JSON.stringify(r)).sort()).toEqual(expected.map((r) => JSON.stringify(r)).sort());
    const variables = json.Resources[fnId(name)]!.Properties!.Environment.Variables as Record<string, unknown>;
    expect(variables.LINK_KEYS_SECRET_ARN, name).toEqual(SECRET_READERS.includes(name) ? linkKeys : undefined);
    expect(variables.STATUS_KEYS_SECRET_ARN, name).toEqual(STATUS_SECRET_READERS.includes(name) ? statusKeys : undefined);
  });

  it('the status page (case-status) cannot read the link-signing secret: it could mint links that act', () => {
    // THEN
    const linkKeys = JSON.stringify({ Ref: logicalId(synth.stack.signingKeys.secret) });
    expect(secretsReadBy('case-status').map((r) => JSON.stringify(r))).not.toContain(linkKeys);
    expect(secretsReadBy('case-status').map((r) => JSON.stringify(r)).sort()).toEqual(
      [{ Ref: logicalId(synth.stack.statusKeys.secret) }, { Ref: logicalId(synth.stack.edge.originSecret) }].map((r) => JSON.stringify(r)).sort(),
    );
    expect(json.Resources[fnId('case-status')]!.Properties!.Environment.Variables).not.toHaveProperty('LINK_KEYS_SECRET_ARN');
  });
});
describe('SigningKeysSecret: the form-token keys', () => {
  it('is a secret of its own, generated as the link keys are, its value not in the template', () => {
    const resource = json.Resources[logicalId(synth.stack.formKeys.secret)]!;
    expect(resource.Type).toBe('AWS::SecretsManager::Secret');
    expect(logicalId(synth.stack.formKeys.secret)).not.toBe(logicalId(synth.stack.signingKeys.secret));
    expect(resource.Properties).toMatchObject({ GenerateSecretString: { SecretStringTemplate: JSON.stringify({ current: 'k1' }), GenerateStringKey: 'k1', PasswordLength: 64, ExcludePunctuation: true } });
    expect(resource.Properties).not.toHaveProperty('SecretString');
  });

  it('is readable by notification-form alone, which cannot read the link-signing keys (it cannot mint action links)', () => {
    const secretRef = { Ref: logicalId(synth.stack.formKeys.secret) };
    const readers = allStatements().filter(({ statement }) => JSON.stringify(statement.Resource) === JSON.stringify(secretRef));
    expect(readers.map(({ roles, statement }) => [roles, statement])).toEqual([[[{ Ref: fnRoleId('notification-form') }], { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretRef }]]);
    const formSecrets = statementsOfRole(fnRoleId('notification-form')).filter((statement) => actionsOf(statement).some((a) => a.startsWith('secretsmanager:')));
    // (the other is CloudFront's origin-verification value, which every page function checks)
    expect(formSecrets.map((statement) => statement.Resource)).toEqual([secretRef, { Ref: logicalId(synth.stack.edge.originSecret) }]);
    for (const name of ACTION_NAMES) {
      const value = json.Resources[fnId(name)]!.Properties!.Environment.Variables.FORM_KEYS_SECRET_ARN as unknown;
      expect(value, name).toEqual(name === 'notification-form' ? secretRef : undefined);
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

  it('lets the procedure invoke exactly its functions (their unqualified ARNs)', () => {
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
          Action: 'states:SendTaskSuccess',
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
    const status = { 'Fn::GetAtt': [fnId('case-status'), 'Arn'] };
    expect(routes.sort((a, b) => a.routeKey.localeCompare(b.routeKey))).toEqual([
      { routeKey: 'ANY /', target: form },
      { routeKey: 'ANY /potwierdzenie', target: links },
      { routeKey: 'ANY /sprawa', target: status },
      { routeKey: 'ANY /zgloszenie', target: form },
      { routeKey: 'POST /', target: form },
      { routeKey: 'POST /zgloszenie', target: form },
    ]);
    // One integration per page function; each may be invoked by the API only on its own routes.
    synth.template.resourceCountIs('AWS::ApiGatewayV2::Integration', 3);
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

  it('hands every method of each page path to its function (its own 405 page answers a PUT, not API Gateway\'s 404), and has no default route', () => {
    // THEN (which function each route reaches: 'routes the link pages to their functions' above)
    for (const path of ['/', '/zgloszenie', '/potwierdzenie', '/sprawa']) {
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `ANY ${path}`, AuthorizationType: 'NONE' });
    }
    expect(resourcesOfType(json, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!.RouteKey)).not.toContain('$default');
  });

  it('serves the paths the lambdas link to (links in e-mails, the form\'s redirect)', () => {
    // THEN
    const served = (target: string) => LINK_PAGE_ROUTES.filter((r) => r.target === target).map((r) => r.path);
    expect(served('confirmation-links')).toContain(CONFIRMATION_PATH);
    expect(served('case-status')).toContain(STATUS_PATH);
    expect(served('notification-form')).toContain(FORM_PATH);
  });

  it('throttles the form\'s POST (on / and /zgloszenie) harder at the route, the other routes keep the stage default', () => {
    // THEN
    expect(FORM_POST_THROTTLE).toEqual({ burstLimit: 10, rateLimit: 2 });
    expect(FORM_POST_THROTTLE.burstLimit).toBeLessThan(DEFAULT_THROTTLE.burstLimit);
    expect(FORM_POST_THROTTLE.rateLimit).toBeLessThan(DEFAULT_THROTTLE.rateLimit);
    const [, stage] = resourcesOfType(json, 'AWS::ApiGatewayV2::Stage')[0]!;
    expect(stage.Properties!.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 50, ThrottlingRateLimit: 20 });
    const formPost = { ThrottlingBurstLimit: 10, ThrottlingRateLimit: 2 };
    expect(stage.Properties!.RouteSettings).toEqual({ 'POST /': formPost, 'POST /zgloszenie': formPost });
    expect(LINK_PAGE_ROUTES.filter((r) => r.throttle).map((r) => r.methods.map((m) => `${m} ${r.path}`))).toEqual([['POST /'], ['POST /zgloszenie']]);
  });

  it('creates the stage after the throttled routes (API Gateway refuses settings for a route key it does not know)', () => {
    // THEN
    const [, stage] = resourcesOfType(json, 'AWS::ApiGatewayV2::Stage')[0]!;
    for (const routeKey of ['POST /', 'POST /zgloszenie']) {
      const [formPostRoute] = resourcesOfType(json, 'AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties!.RouteKey === routeKey)!;
      expect(stage.DependsOn, routeKey).toContain(formPostRoute);
    }
  });

  it('gives the CloudFront distribution, not the API endpoint, as PUBLIC_BASE_URL when publicBaseUrl is not set', () => {
    // THEN (every link in an e-mail goes through CloudFront and WAF; the API's own endpoint refuses it)
    const distribution = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(synth.stack.edge.distribution), 'DomainName'] }]] };
    for (const name of ACTION_NAMES.filter((n) => ACTION_NEEDS[n].publicBaseUrl)) {
      expect(json.Resources[fnId(name)]!.Properties!.Environment.Variables.PUBLIC_BASE_URL, name).toEqual(distribution);
    }
    expect(json.Outputs!.PublicBaseUrl!.Value).toEqual(distribution);
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
      StatusKeysSecretArn: { Value: { Ref: logicalId(synth.stack.statusKeys.secret) } },
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

  it('has no errors, and warns only that placeholder addresses were allowed (naming them) and about the missing ops alert address', () => {
    // THEN
    const annotations = Annotations.fromStack(synth.stack);
    annotations.hasNoError('*', Match.anyValue());
    const warnings = annotations.findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
    expect(warnings).toEqual([
      'Context "allowPlaceholderAddresses" is true: placeholder addresses are accepted. DO NOT DEPLOY THIS SYNTH: on AWS the first e-mail ' +
        'from or to a placeholder fails. Placeholders: senderEmail (address no-reply@zmiana-sd.example.gov.pl); ' +
        `voivodeshipAdmins (addresses for voivodeships ${VOIVODESHIP_CODES.join(', ')}). [ack: zmiana-sd:placeholder-addresses-allowed]`,
      expect.stringContaining('Context "opsAlertEmail" is not set'),
    ]);
  });

  it('warns that placeholder addresses were allowed even when there is none', () => {
    // WHEN
    const real = synthesize({
      allowPlaceholderAddresses: 'true',
      senderEmail: 'powiadomienia@zmiana-sd.mrpips.gov.pl',
      voivodeshipAdmins: Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, `mzt.${code}@uw.gov.pl`])),
    });
    // THEN
    Annotations.fromStack(real.stack).hasWarning(`/${real.stack.stackName}`, Match.stringLikeRegexp('"allowPlaceholderAddresses" is true.*DO NOT DEPLOY.*Placeholders: none\\.'));
  });
});

describe('SupplierChangeStack with context', () => {
  it('uses publicBaseUrl, the sender, retention and creates the SES identity when asked', () => {
    // GIVEN every address real (a synth meant for deployment: no allowPlaceholderAddresses)
    const context = {
      publicBaseUrl: 'https://zmiana-sd.mrpips.gov.pl/',
      senderEmail: 'powiadomienia@zmiana-sd.mrpips.gov.pl',
      createSesIdentity: 'true',
      logRetentionDays: '365',
      // Short enough together for a case to end within a Standard execution's year (lib/config.ts refuses more).
      responseTimeoutDays: '2',
      escalateAfterReminders: '3',
      stalledAfterReminders: '5',
      stalledWaitDays: '10',
      incidentWaitDays: '3',
      maxIncidentsPerCase: '2',
      operationsEmail: 'Dyzur.Procedura@mrpips.gov.pl',
      reminderSchedule: '{ "MZT_DEACTIVATED": { "responseTimeoutSeconds": 259200 },\n  "AGREE_VARIANT": { "escalateAfterReminders": 1, "stalledAfterReminders": 2 } }',
      notificationsPerHourPerIp: '5',
      voivodeshipAdmins: JSON.stringify(Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, `mzt.${code}@uw.gov.pl`]))),
      opsAlertEmail: 'dyzur.it@mrpips.gov.pl',
    };
    // WHEN
    const custom = synthesize(context);
    // THEN
    const fns = resourcesOfType(custom.json, 'AWS::Lambda::Function').map(([, r]) => r.Properties!);
    for (const fn of fns.filter((f) => 'PUBLIC_BASE_URL' in f.Environment.Variables)) {
      expect(fn.Environment.Variables.PUBLIC_BASE_URL).toBe('https://zmiana-sd.mrpips.gov.pl');
    }
    custom.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          RESPONSE_TIMEOUT_SECONDS: String(2 * 86_400),
          ESCALATE_AFTER_REMINDERS: '3',
          STALLED_AFTER_REMINDERS: '5',
          STALLED_WAIT_SECONDS: String(10 * 86_400),
          INCIDENT_WAIT_SECONDS: String(3 * 86_400),
          REMINDER_SCHEDULE: '{"MZT_DEACTIVATED":{"responseTimeoutSeconds":259200},"AGREE_VARIANT":{"escalateAfterReminders":1,"stalledAfterReminders":2}}',
          NOTIFICATIONS_PER_HOUR_PER_IP: '5',
        }),
      },
    });
    // only notification-form gets the timing, and the handler accepts it
    const withSchedule = fns.filter((f) => 'REMINDER_SCHEDULE' in f.Environment.Variables);
    expect(withSchedule.map((f) => f.Description as string)).toEqual([expect.stringMatching(/^notification-form:/)]);
    const form = parseLambdaConfig(formConfigSchema, resolvedForLambda(withSchedule[0]!.Environment.Variables as Record<string, unknown>));
    expect(form.REMINDER_SCHEDULE).toEqual({ MZT_DEACTIVATED: { responseTimeoutSeconds: 259_200 }, AGREE_VARIANT: { escalateAfterReminders: 1, stalledAfterReminders: 2 } });
    expect(form).toMatchObject({ RESPONSE_TIMEOUT_SECONDS: 172_800, ESCALATE_AFTER_REMINDERS: 3, STALLED_AFTER_REMINDERS: 5, STALLED_WAIT_SECONDS: 864_000, INCIDENT_WAIT_SECONDS: 259_200 });
    // open-incident e-mails operations at their own address and holds at most two incidents per case;
    // record-ended-execution e-mails the same address
    const incidents = fns.filter((f) => 'OPERATIONS_EMAIL' in f.Environment.Variables);
    expect(incidents.map((f) => f.Description as string).sort()).toEqual([expect.stringMatching(/^open-incident:/), expect.stringMatching(/^record-ended-execution:/)]);
    expect(incidents.map((f) => f.Environment.Variables.OPERATIONS_EMAIL)).toEqual(['dyzur.procedura@mrpips.gov.pl', 'dyzur.procedura@mrpips.gov.pl']);
    expect(incidents.find((f) => 'MAX_INCIDENTS_PER_CASE' in f.Environment.Variables)!.Environment.Variables).toMatchObject({ MAX_INCIDENTS_PER_CASE: '2' });
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
