import { join } from 'node:path';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { EmailOutbox } from './email-outbox.js';
import type { EmailSender } from './email-sender.js';
import { FUNCTION_TIMEOUT_SECONDS } from './function-timeouts.js';
import {
  type CaseTableAccess,
  type CaseTablePartition,
  type IncidentPolicy,
  type MailRouting,
  type PartitionAccess,
  ProcedureFunction,
  type ProcedureFunctionProps,
  type ProcedureTiming,
} from './procedure-function.js';
import { PROJECT_ROOT } from './paths.js';

/** What one action needs; ProcedureFunctions grants exactly this, with the environment each grant goes with. */
export interface ActionNeeds {
  readonly description: string;
  /**
   * The case table (`TABLE_NAME`): per partition (CASE_TABLE_PARTITIONS), the reads and the writes the action's
   * code paths make, each granted only on items of that partition (`dynamodb:LeadingKeys`).
   */
  readonly table: CaseTableAccess;
  /**
   * Put e-mail on the outbox + OUTBOX_QUEUE_URL, MRPIPS_EMAIL, VOIVODESHIP_ADMINS. Every e-mail carries a signed
   * read-only status link, so a sender also needs `statusKeys` and `publicBaseUrl`
   * (lambdas/core/config.ts `mailConfigSchema` requires PUBLIC_BASE_URL with the addresses).
   */
  readonly sendsEmail: boolean;
  /** Read the link-signing secret (`LINK_KEYS_SECRET_ARN`): sign or verify confirmation links (they act on a step). */
  readonly signingKeys: boolean;
  /** Read the status-link secret (`STATUS_KEYS_SECRET_ARN`): sign or verify the read-only status links. */
  readonly statusKeys: boolean;
  /** Read the form-token secret (`FORM_KEYS_SECRET_ARN`): issue and verify the notification form's token. */
  readonly formKeys?: boolean;
  /** The outbox's consumer: SES as the sender (SENDER_EMAIL, SES_CONFIGURATION_SET, SEND_RATE_PER_SECOND) and the queue's event source. */
  readonly drainsOutbox?: boolean;
  /** `PUBLIC_BASE_URL`: base of the links it builds. */
  readonly publicBaseUrl: boolean;
  /**
   * states:StartExecution on the procedure + PROCEDURE_STATE_MACHINE_ARN, RESPONSE_TIMEOUT_SECONDS,
   * ESCALATE_AFTER_REMINDERS, STALLED_AFTER_REMINDERS, STALLED_WAIT_SECONDS, REMINDER_SCHEDULE (when given)
   * (the execution's timing), NOTIFICATIONS_PER_HOUR_PER_IP and NOTIFICATIONS_PER_HOUR_PER_CONTACT.
   */
  readonly startsProcedure: boolean;
  /** states:SendTaskSuccess/Failure/Heartbeat on the confirmation state machine (no environment). */
  readonly answersTasks: boolean;
  /** OPERATIONS_EMAIL and MAX_INCIDENTS_PER_CASE: holds cases for the operator (the incident states). */
  readonly opensIncidents?: boolean;
  /** OPERATIONS_EMAIL only: e-mails operations about what needs an operator. */
  readonly tellsOperations?: boolean;
}

const GET = 'dynamodb:GetItem';
const QUERY = 'dynamodb:Query';
const PUT = 'dynamodb:PutItem';
const UPDATE = 'dynamodb:UpdateItem';

/**
 * What each action (lambdas/<name>/index.ts) needs: the single source of truth for every function's
 * environment and permissions (the contract's "needs" column, brought in line with the handlers).
 * Nothing is granted that is not listed here. The HTTP routes of the link pages are in LINK_PAGE_ROUTES.
 */
export const ACTION_NEEDS = {
  'register-case': {
    description: 'Registers a notification as a new case',
    table: { cases: { write: [PUT] } },
    sendsEmail: false, signingKeys: false, statusKeys: false, publicBaseUrl: false, startsProcedure: false, answersTasks: false,
  },
  'request-confirmation': {
    description: 'E-mails a signed confirmation link and stores the task token',
    table: { cases: { read: [GET], write: [PUT, UPDATE] } },
    sendsEmail: true, signingKeys: true, statusKeys: true, publicBaseUrl: true, startsProcedure: false, answersTasks: false,
  },
  'escalate-step': {
    description: 'Escalates an unanswered step to MRPiPS',
    table: { cases: { read: [GET], write: [PUT, UPDATE] } },
    sendsEmail: true, signingKeys: false, statusKeys: true, publicBaseUrl: true, startsProcedure: false, answersTasks: false,
  },
  'apply-response': {
    description: 'Applies a confirmed response to the case',
    table: { cases: { read: [GET], write: [PUT, UPDATE] }, collections: { read: [GET], write: [UPDATE] } },
    sendsEmail: true, signingKeys: false, statusKeys: true, publicBaseUrl: true, startsProcedure: false, answersTasks: false,
  },
  'change-collection-states': {
    description: 'Records the CBB collection changes (close / archive)',
    table: { cases: { read: [GET], write: [PUT, UPDATE] }, collections: { write: [UPDATE] } },
    sendsEmail: false, signingKeys: false, statusKeys: false, publicBaseUrl: false, startsProcedure: false, answersTasks: false,
  },
  'send-notice': {
    description: 'Sends the notices of the procedure',
    table: { cases: { read: [GET, QUERY], write: [PUT, UPDATE] }, collections: { read: [GET], write: [UPDATE] } },
    sendsEmail: true, signingKeys: false, statusKeys: true, publicBaseUrl: true, startsProcedure: false, answersTasks: false,
  },
  'record-failure': {
    description: 'Records a failed step on the case (status FAILED, reason)',
    table: { cases: { read: [GET, QUERY], write: [PUT, UPDATE] } },
    sendsEmail: false, signingKeys: false, statusKeys: false, publicBaseUrl: false, startsProcedure: false, answersTasks: false,
  },
  'open-incident': {
    description: 'Holds a case whose action failed for good as an incident for the operator',
    table: { cases: { read: [GET, QUERY], write: [PUT, UPDATE] } },
    sendsEmail: true, signingKeys: false, statusKeys: true, publicBaseUrl: true, startsProcedure: false, answersTasks: false, opensIncidents: true,
  },
  'record-ended-execution': {
    description: 'Marks the case of a procedure execution that ended abnormally (TIMED_OUT, FAILED, ABORTED) FAILED and tells operations',
    table: { cases: { read: [GET, QUERY], write: [PUT, UPDATE] } },
    sendsEmail: true, signingKeys: false, statusKeys: true, publicBaseUrl: true, startsProcedure: false, answersTasks: false, tellsOperations: true,
  },
  'record-delivery-event': {
    description: "Records SES's delivery events (delivery, bounce, complaint, reject, delay) on the case; tells MRPiPS of an unreachable step recipient",
    table: { cases: { read: [GET], write: [PUT, UPDATE] } },
    sendsEmail: true, signingKeys: false, statusKeys: true, publicBaseUrl: true, startsProcedure: false, answersTasks: false,
  },
  'send-email': {
    description: "Sends the outbox's e-mail through SES at the sending rate; records SES's refusals on the case",
    table: { cases: { read: [GET], write: [PUT, UPDATE] }, sendSchedule: { read: [GET], write: [UPDATE] } },
    sendsEmail: true, signingKeys: false, statusKeys: true, publicBaseUrl: true, startsProcedure: false, answersTasks: false, drainsOutbox: true,
  },
  'notification-form': {
    description: 'Link page: the notification form (GET/POST /zgloszenie)',
    // No collection write: the form holds no collection (they are taken at CONFIRM_CONTACT by apply-response).
    table: { submissions: { read: [GET], write: [UPDATE] }, limits: { write: [UPDATE] }, caseNumbers: { write: [UPDATE] }, collections: { read: [GET] } },
    sendsEmail: false, signingKeys: false, statusKeys: false, formKeys: true, publicBaseUrl: true, startsProcedure: true, answersTasks: false,
  },
  'confirmation-links': {
    description: 'Link page: signed confirmation links, hand a step to a colleague (/potwierdzenie)',
    table: { cases: { read: [GET], write: [PUT, UPDATE] }, collections: { read: [GET] } },
    sendsEmail: true, signingKeys: true, statusKeys: true, publicBaseUrl: true, startsProcedure: false, answersTasks: true,
  },
  'case-status': {
    description: 'Link page: read-only case status behind the signed link in every e-mail (/sprawa)',
    table: { cases: { read: [GET, QUERY] } },
    sendsEmail: false, signingKeys: false, statusKeys: true, publicBaseUrl: false, startsProcedure: false, answersTasks: false,
  },
} as const satisfies Record<string, ActionNeeds>;

export type ActionName = keyof typeof ACTION_NEEDS;
export const ACTION_NAMES = Object.keys(ACTION_NEEDS) as ActionName[];

/** `register-case` → `RegisterCase` (construct ids, output names). */
export const pascalCase = (name: string): string =>
  name.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase());

/** Needs that only make sense together; a row breaking them would deploy a function that fails at runtime. */
export function needsProblems(name: string, needs: ActionNeeds): string[] {
  const problems: string[] = [];
  if (needs.sendsEmail && !needs.publicBaseUrl) problems.push(`${name} sends e-mail but gets no PUBLIC_BASE_URL (mailConfigSchema requires it)`);
  if (needs.sendsEmail && !needs.statusKeys) problems.push(`${name} sends e-mail but cannot sign the status link every e-mail carries`);
  // The e-mail's marker (lambdas/adapters/mail-once.ts): read before queueing, put after.
  if (needs.sendsEmail && !(needs.table.cases?.read?.includes(GET) && needs.table.cases.write?.includes(PUT))) problems.push(`${name} sends e-mail but cannot record it on the case`);
  if (needs.drainsOutbox && !needs.sendsEmail) problems.push(`${name} drains the outbox but cannot put a throttled message back on it`);
  return problems;
}

/**
 * What the functions that start or answer the state machines are given once those exist. The timing
 * (ProcedureTiming) goes to the functions that start the procedure, which pass it in each execution's input
 * (see ProcedureFunction.startProcedure).
 */
export interface StateMachineBindings extends ProcedureTiming {
  readonly procedure: IStateMachine;
  readonly confirmation: IStateMachine;
  /** NOTIFICATIONS_PER_HOUR_PER_IP and NOTIFICATIONS_PER_HOUR_PER_CONTACT of the functions that start the procedure. */
  readonly notificationsPerHourPerIp: number;
  readonly notificationsPerHourPerContact: number;
  /** OPERATIONS_EMAIL and MAX_INCIDENTS_PER_CASE of the function that opens incidents. */
  readonly incidents: IncidentPolicy;
}

export interface ProcedureFunctionsProps {
  readonly table: ITable;
  readonly sender: EmailSender;
  readonly outbox: EmailOutbox;
  readonly routing: MailRouting;
  readonly signingKeys: ISecret;
  /** The status links' keys (SigningKeysSecret, a secret of its own). */
  readonly statusKeys: ISecret;
  readonly formKeys: ISecret;
  readonly logRetention: RetentionDays;
  /**
   * Directory holding `<action>/index.ts`.
   * @default <project>/lambdas
   */
  readonly lambdasDir?: string;
  /** Extra props for every function (e.g. bundling overrides). */
  readonly functionProps?: Partial<Omit<ProcedureFunctionProps, 'entry' | 'logRetention' | 'timeout'>>;
}

/**
 * One ProcedureFunction per action, with the environment and grants ACTION_NEEDS says and nothing more.
 * Grants on resources created after the functions (state machines, the API's URL) are bound with
 * {@link bindStateMachines} and {@link linkPagesAt}, still driven by ACTION_NEEDS.
 */
export class ProcedureFunctions extends Construct {
  public readonly byName: Readonly<Record<ActionName, ProcedureFunction>>;

  public constructor(scope: Construct, id: string, props: ProcedureFunctionsProps) {
    super(scope, id);
    const problems = ACTION_NAMES.flatMap((name) => needsProblems(name, ACTION_NEEDS[name]));
    if (problems.length > 0) throw new Error(`ACTION_NEEDS is inconsistent:\n  - ${problems.join('\n  - ')}`);

    const lambdasDir = props.lambdasDir ?? join(PROJECT_ROOT, 'lambdas');
    const byName = {} as Record<ActionName, ProcedureFunction>;
    for (const name of ACTION_NAMES) {
      const needs: ActionNeeds = ACTION_NEEDS[name];
      const fn = new ProcedureFunction(this, pascalCase(name), {
        ...props.functionProps,
        entry: join(lambdasDir, name, 'index.ts'),
        timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS[name]),
        description: `${name}: ${needs.description}`,
        logRetention: props.logRetention,
      });
      for (const [partition, access] of Object.entries(needs.table) as [CaseTablePartition, PartitionAccess][]) {
        if (access.read) fn.readCaseItems(props.table, partition, access.read);
        if (access.write) fn.writeCaseItems(props.table, partition, access.write);
      }
      if (needs.sendsEmail) fn.mailThrough(props.outbox, props.routing);
      if (needs.drainsOutbox) fn.drainOutbox(props.outbox, props.sender);
      if (needs.signingKeys) fn.readSigningKeys(props.signingKeys);
      if (needs.statusKeys) fn.readStatusKeys(props.statusKeys);
      if (needs.formKeys) fn.readFormKeys(props.formKeys);
      byName[name] = fn;
    }
    this.byName = byName;
  }

  /** Let the functions that start the procedure or answer confirmation tasks do so (and nothing else). */
  public bindStateMachines(bindings: StateMachineBindings): void {
    for (const name of ACTION_NAMES) {
      const needs: ActionNeeds = ACTION_NEEDS[name];
      const fn = this.byName[name];
      if (needs.startsProcedure) {
        fn.startProcedure(bindings.procedure, bindings).limitNotifications(bindings.notificationsPerHourPerIp, bindings.notificationsPerHourPerContact);
      }
      if (needs.answersTasks) fn.respondToTasksOf(bindings.confirmation);
      if (needs.opensIncidents) fn.openIncidents(bindings.incidents);
      if (needs.tellsOperations) fn.tellOperations(bindings.incidents.operationsEmail);
    }
  }

  /** Set PUBLIC_BASE_URL on the functions that build links. */
  public linkPagesAt(publicBaseUrl: string): void {
    for (const name of ACTION_NAMES) {
      if (ACTION_NEEDS[name].publicBaseUrl) this.byName[name].linkPagesAt(publicBaseUrl);
    }
  }
}
