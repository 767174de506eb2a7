import { join } from 'node:path';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EmailSender } from './email-sender.js';
import { type MailRouting, ProcedureFunction, type ProcedureFunctionProps } from './procedure-function.js';
import { PROJECT_ROOT } from './paths.js';

/**
 * What each action (lambdas/<name>/index.ts) needs, from the contract's "needs" column.
 * Every action reads and writes the case table; nothing else is granted unless listed here.
 * - sendsEmail: SES as the sender + SENDER_EMAIL, MRPIPS_EMAIL, VOIVODESHIP_ADMINS (and PUBLIC_BASE_URL,
 *   which lambdas/core/config.ts `mailConfigSchema` requires with them);
 * - signingKeys: read the link-signing secret (LINK_KEYS_SECRET_ARN);
 * - publicBaseUrl: PUBLIC_BASE_URL (links in e-mails, redirects of the form).
 * State machine permissions (start the procedure, respond to tasks) are bound in the stack,
 * once the state machines exist.
 */
export const ACTION_NEEDS = {
  'register-case': { description: 'Registers a notification as a new case', sendsEmail: false, signingKeys: false, publicBaseUrl: false },
  'request-confirmation': { description: 'E-mails a signed confirmation link and stores the task token', sendsEmail: true, signingKeys: true, publicBaseUrl: true },
  'escalate-step': { description: 'Escalates an unanswered step to MRPiPS', sendsEmail: true, signingKeys: false, publicBaseUrl: true },
  'apply-response': { description: 'Applies a confirmed response to the case', sendsEmail: true, signingKeys: false, publicBaseUrl: true },
  'change-collection-states': { description: 'Records the CBB collection changes (close / archive)', sendsEmail: false, signingKeys: false, publicBaseUrl: false },
  'send-notice': { description: 'Sends the notices of the procedure', sendsEmail: true, signingKeys: false, publicBaseUrl: true },
  'record-failure': { description: 'Records a failed step on the case (status FAILED, reason)', sendsEmail: false, signingKeys: false, publicBaseUrl: false },
  'notification-form': { description: 'Link page: the notification form (GET/POST /zgloszenie)', sendsEmail: false, signingKeys: false, publicBaseUrl: false },
  'confirmation-links': { description: 'Link page: signed confirmation links (/potwierdzenie)', sendsEmail: false, signingKeys: true, publicBaseUrl: false },
} as const satisfies Record<string, { description: string; sendsEmail: boolean; signingKeys: boolean; publicBaseUrl: boolean }>;

export type ActionName = keyof typeof ACTION_NEEDS;
export const ACTION_NAMES = Object.keys(ACTION_NEEDS) as ActionName[];

/** `register-case` → `RegisterCase` (construct ids, output names). */
export const pascalCase = (name: string): string =>
  name.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase());

export interface ProcedureFunctionsProps {
  readonly table: ITable;
  readonly sender: EmailSender;
  readonly routing: MailRouting;
  readonly signingKeys: ISecret;
  readonly logRetention: RetentionDays;
  /**
   * Directory holding `<action>/index.ts`.
   * @default <project>/lambdas
   */
  readonly lambdasDir?: string;
  /** Extra props for every function (e.g. bundling overrides). */
  readonly functionProps?: Partial<Omit<ProcedureFunctionProps, 'entry' | 'logRetention'>>;
}

/** One ProcedureFunction per action, with the environment and grants its "needs" say and nothing more. */
export class ProcedureFunctions extends Construct {
  public readonly byName: Readonly<Record<ActionName, ProcedureFunction>>;

  public constructor(scope: Construct, id: string, props: ProcedureFunctionsProps) {
    super(scope, id);
    const lambdasDir = props.lambdasDir ?? join(PROJECT_ROOT, 'lambdas');
    const byName = {} as Record<ActionName, ProcedureFunction>;
    for (const name of ACTION_NAMES) {
      const needs = ACTION_NEEDS[name];
      const fn = new ProcedureFunction(this, pascalCase(name), {
        ...props.functionProps,
        entry: join(lambdasDir, name, 'index.ts'),
        description: `${name}: ${needs.description}`,
        logRetention: props.logRetention,
      });
      fn.readWriteCases(props.table);
      if (needs.sendsEmail) fn.sendEmailAs(props.sender, props.routing);
      if (needs.signingKeys) fn.readSigningKeys(props.signingKeys);
      byName[name] = fn;
    }
    this.byName = byName;
  }

  /** Set PUBLIC_BASE_URL on the functions that build links or redirects. */
  public linkPagesAt(publicBaseUrl: string): void {
    for (const name of ACTION_NAMES) {
      if (ACTION_NEEDS[name].publicBaseUrl) this.byName[name].linkPagesAt(publicBaseUrl);
    }
  }
}
