import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUSINESS_METRICS } from '../../lambdas/core/metrics.js';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { ACTION_NAMES, type ActionName } from '../../lib/procedure-functions.js';
import { type CfnResource, type CfnTemplate, resourcesOfType, type Synthesized, synthesize } from './synth.js';

/**
 * Operations monitoring (lib/operations-monitoring.ts) and cdk-nag. Expected values are written out here, not
 * imported from the construct, so a changed threshold or metric fails a test instead of being mirrored by it.
 * Tracing and the functions' log groups are asserted in supplier-change-stack.test.ts.
 */

const OPS_EMAIL = 'dyzur.it@mrpips.gov.pl';

/** With the ops address (and the AwsSolutions pack registered: synthesis fails on any unacknowledged finding). */
let synth: Synthesized;
let json: CfnTemplate;
/** Default context: no ops address (also synthesized with the pack). */
let bare: Synthesized;

const logicalId = (construct: IConstruct): string => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
const fnId = (name: ActionName): string => logicalId(synth.stack.functions.byName[name]);
const topicRef = () => ({ Ref: logicalId(synth.stack.monitoring.topic) });

type Dimension = { Name: string; Value: unknown };
const alarms = (template: CfnTemplate = json) => resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, r]) => r.Properties!);
/** The one alarm on namespace/metric with exactly these dimensions. */
function alarmOn(namespace: string, metricName: string, dimensions: Dimension[]): Record<string, any> {
  const found = alarms().filter(
    (a) =>
      a.Namespace === namespace &&
      a.MetricName === metricName &&
      JSON.stringify([...((a.Dimensions as Dimension[] | undefined) ?? [])].sort((x, y) => x.Name.localeCompare(y.Name))) ===
        JSON.stringify([...dimensions].sort((x, y) => x.Name.localeCompare(y.Name))),
  );
  expect(found, `${namespace} ${metricName} ${JSON.stringify(dimensions)}`).toHaveLength(1);
  return found[0]!;
}

/** The dashboard body with every CloudFormation reference replaced by `<Ref:Id>` / `<Id.Attr>`. */
function dashboardBody(): { start?: string; widgets: { type: string; width: number; properties: Record<string, any> }[] } {
  const [[, dashboard]] = resourcesOfType(json, 'AWS::CloudWatch::Dashboard') as [[string, CfnResource]];
  const parts = dashboard.Properties!.DashboardBody['Fn::Join'][1] as unknown[];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (ref.Ref) return `<Ref:${ref.Ref}>`;
      if (ref['Fn::GetAtt']) return `<${ref['Fn::GetAtt'].join('.')}>`;
      throw new Error(`unexpected token in the dashboard body: ${JSON.stringify(part)}`);
    })
    .join('');
  return JSON.parse(text);
}
const metricWidget = (title: string) => {
  const widget = dashboardBody().widgets.find((w) => w.type === 'metric' && w.properties.title === title);
  expect(widget, `metric widget "${title}"`).toBeDefined();
  return widget!.properties as { metrics: unknown[][] };
};
const logWidget = (title: RegExp) => {
  const widget = dashboardBody().widgets.find((w) => w.type === 'log' && title.test(String(w.properties.title)));
  expect(widget, `log widget ${title}`).toBeDefined();
  return widget!.properties as { query: string; view: string };
};
/** [namespace, metric, ...dimension pairs] of a metric widget row (without its options object). */
const metricKeys = (rows: unknown[][]) => rows.map((row) => row.filter((x) => typeof x === 'string').join(' '));
const logGroupSource = (name: ActionName) => `SOURCE '<Ref:${logicalId(synth.stack.functions.byName[name].logGroup)}>'`;

beforeAll(() => {
  // GIVEN the app with an ops address, and with default context, each with cdk-nag's AwsSolutions pack
  // WHEN synthesized (synthesis throws on any finding that is not acknowledged)
  synth = synthesize({ allowPlaceholderAddresses: true, opsAlertEmail: OPS_EMAIL }, { nag: true });
  json = synth.json;
  bare = synthesize({ allowPlaceholderAddresses: true }, { nag: true });
});

describe('ops alert topic', () => {
  it('is encrypted with a rotating customer managed key that CloudWatch alarms may use', () => {
    // THEN
    const [[keyId, key]] = resourcesOfType(json, 'AWS::KMS::Key') as [[string, CfnResource]];
    expect(resourcesOfType(json, 'AWS::SNS::Topic')).toHaveLength(1);
    synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    expect(key.Properties!.EnableKeyRotation).toBe(true);
    expect(key.Properties!.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
  });

  it('refuses publishing without TLS and lets only this account\'s alarms publish', () => {
    // THEN
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef()],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':alarm:*'])] }) },
            },
          }),
        ]),
      },
    });
  });

  it(`subscribes context "opsAlertEmail" by e-mail`, () => {
    // THEN
    expect(resourcesOfType(json, 'AWS::SNS::Subscription').map(([, r]) => r.Properties)).toEqual([
      { Protocol: 'email', Endpoint: OPS_EMAIL, TopicArn: topicRef() },
    ]);
    Annotations.fromStack(synth.stack).hasNoWarning('*', Match.stringLikeRegexp('opsAlertEmail'));
  });

  it('has no subscription without "opsAlertEmail", and says so at synth', () => {
    // THEN
    expect(resourcesOfType(bare.json, 'AWS::SNS::Subscription')).toEqual([]);
    Annotations.fromStack(bare.stack).hasWarning(`/${bare.stack.stackName}/Operations`, Match.stringLikeRegexp('Context "opsAlertEmail" is not set'));
  });

  it('outputs the topic ARN and the dashboard name', () => {
    expect(json.Outputs).toMatchObject({
      OpsAlertTopicArn: { Value: topicRef() },
      OperationsDashboardName: { Value: { Ref: logicalId(synth.stack.monitoring.dashboard) } },
    });
  });
});

describe('alarms', () => {
  it('are exactly: 3 per state machine, 2 per function, API 5xx, SES bounces and complaints, the outbox (dead letters, delay), incidents and stalled cases', () => {
    expect(alarms()).toHaveLength(2 * 3 + ACTION_NAMES.length * 2 + 1 + 2 + 2 + 2);
  });

  it('all notify the ops topic on ALARM and OK, treat missing data as fine, and say what to do in English', () => {
    for (const alarm of alarms()) {
      expect(alarm).toMatchObject({
        AlarmActions: [topicRef()],
        OKActions: [topicRef()],
        TreatMissingData: 'notBreaching',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
      });
      const description = JSON.stringify(alarm.AlarmDescription);
      expect(description.length, String(alarm.AlarmName)).toBeLessThanOrEqual(1024); // CloudFormation limit
      expect(description, String(alarm.AlarmName)).toMatch(/\b(check|find|read|open|tell|fix)\b/i);
      expect(description).not.toMatch(/[ąćęłńóśźż]/i);
    }
    // Distinct names, so a notification says which alarm fired.
    expect(new Set(alarms().map((a) => a.AlarmName)).size).toBe(alarms().length);
  });

  it.each([
    ['procedure', 'ExecutionsFailed'],
    ['procedure', 'ExecutionsTimedOut'],
    ['procedure', 'ExecutionsAborted'],
    ['confirmation', 'ExecutionsFailed'],
    ['confirmation', 'ExecutionsTimedOut'],
    ['confirmation', 'ExecutionsAborted'],
  ] as const)('%s state machine: %s, Sum ≥ 1 over 5 minutes', (machine, metric) => {
    // THEN
    const alarm = alarmOn('AWS/States', metric, [{ Name: 'StateMachineArn', Value: { Ref: logicalId(synth.stack.stateMachines[machine]) } }]);
    expect(alarm).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: 1 });
  });

  it.each(ACTION_NAMES.flatMap((name) => [[name, 'Errors'] as const, [name, 'Throttles'] as const]))('function %s: %s, Sum ≥ 1 over 5 minutes', (name, metric) => {
    // THEN
    const alarm = alarmOn('AWS/Lambda', metric, [{ Name: 'FunctionName', Value: { Ref: fnId(name) } }]);
    expect(alarm).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: 1 });
  });

  it('link pages: AWS/ApiGateway 5xx of the $default stage, Sum ≥ 1 over 5 minutes', () => {
    // THEN
    const alarm = alarmOn('AWS/ApiGateway', '5xx', [
      { Name: 'ApiId', Value: { Ref: logicalId(synth.stack.linkPages.httpApi) } },
      { Name: 'Stage', Value: '$default' },
    ]);
    expect(alarm).toMatchObject({ Statistic: 'Sum', Period: 300, Threshold: 1 });
  });

  it.each([
    ['Reputation.BounceRate', 0.05],
    ['Reputation.ComplaintRate', 0.001],
  ])('SES account reputation: %s ≥ %s (hourly maximum)', (metric, threshold) => {
    // THEN
    const alarm = alarmOn('AWS/SES', metric, []);
    expect(alarm).toMatchObject({ Statistic: 'Maximum', Period: 3600, Threshold: threshold });
  });

  it.each(['IncidentOpened', 'CaseStalled'])('business metric %s of this stack (EMF, namespace ZmianaSD): any in 5 minutes notifies ops', (metric) => {
    // THEN
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'ZmianaSD',
      MetricName: metric,
      Dimensions: [{ Name: 'service', Value: 'SupplierChangeStack' }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef()],
      AlarmDescription: Match.stringLikeRegexp('npm run cases -- '),
    });
  });

  it('alarm on the namespace and service dimension every function emits its business metrics with', () => {
    // GIVEN what the functions are told (Powertools Metrics reads these, lambdas/adapters/metrics.ts)
    for (const name of ACTION_NAMES) {
      expect(json.Resources[fnId(name)]!.Properties!.Environment.Variables, name).toMatchObject({
        POWERTOOLS_METRICS_NAMESPACE: 'ZmianaSD',
        POWERTOOLS_SERVICE_NAME: 'SupplierChangeStack',
      });
    }
    // THEN every alarm on a custom namespace uses exactly those
    const custom = alarms().filter((a) => !String(a.Namespace).startsWith('AWS/'));
    expect(custom.map((a) => [a.Namespace, a.Dimensions])).toEqual(custom.map(() => ['ZmianaSD', [{ Name: 'service', Value: 'SupplierChangeStack' }]]));
    // and another stack name gives another service (two deployments in one account do not mix)
    const staging = synthesize({ allowPlaceholderAddresses: true }, { stackName: 'SupplierChangeStaging' });
    expect(alarms(staging.json).filter((a) => a.Namespace === 'ZmianaSD').map((a) => a.Dimensions)).toEqual([
      [{ Name: 'service', Value: 'SupplierChangeStaging' }],
      [{ Name: 'service', Value: 'SupplierChangeStaging' }],
    ]);
  });

  it('exist without the ops address too (they notify the topic, which has no subscriber yet)', () => {
    expect(alarms(bare.json)).toHaveLength(alarms().length);
  });
});

describe('operations dashboard', () => {
  it('is one dashboard whose default range covers two response timeouts (at least 14 days)', () => {
    synth.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(dashboardBody().start).toBe('-P14D');
    // GIVEN a 10-day response timeout (with the fewest reminders, so that a case still ends within a year)
    const long = synthesize({ allowPlaceholderAddresses: true, responseTimeoutDays: 10, escalateAfterReminders: 1, stalledAfterReminders: 2, stalledWaitDays: 1 });
    // THEN the log widgets look back 20 days
    const [[, dashboard]] = resourcesOfType(long.json, 'AWS::CloudWatch::Dashboard') as [[string, CfnResource]];
    expect(JSON.stringify(dashboard.Properties!.DashboardBody)).toContain('"start\\":\\"-P20D\\"');
  });

  it('covers two of the longest response timeout of any step (context "reminderSchedule")', () => {
    // GIVEN one step waiting 9 days, the others 7 (longer, and a case could pass a Standard execution's year)
    const scheduled = synthesize({ allowPlaceholderAddresses: true, reminderSchedule: { MZT_DEACTIVATED: { responseTimeoutSeconds: 9 * 86_400 } } });
    // THEN the log widgets look back 18 days
    const [[, dashboard]] = resourcesOfType(scheduled.json, 'AWS::CloudWatch::Dashboard') as [[string, CfnResource]];
    expect(JSON.stringify(dashboard.Properties!.DashboardBody)).toContain('"start\\":\\"-P18D\\"');
  });

  it('shows executions started, succeeded and failed per state machine', () => {
    for (const [title, machine] of [
      ['Procedure executions (cases)', 'procedure'],
      ['Confirmation executions (human steps)', 'confirmation'],
    ] as const) {
      const keys = metricKeys(metricWidget(title).metrics);
      const arn = `StateMachineArn <Ref:${logicalId(synth.stack.stateMachines[machine])}>`;
      for (const metric of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
        expect(keys).toContain(`AWS/States ${metric} ${arn}`);
      }
    }
  });

  it('shows errors, throttles and duration of every function', () => {
    for (const [title, metric] of [
      ['Lambda errors', 'Errors'],
      ['Lambda throttles', 'Throttles'],
      ['Lambda duration (p99)', 'Duration'],
    ]) {
      expect(metricKeys(metricWidget(title).metrics).sort()).toEqual(ACTION_NAMES.map((name) => `AWS/Lambda ${metric} FunctionName <Ref:${fnId(name)}>`).sort());
    }
  });

  it('shows the API\'s 4xx, 5xx and latency', () => {
    const api = `ApiId <Ref:${logicalId(synth.stack.linkPages.httpApi)}> Stage $default`;
    expect(metricKeys(metricWidget('Link pages API: 4xx, 5xx and latency').metrics)).toEqual(
      expect.arrayContaining([`AWS/ApiGateway 4xx ${api}`, `AWS/ApiGateway 5xx ${api}`, `AWS/ApiGateway Latency ${api}`]),
    );
  });

  it('shows e-mails sent, delivered, bounced and complained about (SES)', () => {
    expect(metricKeys(metricWidget('E-mails (SES): sent, delivered, bounces, complaints').metrics)).toEqual(
      expect.arrayContaining(['AWS/SES Send', 'AWS/SES Delivery', 'AWS/SES Bounce', 'AWS/SES Complaint']),
    );
  });

  it('shows cases started, completed, stalled, failed, incidents and undeliverable e-mail (business metrics) a day and over the time range', () => {
    const expected = ['CaseStarted', 'CaseCompleted', 'CaseStalled', 'CaseFailed', 'IncidentOpened', 'EmailBounced', 'EmailComplained', 'StepUndeliverable'].map((m) => `ZmianaSD ${m} service SupplierChangeStack`);
    const graph = metricWidget('Cases a day: started, completed, stalled, failed, incidents, undeliverable e-mail');
    expect(metricKeys(graph.metrics)).toEqual(expected);
    for (const row of graph.metrics) expect(row.at(-1)).toMatchObject({ stat: 'Sum', period: 86_400 });
    const totals = metricWidget('Cases in the time range') as { metrics: unknown[][]; setPeriodToTimeRange?: boolean };
    expect(metricKeys(totals.metrics)).toEqual(expected);
    expect(totals.setPeriodToTimeRange).toBe(true);
  });

  it('uses only metrics AWS services publish and the business metrics the handlers emit (namespace ZmianaSD)', () => {
    const rows = dashboardBody()
      .widgets.filter((w) => w.type === 'metric')
      .flatMap((w) => w.properties.metrics as unknown[][]);
    expect(new Set(rows.map((row) => row[0]))).toEqual(new Set(['AWS/States', 'AWS/Lambda', 'AWS/ApiGateway', 'AWS/SES', 'AWS/SQS', 'ZmianaSD']));
    // Only the names lambdas/adapters/metrics.ts accepts (its CaseMetric union).
    const emitted = new Set<string>(BUSINESS_METRICS);
    for (const row of rows.filter((r) => r[0] === 'ZmianaSD')) expect(emitted).toContain(row[1]);
    for (const alarm of alarms()) expect(String(alarm.Namespace)).toMatch(/^(AWS\/|ZmianaSD$)/);
  });

  it('shows the state of every alarm', () => {
    const widget = dashboardBody().widgets.find((w) => w.type === 'alarm')!;
    expect(widget.properties.alarms).toHaveLength(alarms().length);
  });

  it('counts cases by status from the last action logged per case, over every function\'s log group', () => {
    // THEN
    const widget = logWidget(/^Cases by status/);
    for (const name of ACTION_NAMES) expect(widget.query).toContain(logGroupSource(name));
    expect(widget.query).toContain("filter message = 'action done'");
    expect(widget.query).toMatch(/stats latest\(action\) as lastAction by caseId\s*\|\s*stats count\(\*\) as cases by lastAction/);
  });

  it('lists waiting steps by age from request-confirmation\'s requests not followed by a confirmation', () => {
    // THEN
    const widget = logWidget(/^Waiting steps by age/);
    expect(widget.view).toBe('table');
    expect(widget.query.match(/SOURCE '[^']+'/g)).toEqual([logGroupSource('request-confirmation'), logGroupSource('confirmation-links')]);
    expect(widget.query).toContain("(message = 'action done' and action = 'request-confirmation') or message = 'step confirmed'");
    expect(widget.query).toMatch(/by caseId, stepId/);
    expect(widget.query).toContain("filter lastMessage = 'action done'");
    expect(widget.query).toContain('sort firstRequested asc');
  });

  it('also counts actions done by action and lists the latest ERROR lines', () => {
    expect(logWidget(/^Actions done by action/).query).toMatch(/filter message = 'action done'\s*\|\s*stats count\(\*\) as done.* by action/);
    expect(logWidget(/^Latest errors/).query).toContain("filter level = 'ERROR'");
  });

  it('queries only messages and fields the handlers actually log (ids, never personal data)', () => {
    // GIVEN what the handlers log (lambdas/adapters/runtime.ts, lambdas/confirmation-links/index.ts, lambdas/core/log.ts)
    const runtime = readFileSync(join(PROJECT_ROOT, 'lambdas', 'adapters', 'runtime.ts'), 'utf8');
    const links = readFileSync(join(PROJECT_ROOT, 'lambdas', 'confirmation-links', 'index.ts'), 'utf8');
    expect(runtime).toMatch(/log\.info\('action done', \{ action, caseId: input\.caseId, step: input\.step, ms: /);
    expect(links).toMatch(/log\.info\('step confirmed', \{ caseId: record\.caseId, step: step\.stepKey \}\)/);
    const logged = new Set(['level', 'message', 'timestamp', 'action', 'caseId', 'step', 'ms', 'error', 'reason', 'method', 'path', 'limit']);
    // THEN every field a log widget reads is logged, or is a Logs Insights field / a name the query defines
    for (const widget of dashboardBody().widgets.filter((w) => w.type === 'log')) {
      const query = String(widget.properties.query).replace(/SOURCE '[^']+'\s*\|/g, '').replace(/'[^']*'/g, "''");
      const defined = new Set([...query.matchAll(/\bas (\w+)/g), ...query.matchAll(/\?<(\w+)>/g)].map((m) => m[1]));
      const keywords = new Set(['filter', 'and', 'or', 'stats', 'by', 'as', 'sort', 'asc', 'desc', 'limit', 'fields', 'parse', 'ispresent', 'latest', 'count', 'min', 'max', 'avg']);
      const words = [...query.replace(/\/[^/]*\//g, '').matchAll(/(?<![@\w])([a-zA-Z]\w*)/g)].map((m) => m[1]!);
      for (const word of words) {
        if (keywords.has(word) || defined.has(word)) continue;
        expect(logged, `${widget.properties.title}: field "${word}"`).toContain(word);
      }
    }
  });
});

describe('conventions the monitoring relies on', () => {
  const lambdaSources = () =>
    (readdirSync(join(PROJECT_ROOT, 'lambdas'), { recursive: true, encoding: 'utf8' }) as string[])
      .filter((file) => file.endsWith('.ts') && file !== join('core', 'log.ts'))
      .map((file) => ({ file, source: readFileSync(join(PROJECT_ROOT, 'lambdas', file), 'utf8') }));

  it('execution names are case ids: the procedure by the case id, each child <case id>-<STEP>-<round>', () => {
    // GIVEN
    const workflow = readFileSync(join(PROJECT_ROOT, 'lambdas', 'adapters', 'workflow.ts'), 'utf8');
    const asl = JSON.stringify(JSON.parse(readFileSync(join(PROJECT_ROOT, 'statemachine', 'procedure.asl.json'), 'utf8')));
    // THEN
    expect(workflow).toMatch(/new StartExecutionCommand\(\{ stateMachineArn, name: caseId,/);
    const childStarts = asl.split('arn:aws:states:::states:startExecution.sync:2').length - 1;
    const names = [...asl.matchAll(/"Name\.\$":"([^"]+)"/g)].map((m) => m[1]!);
    expect(names).toHaveLength(childStarts);
    for (const name of names) expect(name).toMatch(/^States\.Format\('\{\}-[A-Z_]+-(\d|\{\})', \$\.caseId(, \$\.[\w.]+)?\)$/);
  });

  it('every log line carries ids and outcomes only (no addresses, names, links or tokens), the case id where there is a case', () => {
    // GIVEN every log call in the lambdas
    const calls = lambdaSources().flatMap(({ file, source }) =>
      [...source.matchAll(/\blog\.(?:info|warn|error)\(\s*([^,]+?),\s*\{([^}]*)\}/g)].map((m) => ({
        file,
        message: m[1]!,
        keys: m[2]!.split(',').map((part) => part.split(':')[0]!.trim()).filter(Boolean),
      })),
    );
    expect(calls.length).toBeGreaterThanOrEqual(8);
    // THEN
    // (send-email: the queue's message id, the receive count and the batch's counts; the form's refusals: the
    // browser's Sec-Fetch-Site value, and which limit was hit)
    const ids = new Set(['action', 'caseId', 'step', 'ms', 'error', 'reason', 'method', 'path', 'limit', 'outboxMessageId', 'receiveCount', 'sent', 'alreadySent', 'throttled', 'rejected', 'leftOnQueue', 'fetchSite', 'per']);
    for (const call of calls) {
      for (const key of call.keys) expect(ids, `${call.file}: ${call.message} logs "${key}"`).toContain(key);
      // Lines about one case name it (the page-level lines and the rate-limit warning have no case yet).
      const aboutACase = call.keys.includes('step') || /confirmed|procedure/.test(call.message);
      if (aboutACase) expect(call.keys, `${call.file}: ${call.message}`).toContain('caseId');
    }
  });
});

describe('cdk-nag AwsSolutions', () => {
  const rawChecks = () => {
    // The pack with acknowledgements ignored: what it would report without lib/nag-acknowledgements.ts.
    const pack = new AwsSolutionsChecks();
    Object.defineProperty(pack, 'isAcknowledged', { value: () => false });
    return pack;
  };

  it('reports no unacknowledged error or warning, with or without the ops address', () => {
    // THEN (synthesis with the pack registered already passed in beforeAll; this shows what is left, if anything)
    for (const { stack } of [synth, bare]) {
      const report = new AwsSolutionsChecks().validateScope(stack.node.root);
      expect(report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    }
  });

  it('is clean with the SES identity created as well', () => {
    const withIdentity = synthesize({ allowPlaceholderAddresses: true, createSesIdentity: 'true', opsAlertEmail: OPS_EMAIL });
    expect(new AwsSolutionsChecks().validateScope(withIdentity.stack.node.root).violations).toEqual([]);
  });

  it('catches what it should (control: an SNS topic without TLS enforcement is reported)', () => {
    // GIVEN
    const app = new App();
    new Topic(new Stack(app, 'Control'), 'Plain');
    // THEN
    expect(new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName)).toContain('AwsSolutions-SNS3');
  });

  it('acknowledges only findings that exist, each on the construct it concerns, with a specific reason', () => {
    // GIVEN what the pack finds when acknowledgements are ignored
    const raw = rawChecks().validateScope(synth.stack.node.root).violations;
    const acks = synth.stack.nagAcknowledgements;
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      // THEN it matches a real finding below the construct it is recorded on ...
      const finding = raw.find((v) => v.ruleName === ack.id);
      expect(finding, `${ack.id} on ${ack.path} is not a finding any more`).toBeDefined();
      expect(finding!.violatingResources.some((r) => String(r.constructPath).startsWith(`${ack.path}/`)), `${ack.id} on ${ack.path}`).toBe(true);
      // ... is never stack-wide, and says why
      expect(ack.path.split('/').length, ack.path).toBeGreaterThan(2);
      expect(ack.reason.length, ack.id).toBeGreaterThan(80);
    }
    // IAM findings are acknowledged per finding (Resource::…), never for the whole rule.
    for (const ack of acks.filter((a) => a.id.includes('-IAM'))) expect(ack.id).toMatch(/^AwsSolutions-IAM5\[Resource::.+\]$/);
    // And every raw finding is acknowledged (the rest was fixed).
    const acknowledged = new Set(acks.map((a) => a.id));
    expect(raw.map((v) => v.ruleName).filter((id) => !acknowledged.has(id))).toEqual([]);
  });

  it('acknowledges the expected kinds of findings only', () => {
    const kinds = new Set(synth.stack.nagAcknowledgements.map((a) => a.id.replace(/\[.*$/, '')));
    expect(kinds).toEqual(new Set(['AwsSolutions-IAM5', 'AwsSolutions-APIG4', 'AwsSolutions-SMG4', 'AwsSolutions-CFR1', 'AwsSolutions-CFR3', 'AwsSolutions-CFR4']));
  });

  it('keeps Resource "*" to X-Ray and Step Functions log delivery (what the IAM5[Resource::*] acknowledgements cover)', () => {
    // THEN
    const allowed = /^(xray:(PutTraceSegments|PutTelemetryRecords|GetSamplingRules|GetSamplingTargets)|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))$/;
    for (const [id, policy] of resourcesOfType(json, 'AWS::IAM::Policy')) {
      for (const statement of policy.Properties!.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        if (!resources.includes('*')) continue;
        for (const action of [statement.Action].flat()) expect(action, id).toMatch(allowed);
      }
    }
  });
});
