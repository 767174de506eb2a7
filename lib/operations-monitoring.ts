import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IHttpApi, IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  LogQueryVisualizationType,
  LogQueryWidget,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CASE_METRICS, METRICS_NAMESPACE, OUTBOX_METRICS, type CaseMetric } from '../lambdas/core/metrics.js';
import { senderSettings } from '../lambdas/core/outbox.js';
import { metricsService } from './procedure-function.js';

/** Every alarm looks at 5-minute sums (SES reputation: the hourly maximum). */
export const ALARM_PERIOD = Duration.minutes(5);
export const SES_REPUTATION_PERIOD = Duration.hours(1);

/** Execution outcomes of a state machine that page ops (AWS/States, Sum ≥ 1 over ALARM_PERIOD). */
export const EXECUTION_ALARM_METRICS = ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'] as const;
export type ExecutionAlarmMetric = (typeof EXECUTION_ALARM_METRICS)[number];

/** Function metrics that page ops (AWS/Lambda, Sum ≥ 1 over ALARM_PERIOD). */
export const FUNCTION_ALARM_METRICS = ['Errors', 'Throttles'] as const;
export type FunctionAlarmMetric = (typeof FUNCTION_ALARM_METRICS)[number];

/** The link pages' server errors (AWS/ApiGateway metric `5xx`, dimensions ApiId and Stage; Sum ≥ 1 over ALARM_PERIOD). */
export const API_5XX_METRIC = '5xx';

/**
 * Account-level SES reputation (AWS/SES, no dimensions; Maximum over SES_REPUTATION_PERIOD). The thresholds are
 * where SES puts an account under review (bounces 5 %, complaints 0.1 %); sending may be paused at 10 % / 0.5 %.
 * Account-level metrics, because that is what SES reviews (the configuration set's own reputation metrics see only
 * this stack's mail).
 */
export const SES_REPUTATION_ALARMS = {
  'Reputation.BounceRate': 0.05,
  'Reputation.ComplaintRate': 0.001,
} as const;
export type SesReputationMetric = keyof typeof SES_REPUTATION_ALARMS;

/**
 * Business metrics that page ops (namespace METRICS_NAMESPACE, dimension `service` = the stack; Sum ≥ 1 over
 * ALARM_PERIOD): emitted as EMF log lines by the handlers (lambdas/adapters/metrics.ts), so CloudWatch extracts
 * them from the logs without a metric filter.
 */
export const CASE_ALARM_METRICS = ['IncidentOpened', 'CaseStalled'] as const satisfies readonly CaseMetric[];

/** Tries of one outbox message before SQS moves it to the dead-letter queue (core/outbox.ts senderSettings). */
const OUTBOX_RECEIVES = senderSettings(1).maxReceiveCount;
/** An outbox message older than this means mail is late. */
export const OUTBOX_DELAY_ALARM = Duration.hours(1);

/** How the dashboard sums business metrics on its graph: cases a day. */
export const CASE_GRAPH_PERIOD = Duration.days(1);

/** E-mail counters shown on the dashboard (AWS/SES, account-level, no dimensions). */
export const SES_SENDING_METRICS = ['Send', 'Delivery', 'Bounce', 'Complaint'] as const;

/** Actions whose `action done` log lines the dashboard's log widgets read (lambdas/adapters/runtime.ts). */
const REQUEST_CONFIRMATION = 'request-confirmation';
const CONFIRMATION_LINKS = 'confirmation-links';

/*
 * Logs Insights queries of the dashboard. They read only what the handlers log (lambdas/core/log.ts: one JSON
 * object per line with level, message, timestamp and ids): state-machine actions log `action done` / `action failed`
 * with action, caseId, step, ms (lambdas/adapters/runtime.ts stateMachineHandler); confirmation-links logs
 * `step confirmed` with caseId and step `<STEP>.<round>`; the link pages log `page failed` with action and error.
 * The case status itself lives on the case item in DynamoDB and is not logged, so the widgets derive what they show
 * from these lines, over the dashboard's time range; counts of cases started, completed, stalled, failed and in
 * incident are the business metrics (CASE_METRICS) instead.
 */

/**
 * "Cases by status" (pie): each case counted once, under the last procedure action logged for it in the time range.
 * Reading: request-confirmation / escalate-step = a participant is awaited; apply-response = a confirmation was just
 * applied; change-collection-states = collections being archived/closed; send-notice = a stage notice went out
 * (registered, rejected, escalated, completed or unconfirmed); record-failure = FAILED; register-case = just submitted.
 */
export const CASES_BY_LAST_ACTION_QUERY = [
  "filter message = 'action done' and ispresent(caseId)",
  'stats latest(action) as lastAction by caseId',
  'stats count(*) as cases by lastAction',
  'sort cases desc',
].join('\n| ');

/**
 * "Waiting steps by age" (table, oldest first): per case and step, when request-confirmation first e-mailed the
 * step in the time range, when it last (re)sent it, and how many requests and reminders went out; a step is listed
 * while its latest line is a request rather than confirmation-links' `step confirmed`. request-confirmation logs the
 * step id without its round, so the round suffix of `step confirmed` is dropped to match them; for steps with
 * several rounds (d: verification and correction) the age counts from the first round requested in the time range.
 */
export const WAITING_STEPS_QUERY = [
  `filter (message = 'action done' and action = '${REQUEST_CONFIRMATION}') or message = 'step confirmed'`,
  'parse step /^(?<stepId>[A-Z_]+)/',
  'stats min(@timestamp) as firstRequested, max(@timestamp) as lastEvent, latest(message) as lastMessage, count(action) as requestsSent by caseId, stepId',
  "filter lastMessage = 'action done'",
  'sort firstRequested asc',
  'limit 100',
].join('\n| ');

/** "Actions done by action" (bar): how many times each action completed in the time range (the brief's `action done` count). */
export const ACTIONS_DONE_QUERY = ["filter message = 'action done'", 'stats count(*) as done, avg(ms) as avgMs, max(ms) as maxMs by action', 'sort done desc'].join('\n| ');

/** "Latest errors" (table): the last ERROR lines of any function, with the ids they carry (never personal data). */
export const LATEST_ERRORS_QUERY = ["filter level = 'ERROR'", 'fields @timestamp, action, caseId, step, message, error', 'sort @timestamp desc', 'limit 50'].join(
  '\n| ',
);

/** The context key that subscribes an ops address to the alerts (lib/config.ts `opsAlertEmail`). */
export const OPS_ALERT_EMAIL_CONTEXT = 'opsAlertEmail';
export const NO_OPS_EMAIL_WARNING = 'zmiana-sd:no-ops-alert-email';

export interface OperationsMonitoringProps {
  /** The two state machines (procedure = parent, confirmation = one child per human step). */
  readonly stateMachines: Readonly<{ procedure: IStateMachine; confirmation: IStateMachine }>;
  /** Every function by action name, with the log group it writes to (read by the dashboard's log widgets). */
  readonly functions: Readonly<Record<string, IFunction & { readonly logGroup: ILogGroup }>>;
  /** The link pages' HTTP API and its stage. */
  readonly api: { readonly httpApi: IHttpApi; readonly stage: IHttpStage };
  /** The e-mail outbox (lib/email-outbox.ts): its dead-letter queue and the age of its oldest message are alarmed. */
  readonly outbox?: { readonly queue: IQueue; readonly deadLetterQueue: IQueue };
  /** Address subscribed to the alert topic (validated by lib/config.ts). No subscription, and a synth warning, when absent. */
  readonly alertEmail?: string;
  /**
   * Default time range of the dashboard. The log widgets only see lines in this range, so it should cover at least
   * one response timeout: a waiting step is re-requested (reminded) once per response timeout.
   * @default 14 days
   */
  readonly timeRange?: Duration;
}

interface AlarmSpec {
  readonly id: string;
  readonly metric: IMetric;
  readonly threshold: number;
  readonly description: string;
}

const pascal = (name: string): string => name.replace(/(^|[-_.])([a-z0-9])/gi, (_m, _s: string, c: string) => c.toUpperCase());

/**
 * Operations monitoring of the procedure: an encrypted, TLS-only SNS topic for ops (optionally with an e-mail
 * subscription), CloudWatch alarms on everything that needs a human (failed / timed-out / aborted executions,
 * function errors and throttles, link-page 5xx, SES bounce and complaint rates, cases in incident or stalled)
 * and a dashboard.
 *
 * Alarms use Sum ≥ 1 over 5 minutes (SES: hourly maximum ≥ the review threshold), treat missing data as not
 * breaching (no traffic is fine), notify the topic on ALARM and again on OK, and say in their description what to do.
 *
 * The topic uses a customer managed KMS key: CloudWatch alarms cannot publish to a topic encrypted with the AWS
 * managed key `alias/aws/sns`, whose key policy cannot grant the CloudWatch service principal.
 *
 * Tracing is set where the resources are made: functions X-Ray Active (ProcedureFunction), state machines with
 * tracing enabled (ProcedureStateMachines). API Gateway HTTP APIs have no X-Ray integration, so traces of a page
 * request start at its function.
 */
export class OperationsMonitoring extends Construct {
  public readonly topic: sns.Topic;
  public readonly alertsKey: kms.Key;
  /** Every alarm, in a stable order: executions, functions, API, SES, business metrics. */
  public readonly alarms: Alarm[] = [];
  public readonly dashboard: Dashboard;

  public constructor(scope: Construct, id: string, props: OperationsMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // ---- the alert topic ----
    this.alertsKey = new kms.Key(this, 'AlertsKey', {
      description: `Encrypts the operations alerts topic of ${stack.stackName}`,
      enableKeyRotation: true,
      // Only in-flight alert messages are encrypted with it: nothing that outlives the topic needs the key.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // What CloudWatch needs to publish to an encrypted topic (the key policy statement AWS documents for alarms).
    this.alertsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheAlertsTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.topic = new sns.Topic(this, 'Alerts', {
      displayName: `${stack.stackName} operations alerts`,
      masterKey: this.alertsKey,
      enforceSSL: true,
    });
    // The topic policy (created for enforceSSL) replaces SNS's default one: allow this account's alarms explicitly.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccountPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    if (props.alertEmail) {
      this.topic.addSubscription(new EmailSubscription(props.alertEmail));
    } else {
      Annotations.of(this).addWarningV2(
        NO_OPS_EMAIL_WARNING,
        `Context "${OPS_ALERT_EMAIL_CONTEXT}" is not set: the alarms notify the ops topic, but nobody is subscribed to it.`,
      );
    }

    // ---- alarms ----
    const specs: AlarmSpec[] = [];
    const machines = [
      { key: 'procedure', sm: props.stateMachines.procedure, what: 'procedure (parent, one execution per case, named by the case id)' },
      { key: 'confirmation', sm: props.stateMachines.confirmation, what: 'confirmation (child, one execution per human step, named <case id>-<STEP>-<round>)' },
    ] as const;
    for (const { key, sm, what } of machines) {
      const metricOf: Record<ExecutionAlarmMetric, IMetric> = {
        ExecutionsFailed: sm.metricFailed({ statistic: 'Sum', period: ALARM_PERIOD }),
        ExecutionsTimedOut: sm.metricTimedOut({ statistic: 'Sum', period: ALARM_PERIOD }),
        ExecutionsAborted: sm.metricAborted({ statistic: 'Sum', period: ALARM_PERIOD }),
      };
      const todo: Record<ExecutionAlarmMetric, string> =
        key === 'procedure'
          ? {
              ExecutionsFailed:
                'A case failed. Step Functions console: this state machine, executions with status Failed; the execution name is the case id. ' +
                'Record failure has set the case to FAILED with the reason. Read the failed state and the functions\' ERROR log lines for that caseId, ' +
                'fix the cause, and tell MRPiPS that the case stopped and why.',
              ExecutionsTimedOut:
                'A case ran out of time (a Standard execution lives at most a year): it was left unanswered. Find the execution by name (case id), ' +
                'see which step waited, and agree with MRPiPS whether the case is closed or notified again.',
              ExecutionsAborted:
                'A case was stopped (StopExecution). Find the execution by name (case id) and check CloudTrail for who stopped it; ' +
                'if it was not intended, tell MRPiPS: the case keeps its last status and no participant is reminded any more.',
            }
          : {
              ExecutionsFailed:
                'A human step failed (execution name <case id>-<STEP>-<round>): its request or reminder could not be e-mailed or recorded. ' +
                'The parent case fails with it (see the procedure alarm). Read the failed state and the ERROR log lines of request-confirmation ' +
                'and escalate-step for that caseId, and fix the cause (SES sending, the case table, the signing-key secret).',
              ExecutionsTimedOut:
                'A human step ran out of time (a Standard execution lives at most a year). Find it by name (<case id>-<STEP>-<round>), ' +
                'check the parent case and tell MRPiPS which participant never answered.',
              ExecutionsAborted:
                'A human step was stopped. The parent stops a running child when the case fails or is stopped, or when the other branch of the ' +
                'parallel step b+c fails: then a procedure alarm fired too. Otherwise someone called StopExecution: check CloudTrail and the parent case.',
            };
      for (const metric of EXECUTION_ALARM_METRICS) {
        specs.push({
          id: `${pascal(key)}${metric}`,
          metric: metricOf[metric],
          threshold: 1,
          description: `${metric} ≥ 1 in 5 minutes on the ${what} state machine. ${todo[metric]}`,
        });
      }
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      specs.push({
        id: `${pascal(name)}Errors`,
        metric: fn.metricErrors({ statistic: 'Sum', period: ALARM_PERIOD }),
        threshold: 1,
        description:
          `Function ${name} failed at least once in 5 minutes (error or timeout). State machines retry transient errors and then record the failure on the case; ` +
          'link pages answer with a 503 page. Find the cause: Logs Insights on this function\'s log group with "filter level = \'ERROR\'" (each line names the action, ' +
          'the case id and the error) and its X-Ray traces. Fix it (right after a deployment: roll back), then check the cases named in those lines.',
      });
      specs.push({
        id: `${pascal(name)}Throttles`,
        metric: fn.metricThrottles({ statistic: 'Sum', period: ALARM_PERIOD }),
        threshold: 1,
        description:
          `Invocations of function ${name} were throttled in the last 5 minutes: the account's Lambda concurrency in this region is exhausted. ` +
          'Check ConcurrentExecutions of the account and what else runs in it; request a higher concurrency quota if the load is legitimate.',
      });
    }
    specs.push({
      id: 'LinkPages5xx',
      metric: props.api.stage.metricServerError({ statistic: 'Sum', period: ALARM_PERIOD }),
      threshold: 1,
      description:
        'The link pages (form, confirmation links, case status) answered with 5xx in the last 5 minutes: participants saw an error page. ' +
        'Check the API access logs (status, integrationError) and the page functions\' "page failed" ERROR lines; then their Errors and Throttles alarms.',
    });
    const sesTodo: Record<SesReputationMetric, string> = {
      'Reputation.BounceRate':
        'The account\'s SES bounce rate reached 5 %: SES puts the account under review at 5 % and may pause sending at 10 %. ' +
        'Every bounce is on its case\'s timeline (EMAIL_BOUNCED, "npm run cases -- show <caseId>"; business metric EmailBounced), and a step whose recipient bounced hard is marked undeliverable (MRPiPS was e-mailed). ' +
        'Find the bouncing addresses there and fix them (voivodeship administrators from context voivodeshipAdmins, contact addresses typed into the form; "npm run cases -- reassign" for a waiting step).',
      'Reputation.ComplaintRate':
        'The account\'s SES complaint rate reached 0.1 %: SES puts the account under review at 0.1 % and may pause sending at 0.5 %. ' +
        'Find out who marks the procedure\'s e-mails as spam (SES reputation dashboard, feedback notifications) and contact them; check that only participants of a case are mailed.',
    };
    for (const [metricName, threshold] of Object.entries(SES_REPUTATION_ALARMS) as [SesReputationMetric, number][]) {
      specs.push({
        id: `Ses${pascal(metricName)}`,
        metric: new Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', period: SES_REPUTATION_PERIOD }),
        threshold,
        description: `${metricName} ≥ ${threshold}. ${sesTodo[metricName]}`,
      });
    }

    if (props.outbox) {
      specs.push({
        id: 'OutboxDeadLetters',
        metric: props.outbox.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: ALARM_PERIOD }),
        threshold: 1,
        description:
          `E-mail is in the outbox's dead-letter queue: send-email could not send it after ${OUTBOX_RECEIVES} tries (SES sending paused for the account, access denied, ` +
          'SES or DynamoDB failing, or an unreadable message). Nobody got these messages. Read send-email\'s ERROR lines ("e-mail not sent; left on the queue": case, ' +
          'message key, error), fix the cause (SES console: account sending status, the sender identity and its policy), then move the messages back: ' +
          '"npm run cases -- outbox redrive". "npm run cases -- outbox" shows both queues.',
      });
      specs.push({
        id: 'OutboxMailDelayed',
        metric: props.outbox.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: ALARM_PERIOD }),
        threshold: OUTBOX_DELAY_ALARM.toSeconds(),
        description:
          `The oldest e-mail in the outbox has waited over ${OUTBOX_DELAY_ALARM.toHumanString()}: mail goes out slower than cases produce it. ` +
          'Either a wave of cases exceeds SES\'s sending rate (context sesMaxSendRate; request a higher "Sending rate" quota in Service Quotas and deploy the new value), ' +
          'or send-email keeps failing (its Errors alarm, its ERROR lines). Participants get their links late: tell MRPiPS if it lasts.',
      });
    }

    const caseMetric = (metricName: CaseMetric, props: { period: Duration; label?: string }) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: metricsService(this) }, statistic: 'Sum', ...props });
    const caseTodo: Record<(typeof CASE_ALARM_METRICS)[number], string> = {
      IncidentOpened:
        'A case went to INCIDENT: one of its actions failed with no hope of retry (or its retries ran out) and the case waits for an operator. ' +
        'MRPiPS operations got an e-mail naming the case, the step and the error. List them with "npm run cases -- incidents", read the error ' +
        '("show <caseId>" and the functions\' ERROR log lines for that caseId), fix the cause, then "retry <caseId>" (or "cancel").',
      CaseStalled:
        'A step of a case passed its final deadline with no answer after every reminder: the case is STALLED and MRPiPS was e-mailed to decide. ' +
        'Find it with "npm run cases -- list --status STALLED" and check with MRPiPS that it resends the link, reassigns the step or cancels the case.',
    };
    for (const metricName of CASE_ALARM_METRICS) {
      specs.push({
        id: `Cases${metricName}`,
        metric: caseMetric(metricName, { period: ALARM_PERIOD }),
        threshold: 1,
        description: `${metricName} ≥ 1 in 5 minutes (business metric ${METRICS_NAMESPACE}/${metricName}). ${caseTodo[metricName]}`,
      });
    }

    const action = new SnsAction(this.topic);
    for (const spec of specs) {
      const alarm = new Alarm(this, `${spec.id}Alarm`, {
        alarmName: `${stack.stackName}-${spec.id}`,
        alarmDescription: spec.description,
        metric: spec.metric,
        threshold: spec.threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
    }

    // ---- dashboard ----
    const logGroupNames = Object.values(props.functions).map((fn) => fn.logGroup.logGroupName);
    const logGroupOf = (name: string): string => {
      const fn = props.functions[name];
      if (!fn) throw new Error(`OperationsMonitoring: no function ${name} (needed by the waiting-steps widget)`);
      return fn.logGroup.logGroupName;
    };
    const fnMetrics = (metric: (fn: IFunction) => IMetric) => Object.values(props.functions).map(metric);
    const sesMetric = (metricName: string) => new Metric({ namespace: 'AWS/SES', metricName, statistic: 'Sum', label: metricName });
    const executions = (sm: IStateMachine) => [
      sm.metricStarted({ statistic: 'Sum', label: 'started' }),
      sm.metricSucceeded({ statistic: 'Sum', label: 'succeeded' }),
      sm.metricFailed({ statistic: 'Sum', label: 'failed' }),
      sm.metricTimedOut({ statistic: 'Sum', label: 'timed out' }),
      sm.metricAborted({ statistic: 'Sum', label: 'aborted' }),
    ];

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-operations`,
      defaultInterval: props.timeRange ?? Duration.days(14),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        width: 24,
        height: 2,
        markdown:
          '## Zmiana dostawcy SD — operations\n' +
          'Execution names are case ids (children: `<case id>-<STEP>-<round>`): search them in the Step Functions console. ' +
          'Logs are JSON lines (level, message, action, caseId, step, ms) with ids only; log widgets cover the dashboard\'s time range.',
      }),
    );
    this.dashboard.addWidgets(
      // Every alarm of this construct and its state.
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }),
    );
    this.dashboard.addWidgets(
      // Executions started / succeeded / failed (and timed out, aborted) of the parent: one execution per case.
      new GraphWidget({ title: 'Procedure executions (cases)', left: executions(props.stateMachines.procedure), width: 12 }),
      // The same for the child: one execution per human step (request, reminders, response).
      new GraphWidget({ title: 'Confirmation executions (human steps)', left: executions(props.stateMachines.confirmation), width: 12 }),
    );
    // Every business metric (EMF, lambdas/adapters/metrics.ts), in the order of a case's life.
    const caseCounts = CASE_METRICS.map((metricName) => caseMetric(metricName, { period: CASE_GRAPH_PERIOD, label: metricName }));
    this.dashboard.addWidgets(
      // Cases started, completed, stalled, failed, incidents opened, and e-mail that bounced or was complained about, a day.
      new GraphWidget({ title: 'Cases a day: started, completed, stalled, failed, incidents, undeliverable e-mail', left: caseCounts, width: 16 }),
      // The same, summed over the dashboard's whole time range.
      new SingleValueWidget({ title: 'Cases in the time range', metrics: caseCounts, setPeriodToTimeRange: true, width: 8 }),
    );
    this.dashboard.addWidgets(
      // Errors (Sum) of every function, one line each.
      new GraphWidget({ title: 'Lambda errors', left: fnMetrics((fn) => fn.metricErrors({ statistic: 'Sum' })), width: 8 }),
      // Throttles (Sum) of every function.
      new GraphWidget({ title: 'Lambda throttles', left: fnMetrics((fn) => fn.metricThrottles({ statistic: 'Sum' })), width: 8 }),
      // p99 duration of every function (the timeout is 30 s).
      new GraphWidget({ title: 'Lambda duration (p99)', left: fnMetrics((fn) => fn.metricDuration({ statistic: 'p99' })), width: 8 }),
    );
    this.dashboard.addWidgets(
      // Link pages: client errors (tampered / expired links, validation) and server errors per period; latency on the right.
      new GraphWidget({
        title: 'Link pages API: 4xx, 5xx and latency',
        left: [
          props.api.stage.metricClientError({ statistic: 'Sum', label: '4xx' }),
          props.api.stage.metricServerError({ statistic: 'Sum', label: '5xx' }),
        ],
        right: [
          props.api.stage.metricLatency({ statistic: 'p50', label: 'latency p50' }),
          props.api.stage.metricLatency({ statistic: 'p99', label: 'latency p99' }),
        ],
        width: 12,
      }),
      // E-mails sent, delivered, bounced and complained about (account-level SES counters), reputation rates on the right.
      new GraphWidget({
        title: 'E-mails (SES): sent, delivered, bounces, complaints',
        left: SES_SENDING_METRICS.map(sesMetric),
        right: (Object.keys(SES_REPUTATION_ALARMS) as SesReputationMetric[]).map(
          (metricName) => new Metric({ namespace: 'AWS/SES', metricName, statistic: 'Maximum', label: metricName }),
        ),
        width: 12,
      }),
    );
    if (props.outbox) {
      const { queue, deadLetterQueue } = props.outbox;
      this.dashboard.addWidgets(
        // The outbox: what waits and for how long; what send-email sent and how often SES refused it for the rate.
        new GraphWidget({
          title: 'Outbox: e-mail waiting, in the dead-letter queue, and the oldest one (s)',
          left: [
            queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', label: 'waiting' }),
            queue.metricApproximateNumberOfMessagesNotVisible({ statistic: 'Maximum', label: 'being sent' }),
            deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', label: 'dead letters' }),
          ],
          right: [queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', label: 'oldest (s)' })],
          width: 12,
        }),
        new GraphWidget({
          title: 'Outbox: sent by SES and refused for the sending rate (put back on the queue)',
          left: OUTBOX_METRICS.map((metricName) => caseMetric(metricName, { period: ALARM_PERIOD, label: metricName })),
          width: 12,
        }),
      );
    }
    this.dashboard.addWidgets(
      // Cases by status: see CASES_BY_LAST_ACTION_QUERY (each case under the last action logged for it).
      new LogQueryWidget({
        title: 'Cases by status (last action logged per case)',
        logGroupNames,
        queryString: CASES_BY_LAST_ACTION_QUERY,
        view: LogQueryVisualizationType.PIE,
        width: 8,
      }),
      // Waiting steps by age: see WAITING_STEPS_QUERY (requested, not yet confirmed, oldest first).
      new LogQueryWidget({
        title: 'Waiting steps by age (requested, not yet confirmed; oldest first)',
        logGroupNames: [logGroupOf(REQUEST_CONFIRMATION), logGroupOf(CONFIRMATION_LINKS)],
        queryString: WAITING_STEPS_QUERY,
        view: LogQueryVisualizationType.TABLE,
        width: 16,
      }),
    );
    this.dashboard.addWidgets(
      // Actions done by action: see ACTIONS_DONE_QUERY.
      new LogQueryWidget({ title: 'Actions done by action', logGroupNames, queryString: ACTIONS_DONE_QUERY, view: LogQueryVisualizationType.TABLE, width: 8 }),
      // Latest ERROR lines: see LATEST_ERRORS_QUERY.
      new LogQueryWidget({ title: 'Latest errors', logGroupNames, queryString: LATEST_ERRORS_QUERY, view: LogQueryVisualizationType.TABLE, width: 16 }),
    );
  }
}
