import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct, IConstruct } from 'constructs';
import { METRICS_NAMESPACE } from '../lambdas/core/metrics.js';
import type { ReminderSchedule } from '../lambdas/core/timing.js';
import type { EmailOutbox } from './email-outbox.js';
import type { EmailSender } from './email-sender.js';

/** Current Node.js LTS runtime of Lambda. */
export const PROCEDURE_RUNTIME = Runtime.NODEJS_24_X;

/**
 * Lets ESM bundles `require()` CommonJS-only dependencies (esbuild keeps such calls as they are).
 */
export const ESM_REQUIRE_BANNER = 'import { createRequire } from "module";const require = createRequire(import.meta.url);';

/**
 * esbuild aliases of the bundles (paths relative to the project root, where CDK runs esbuild). Every SDK client's
 * runtime config imports the default credential chain (`@aws-sdk/credential-provider-node`: profiles, SSO,
 * web identity, container and instance metadata, with STS and SSO clients of their own, ~140 KB minified) even
 * when `credentials` is given, as the clients here always are (lambdas/adapters/sdk-client-options.ts); the
 * alias puts the environment link, the one that serves in Lambda, in the chain's place.
 */
export const BUNDLE_ALIASES = { '@aws-sdk/credential-provider-node': './lambdas/adapters/sdk-client-options.ts' } as const;

export interface ProcedureFunctionProps extends Omit<NodejsFunctionProps, 'runtime' | 'architecture' | 'tracing' | 'logGroup' | 'handler' | 'timeout'> {
  /** Path of the handler module (exports `handler`). */
  readonly entry: string;
  /** How long it may run: FUNCTION_TIMEOUT_SECONDS (lib/function-timeouts.ts), which the local stack enforces too. */
  readonly timeout: Duration;
  /** How long the function's log events are kept. */
  readonly logRetention: RetentionDays;
}

/**
 * When participants are reminded (lambdas/core/config.ts `timingConfigSchema`, lambdas/core/timing.ts): the
 * defaults of every step, and optional per-step overrides.
 */
export interface ProcedureTiming {
  readonly responseTimeoutSeconds: number;
  readonly escalateAfterReminders: number;
  readonly stalledAfterReminders: number;
  readonly stalledWaitSeconds: number;
  /** Per-step overrides; REMINDER_SCHEDULE is set only when given. */
  readonly reminderSchedule?: ReminderSchedule;
  /** How long an execution waits in an incident for the operator (INCIDENT_WAIT_SECONDS, in each execution's input). */
  readonly incidentWaitSeconds: number;
}

/** What open-incident needs: who is e-mailed about an incident, and how many one case may have. */
export interface IncidentPolicy {
  readonly operationsEmail: string;
  readonly maxIncidentsPerCase: number;
}

/** Addresses the mail-sending handlers need besides the sender (lambdas/core/config.ts `mailConfigSchema`). */
export interface MailRouting {
  readonly mrpipsEmail: string;
  readonly voivodeshipAdmins: Readonly<Record<string, string>>;
}

/**
 * The case table's partitions, by what their partition key is (lambdas/adapters/case-store.ts, send-schedule.ts):
 * the `dynamodb:LeadingKeys` pattern each grant is confined to. `cases` holds every case's items: the case, its
 * timeline, its steps (with their task tokens), e-mail markers and incidents.
 */
export const CASE_TABLE_PARTITIONS = {
  cases: 'CASE#*',
  collections: 'COLLECTION#*',
  caseNumbers: 'COUNTER#*',
  submissions: 'SUBMISSION#*',
  limits: 'LIMIT#*',
  sendSchedule: 'OUTBOX',
} as const;
export type CaseTablePartition = keyof typeof CASE_TABLE_PARTITIONS;

/** The single-item reads and writes the stores make; no Scan, deletes (TTL removes items), batches or transactions. */
export type CaseTableRead = 'dynamodb:GetItem' | 'dynamodb:Query';
export type CaseTableWrite = 'dynamodb:PutItem' | 'dynamodb:UpdateItem';

/** What one function does in one partition of the case table. */
export interface PartitionAccess {
  readonly read?: readonly CaseTableRead[];
  readonly write?: readonly CaseTableWrite[];
}

/** What one function does in the case table, partition by partition; a partition not named is not touched. */
export type CaseTableAccess = Readonly<Partial<Record<CaseTablePartition, PartitionAccess>>>;

/**
 * The `service` dimension of the business metrics (lambdas/adapters/metrics.ts): the stack's name, so that two
 * deployments in one account and region (staging, production) never count or alarm on each other's cases. One
 * value per deployment keeps each metric a single custom metric.
 */
export const metricsService = (scope: IConstruct): string => Stack.of(scope).stackName;

/** JSON of a string map with its keys in order ("02", "04", ... rather than JS's integer-like keys first). */
const sortedJson = (map: Readonly<Record<string, string>>): string =>
  `{${Object.keys(map)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${JSON.stringify(map[key])}`)
    .join(',')}}`;

/**
 * A NodejsFunction with the project's fixed settings:
 * - runtime Node.js 24 (current LTS), arm64, X-Ray tracing ACTIVE;
 * - an explicit LogGroup with retention (no Custom::LogRetention resource), and a role of its own that may write
 *   to that log group only (logs:CreateLogStream, logs:PutLogEvents) instead of the AWS managed
 *   AWSLambdaBasicExecutionRole (which allows creating and writing any log group);
 * - esbuild bundle, never Docker: ESM with the `createRequire` banner, minified (names kept: the SDK reads
 *   constructor names), with source maps (`NODE_OPTIONS=--enable-source-maps`), packages' ES module builds
 *   (`module` before `main`: esbuild tree-shakes those), and the AWS SDK bundled rather than taken from the
 *   runtime: a cold start reads one file instead of hundreds of small SDK modules (bench/bundles.ts measures
 *   both ways), and the SDK that runs is the one package-lock.json pins and the tests use;
 * - the business metrics' namespace and `service` dimension for Powertools Metrics (POWERTOOLS_METRICS_NAMESPACE,
 *   POWERTOOLS_SERVICE_NAME; see lambdas/adapters/metrics.ts), which OperationsMonitoring alarms on.
 *
 * Permissions are added only through the bind helpers below, each of which also sets
 * exactly the environment variables that the permission goes with.
 */
export class ProcedureFunction extends NodejsFunction {
  public constructor(scope: Construct, id: string, props: ProcedureFunctionProps) {
    const { logRetention, environment, bundling, role: givenRole, ...rest } = props;
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role =
      givenRole ??
      new iam.Role(scope, `${id}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `Execution role of the ${id} function (its own log group, X-Ray, and what its bind helpers grant)`,
      });
    logGroup.grantWrite(role);
    super(scope, id, {
      memorySize: 512,
      ...rest,
      role,
      handler: 'handler',
      runtime: PROCEDURE_RUNTIME,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      logGroup,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_SERVICE_NAME: metricsService(scope),
        ...environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        keepNames: true,
        mainFields: ['module', 'main'],
        externalModules: [],
        banner: ESM_REQUIRE_BANNER,
        esbuildArgs: Object.fromEntries(Object.entries(BUNDLE_ALIASES).map(([from, to]) => [`--alias:${from}`, to])),
        ...bundling,
      },
    });
  }

  /**
   * Read items of one partition of the case table (`TABLE_NAME`): the given actions on the table only, on items
   * whose partition key matches the partition's pattern (`dynamodb:LeadingKeys`), nothing that writes.
   */
  public readCaseItems(table: ITable, partition: CaseTablePartition, actions: readonly CaseTableRead[]): this {
    return this.accessCaseItems(table, partition, actions);
  }

  /** Write items of one partition of the case table (`TABLE_NAME`), as readCaseItems reads them. */
  public writeCaseItems(table: ITable, partition: CaseTablePartition, actions: readonly CaseTableWrite[]): this {
    return this.accessCaseItems(table, partition, actions);
  }

  private accessCaseItems(table: ITable, partition: CaseTablePartition, actions: readonly string[]): this {
    this.addEnvironment('TABLE_NAME', table.tableName);
    // ForAllValues: every partition key the request touches must match (a single-item call or Query has one).
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [...actions],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [CASE_TABLE_PARTITIONS[partition]] } },
      }),
    );
    return this;
  }

  /**
   * Put e-mail on the outbox (`OUTBOX_QUEUE_URL`: sqs:SendMessage on that queue only), with the addresses mail
   * goes to (`MRPIPS_EMAIL`, `VOIVODESHIP_ADMINS`). `PUBLIC_BASE_URL` is set separately with
   * {@link linkPagesAt} because it may come from the HTTP API created afterwards.
   */
  public mailThrough(outbox: EmailOutbox, routing: MailRouting): this {
    this.addEnvironment('OUTBOX_QUEUE_URL', outbox.queue.queueUrl);
    this.addEnvironment('MRPIPS_EMAIL', routing.mrpipsEmail);
    this.addEnvironment('VOIVODESHIP_ADMINS', sortedJson(routing.voivodeshipAdmins));
    outbox.grantPut(this);
    return this;
  }

  /**
   * Drain the outbox through SES as the project's sender only (`SENDER_EMAIL`), with its configuration set
   * (`SES_CONFIGURATION_SET`), at the account's sending rate (`SEND_RATE_PER_SECOND`), which its concurrent
   * invocations share through one schedule in the case table.
   */
  public drainOutbox(outbox: EmailOutbox, sender: EmailSender): this {
    this.addEnvironment('SENDER_EMAIL', sender.address);
    this.addEnvironment('SES_CONFIGURATION_SET', sender.configurationSet.configurationSetName);
    this.addEnvironment('SEND_RATE_PER_SECOND', String(outbox.settings.sendRatePerSecond));
    sender.grantSend(this);
    outbox.drainWith(this);
    return this;
  }

  /** Base URL of the link pages, no trailing slash (`PUBLIC_BASE_URL`). */
  public linkPagesAt(publicBaseUrl: string): this {
    this.addEnvironment('PUBLIC_BASE_URL', publicBaseUrl);
    return this;
  }

  /** Read the link-signing keys (`LINK_KEYS_SECRET_ARN`): secretsmanager:GetSecretValue on that secret only (grantRead's DescribeSecret is never called). */
  public readSigningKeys(secret: ISecret): this {
    return this.readKeys('LINK_KEYS_SECRET_ARN', secret);
  }

  /** Read the status-link keys (`STATUS_KEYS_SECRET_ARN`), the same way: that secret only. */
  public readStatusKeys(secret: ISecret): this {
    return this.readKeys('STATUS_KEYS_SECRET_ARN', secret);
  }

  private readKeys(variable: string, secret: ISecret): this {
    this.addEnvironment(variable, secret.secretArn);
    iam.Grant.addToPrincipal({ grantee: this, actions: ['secretsmanager:GetSecretValue'], resourceArns: [secret.secretArn] });
    return this;
  }

  /** Read the notification form's token keys (`FORM_KEYS_SECRET_ARN`): GetSecretValue on that secret only. */
  public readFormKeys(secret: ISecret): this {
    this.addEnvironment('FORM_KEYS_SECRET_ARN', secret.secretArn);
    iam.Grant.addToPrincipal({ grantee: this, actions: ['secretsmanager:GetSecretValue'], resourceArns: [secret.secretArn] });
    return this;
  }

  /**
   * Answer only requests that came through CloudFront: the origin-verification value (`ORIGIN_VERIFICATION_SECRET_ARN`),
   * secretsmanager:GetSecretValue on that secret only.
   */
  public verifyOriginWith(secret: ISecret): this {
    this.addEnvironment('ORIGIN_VERIFICATION_SECRET_ARN', secret.secretArn);
    iam.Grant.addToPrincipal({ grantee: this, actions: ['secretsmanager:GetSecretValue'], resourceArns: [secret.secretArn] });
    return this;
  }

  /**
   * Start executions of the procedure state machine (`PROCEDURE_STATE_MACHINE_ARN`), with the timing it passes in
   * (`RESPONSE_TIMEOUT_SECONDS`, `ESCALATE_AFTER_REMINDERS`, `STALLED_AFTER_REMINDERS`, `STALLED_WAIT_SECONDS`, and
   * `REMINDER_SCHEDULE` as compact JSON when per-step overrides are given, `INCIDENT_WAIT_SECONDS`).
   */
  public startProcedure(stateMachine: IStateMachine, timing: ProcedureTiming): this {
    this.addEnvironment('PROCEDURE_STATE_MACHINE_ARN', stateMachine.stateMachineArn);
    this.addEnvironment('RESPONSE_TIMEOUT_SECONDS', String(timing.responseTimeoutSeconds));
    this.addEnvironment('ESCALATE_AFTER_REMINDERS', String(timing.escalateAfterReminders));
    this.addEnvironment('STALLED_AFTER_REMINDERS', String(timing.stalledAfterReminders));
    this.addEnvironment('STALLED_WAIT_SECONDS', String(timing.stalledWaitSeconds));
    if (timing.reminderSchedule !== undefined) this.addEnvironment('REMINDER_SCHEDULE', JSON.stringify(timing.reminderSchedule));
    this.addEnvironment('INCIDENT_WAIT_SECONDS', String(timing.incidentWaitSeconds));
    stateMachine.grantStartExecution(this);
    return this;
  }

  /**
   * Accepted notifications per client address and per contact address per hour (`NOTIFICATIONS_PER_HOUR_PER_IP`,
   * `NOTIFICATIONS_PER_HOUR_PER_CONTACT`); the counters are table items that expire by TTL. No permission of its
   * own (the counters are the `limits` partition's writes).
   */
  public limitNotifications(perHourPerIp: number, perHourPerContact: number): this {
    this.addEnvironment('NOTIFICATIONS_PER_HOUR_PER_IP', String(perHourPerIp));
    this.addEnvironment('NOTIFICATIONS_PER_HOUR_PER_CONTACT', String(perHourPerContact));
    return this;
  }

  /**
   * Hold cases for the operator (`OPERATIONS_EMAIL`, `MAX_INCIDENTS_PER_CASE`). No permission of its own: the
   * incident is a table item and an e-mail (writeCaseItems, mailThrough).
   */
  public openIncidents(policy: IncidentPolicy): this {
    this.tellOperations(policy.operationsEmail);
    this.addEnvironment('MAX_INCIDENTS_PER_CASE', String(policy.maxIncidentsPerCase));
    return this;
  }

  /** E-mail what needs an operator to the operations address (`OPERATIONS_EMAIL`); no permission of its own (mailThrough). */
  public tellOperations(operationsEmail: string): this {
    this.addEnvironment('OPERATIONS_EMAIL', operationsEmail);
    return this;
  }

  /** How often one step may be handed over through its link page (`MAX_HAND_OVERS_PER_STEP`); no permission of its own. */
  public limitHandOvers(perStep: number): this {
    this.addEnvironment('MAX_HAND_OVERS_PER_STEP', String(perStep));
    return this;
  }

  /** How many days a status link works after its case ended (`STATUS_LINK_DAYS_AFTER_END`); no permission of its own. */
  public keepStatusLinksAfterEnd(days: number): this {
    this.addEnvironment('STATUS_LINK_DAYS_AFTER_END', String(days));
    return this;
  }

  /**
   * Complete tasks waiting for a token in the given state machine: states:SendTaskSuccess only, the one call the
   * link pages make (grantTaskResponse would add SendTaskFailure and SendTaskHeartbeat, which nothing sends).
   */
  public respondToTasksOf(stateMachine: IStateMachine): this {
    stateMachine.grant(this, 'states:SendTaskSuccess');
    return this;
  }
}
