import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CaseTable } from './case-table.js';
import type { DeploymentConfig } from './config.js';
import { DeliveryEventWatch } from './delivery-event-watch.js';
import { EmailOutbox } from './email-outbox.js';
import { EmailSender } from './email-sender.js';
import { EndedExecutionWatch } from './ended-execution-watch.js';
import { LinkPagesApi } from './link-pages-api.js';
import { LinkPagesDistribution } from './link-pages-distribution.js';
import { SigningKeysSecret } from './signing-keys-secret.js';
import { acknowledgeNagFindings, type NagAcknowledgement } from './nag-acknowledgements.js';
import { OperationsMonitoring } from './operations-monitoring.js';
import type { ProcedureFunctionProps } from './procedure-function.js';
import { ProcedureFunctions } from './procedure-functions.js';
import { ProcedureStateMachines } from './procedure-state-machines.js';

export interface SupplierChangeStackProps extends StackProps {
  readonly config: DeploymentConfig;
  /** The link pages' web ACL (LinkPagesWebAcl, created in us-east-1 as CloudFront requires; lib/supplier-change-app.ts). */
  readonly webAclArn: string;
  /** @default <project>/lambdas */
  readonly lambdasDir?: string;
  /** @default <project>/statemachine */
  readonly stateMachineDir?: string;
  /** Extra props for every function (e.g. bundling overrides). */
  readonly functionProps?: Partial<Omit<ProcedureFunctionProps, 'entry' | 'logRetention' | 'timeout'>>;
}

/**
 * The whole product: case table, link-signing keys, SES sender, one lambda per action (ACTION_NEEDS),
 * the two state machines, the public link pages (form, confirmation links, case status) and their
 * operations monitoring (alarms to an ops topic, dashboard).
 */
export class SupplierChangeStack extends Stack {
  public readonly cases: CaseTable;
  public readonly signingKeys: SigningKeysSecret;
  /** The status links' own keys: the status page reads only these. */
  public readonly statusKeys: SigningKeysSecret;
  /** The notification form's token keys: the public form reads only these. */
  public readonly formKeys: SigningKeysSecret;
  public readonly sender: EmailSender;
  public readonly outbox: EmailOutbox;
  public readonly functions: ProcedureFunctions;
  public readonly stateMachines: ProcedureStateMachines;
  public readonly endedExecutions: EndedExecutionWatch;
  public readonly deliveryEvents: DeliveryEventWatch;
  public readonly linkPages: LinkPagesApi;
  public readonly edge: LinkPagesDistribution;
  public readonly monitoring: OperationsMonitoring;
  /** cdk-nag findings acknowledged as intended, each with its reason. */
  public readonly nagAcknowledgements: readonly NagAcknowledgement[];

  public constructor(scope: Construct, id: string, props: SupplierChangeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = config.logRetentionDays as RetentionDays;
    const longestResponseTimeoutSeconds = Math.max(...Object.values(config.stepTimings).map((t) => t.responseTimeoutSeconds));

    this.cases = new CaseTable(this, 'Cases');
    this.signingKeys = new SigningKeysSecret(this, 'LinkSigningKeys', { signs: 'confirmation links' });
    this.statusKeys = new SigningKeysSecret(this, 'StatusLinkKeys', { signs: 'read-only status links' });
    this.formKeys = new SigningKeysSecret(this, 'FormTokenKeys', { signs: "notification form's tokens", retainOnDelete: false });
    this.sender = new EmailSender(this, 'Sender', {
      address: config.senderEmail,
      createIdentity: config.createSesIdentity,
    });

    // Every e-mail goes through the outbox, which send-email drains at SES's sending rate.
    this.outbox = new EmailOutbox(this, 'Outbox', { sesMaxSendRate: config.sesMaxSendRate });

    this.functions = new ProcedureFunctions(this, 'Functions', {
      table: this.cases.table,
      sender: this.sender,
      outbox: this.outbox,
      routing: { mrpipsEmail: config.mrpipsEmail, voivodeshipAdmins: config.voivodeshipAdmins },
      signingKeys: this.signingKeys.secret,
      statusKeys: this.statusKeys.secret,
      formKeys: this.formKeys.secret,
      logRetention,
      lambdasDir: props.lambdasDir,
      functionProps: props.functionProps,
    });
    const fns = this.functions.byName;

    this.stateMachines = new ProcedureStateMachines(this, 'StateMachines', {
      functions: fns,
      logRetention,
      stateMachineDir: props.stateMachineDir,
    });

    // The form starts the procedure, the confirmation links answer the child's tasks (as ACTION_NEEDS says).
    this.functions.bindStateMachines({
      procedure: this.stateMachines.procedure,
      confirmation: this.stateMachines.confirmation,
      responseTimeoutSeconds: config.responseTimeoutSeconds,
      escalateAfterReminders: config.escalateAfterReminders,
      stalledAfterReminders: config.stalledAfterReminders,
      stalledWaitSeconds: config.stalledWaitSeconds,
      reminderSchedule: config.reminderSchedule,
      incidentWaitSeconds: config.incidentWaitSeconds,
      notificationsPerHourPerIp: config.notificationsPerHourPerIp,
      notificationsPerHourPerContact: config.notificationsPerHourPerContact,
      incidents: { operationsEmail: config.incidentsTo, maxIncidentsPerCase: config.maxIncidentsPerCase },
    });

    fns['confirmation-links'].limitHandOvers(config.maxHandOversPerStep);
    fns['case-status'].keepStatusLinksAfterEnd(config.statusLinkDaysAfterEnd);

    // An execution that ends abnormally anyway (a year passed, an uncatchable error, stopped in the console).
    this.endedExecutions = new EndedExecutionWatch(this, 'EndedExecutions', { procedure: this.stateMachines.procedure, handler: fns['record-ended-execution'] });

    // SES's delivery events of every message (the sender's configuration set) on the case they are about.
    this.deliveryEvents = new DeliveryEventWatch(this, 'DeliveryEvents', { sender: this.sender, handler: fns['record-delivery-event'] });

    this.linkPages = new LinkPagesApi(this, 'LinkPages', {
      functions: { 'notification-form': fns['notification-form'], 'confirmation-links': fns['confirmation-links'], 'case-status': fns['case-status'] },
      logRetention,
    });
    // Every page request comes through CloudFront and WAF; the page functions refuse any other (origin verification).
    this.edge = new LinkPagesDistribution(this, 'LinkPagesEdge', { httpApi: this.linkPages.httpApi, webAclArn: props.webAclArn });
    for (const action of ['notification-form', 'confirmation-links', 'case-status'] as const) fns[action].verifyOriginWith(this.edge.originSecret);
    // The distribution only depends on the API's id; functions referencing the distribution's domain make no cycle.
    const publicBaseUrl = config.publicBaseUrl ?? this.edge.url;
    this.functions.linkPagesAt(publicBaseUrl);

    this.monitoring = new OperationsMonitoring(this, 'Operations', {
      stateMachines: { procedure: this.stateMachines.procedure, confirmation: this.stateMachines.confirmation },
      functions: fns,
      api: { httpApi: this.linkPages.httpApi, stage: this.linkPages.stage },
      outbox: { queue: this.outbox.queue, deadLetterQueue: this.outbox.deadLetterQueue },
      alertEmail: config.opsAlertEmail,
      // A waiting step is re-requested once per response timeout (the longest of any step, with reminderSchedule):
      // the log widgets look back over two of them.
      timeRange: Duration.days(Math.min(90, Math.max(14, Math.ceil((2 * longestResponseTimeoutSeconds) / 86_400)))),
    });

    // cdk-nag (AwsSolutions) findings that are intended, each with its reason (see lib/nag-acknowledgements.ts).
    this.nagAcknowledgements = acknowledgeNagFindings(this);

    if (config.allowPlaceholderAddresses) {
      const placeholders = config.placeholderAddresses.map(({ key, what }) => `${key} (${what})`).join('; ') || 'none';
      Annotations.of(this).addWarningV2(
        'zmiana-sd:placeholder-addresses-allowed',
        'Context "allowPlaceholderAddresses" is true: placeholder addresses are accepted. DO NOT DEPLOY THIS SYNTH: on AWS the first ' +
          `e-mail from or to a placeholder fails. Placeholders: ${placeholders}.`,
      );
    }

    new CfnOutput(this, 'LinkPagesUrl', { description: 'The link pages\' HTTP API, the origin (answers only requests through CloudFront)', value: this.linkPages.url });
    new CfnOutput(this, 'PublicBaseUrl', { description: 'PUBLIC_BASE_URL given to the lambdas (the CloudFront distribution unless publicBaseUrl is set)', value: publicBaseUrl });
    new CfnOutput(this, 'ProcedureStateMachineArn', { value: this.stateMachines.procedure.stateMachineArn });
    new CfnOutput(this, 'ConfirmationStateMachineArn', { value: this.stateMachines.confirmation.stateMachineArn });
    new CfnOutput(this, 'CaseTableName', { value: this.cases.table.tableName });
    new CfnOutput(this, 'OutboxQueueUrl', { description: 'The e-mail outbox (OUTBOX_QUEUE_URL of the operations CLI)', value: this.outbox.queue.queueUrl });
    new CfnOutput(this, 'OutboxDeadLetterQueueUrl', { description: 'What the sender could not send (OUTBOX_DEAD_LETTER_QUEUE_URL of the operations CLI)', value: this.outbox.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'LinkKeysSecretArn', { value: this.signingKeys.secret.secretArn });
    new CfnOutput(this, 'StatusKeysSecretArn', { description: 'Keys of the status links (STATUS_KEYS_SECRET_ARN of the operations CLI)', value: this.statusKeys.secret.secretArn });
    new CfnOutput(this, 'OpsAlertTopicArn', { description: 'SNS topic of the operations alarms', value: this.monitoring.topic.topicArn });
    new CfnOutput(this, 'OperationsDashboardName', { value: this.monitoring.dashboard.dashboardName });
  }
}
