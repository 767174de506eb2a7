/**
 * The operations CLI: `npm run cases -- <command> …` (or `npx tsx bin/cases.ts <command> …`).
 *
 *   list [--status S] [--voivodeship 14] [--step STEP] [--older-than 7d] [--json]
 *   show <caseId> [--json]
 *   cancel <caseId> --reason "…" [--yes]
 *   resend <caseId> <STEP.round>
 *   reassign <caseId> <STEP.round> <email>
 *   export [--out file.csv] [list filters]
 *   incidents [--json]
 *   retry <caseId> [--by EMAIL]
 *   revoke-status-links <caseId> [--by EMAIL]
 *   outbox [--json]
 *   redrive [--json]
 *
 * `--local` (or ZMIANA_SD_LOCAL=1) acts on the running local stack (`npm start` writes .local/runtime.json);
 * otherwise on AWS with the credentials of the shell and the stack outputs in the environment (TABLE_NAME, …).
 * Exit codes: 0 done, 1 the operation failed or was refused, 2 bad usage or configuration.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { CaseStore } from '../lambdas/adapters/case-store.js';
import { scanCasesAndSteps, type ScannedCases } from '../lambdas/adapters/case-scan.js';
import { Outbox, OutboxQueues, type QueueDepth } from '../lambdas/adapters/outbox.js';
import { loadSigningKeys, loadStatusKeys } from '../lambdas/adapters/signing-keys.js';
import { Workflow } from '../lambdas/adapters/workflow.js';
import { CASE_ID_PATTERN, CASE_STATUS_LABEL, ROLE_LABEL, VARIANT_LABEL, type CaseRecord, type CaseStatus, type TimelineEntry } from '../lambdas/core/case.js';
import { mailConfigSchema, stepLimitsConfigSchema, type StepLimitsConfig } from '../lambdas/core/config.js';
import { ConflictError, NotFoundError, ValidationError } from '../lambdas/core/errors.js';
import { emailAddress } from '../lambdas/core/fields.js';
import { signingKeysSchema, statusLinks, type SigningKeys } from '../lambdas/core/links.js';
import { recipientUnreachable, type StepRecord } from '../lambdas/core/step-record.js';
import { WAITING_INCIDENT_STATUSES, type IncidentRecord } from '../lambdas/core/incident.js';
import { STEP_IDS, STEPS, stepKeySchema } from '../lambdas/core/steps.js';
import { VOIVODESHIP_CODES, VOIVODESHIPS, type VoivodeshipCode } from '../lambdas/core/voivodeships.js';
import { CASE_STATUSES, csvHeader, csvLine, filterCases, summariseCases, type CaseFilter, type CaseSummary } from '../lambdas/services/case-report.js';
import { retryIncidents, type RetriedIncident } from '../lambdas/services/incidents.js';
import { revokeStatusLinks } from '../lambdas/services/status-links.js';
import { cancelCase, cancellationReason, handOverStep, HandOverUnfinished, procedureExecutionArn, resendStepLink, type Actor, type CancelDeps } from '../lambdas/services/steps.js';
import { isEntryPoint } from '../local/entry-point.js';
import { DEFAULT_RUNTIME_FILE, readRuntimeFile, writerIsAlive } from '../local/runtime-file.js';

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** Where the CLI reads and writes; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Whether a person is at a terminal (cancel asks for confirmation then). */
  interactive: boolean;
  ask(question: string): Promise<string>;
  now(): Date;
}

/** Wrong arguments, options or configuration: exit code 2, with the usage hint. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: npm run cases -- [--local] <command> [options]

Commands:
  list [--status S] [--voivodeship 14] [--step STEP] [--older-than 7d] [--json]
                                    cases with the step they wait for, its recipient and days waiting
  show <caseId> [--json]            one case: data, steps, timeline
  cancel <caseId> --reason "…" [--yes] [--by EMAIL]
                                    cancel a case: execution stopped, links closed, collections released,
                                    every participant e-mailed (asks for confirmation unless --yes)
  resend <caseId> <STEP.round> [--by EMAIL]
                                    send the step's link again (older links stop working)
  reassign <caseId> <STEP.round> <email> [--by EMAIL]
                                    hand the step to another person (MRPiPS and the previous recipient are told)
  export [--out file.csv] [--bom] [--progress-every N] [list filters]
                                    CSV of cases for reporting (stdout unless --out)
  incidents [--json]                cases held by an incident: the failed state, the error, until when it waits
  retry <caseId> [--by EMAIL]       run the failed state of the case's incident(s) again, once the cause is fixed;
                                    the case continues where it stopped
  revoke-status-links <caseId> [--by EMAIL]
                                    every status-page link of the case sent so far stops working; e-mails sent
                                    from now on carry a new one (a cancellation does this too)
  outbox [--json]                   e-mail waiting in the outbox and in its dead-letter queue (what SES could not take)
  redrive [--json]                  move the dead-letter queue's e-mail back to the outbox, once the cause is fixed
  help                              this text

Target:
  --local                           the running local stack (npm start), also ZMIANA_SD_LOCAL=1;
                                    --runtime-file PATH (or ZMIANA_SD_RUNTIME_FILE) instead of .local/runtime.json
  (default)                         AWS: credentials of this shell and TABLE_NAME, PROCEDURE_STATE_MACHINE_ARN,
                                    LINK_KEYS_SECRET_ARN, STATUS_KEYS_SECRET_ARN, PUBLIC_BASE_URL, OUTBOX_QUEUE_URL,
                                    OUTBOX_DEAD_LETTER_QUEUE_URL, MRPIPS_EMAIL, VOIVODESHIP_ADMINS from the stack outputs

Statuses: ${CASE_STATUSES.join(', ')}
Steps: ${STEP_IDS.join(', ')}
Exit codes: 0 done, 1 operation failed or refused, 2 bad usage or configuration.
`;

// ---------------------------------------------------------------------------------------------------------
// Arguments

const OPTIONS = {
  local: { type: 'boolean' },
  'runtime-file': { type: 'string' },
  json: { type: 'boolean' },
  by: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  status: { type: 'string' },
  voivodeship: { type: 'string' },
  step: { type: 'string' },
  'older-than': { type: 'string' },
  reason: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  out: { type: 'string', short: 'o' },
  bom: { type: 'boolean' },
  'progress-every': { type: 'string' },
} as const;
type OptionName = keyof typeof OPTIONS;

const COMMANDS = ['list', 'show', 'cancel', 'resend', 'reassign', 'export', 'incidents', 'retry', 'revoke-status-links', 'outbox', 'redrive', 'help'] as const;
type CommandName = (typeof COMMANDS)[number];

const FILTERS: OptionName[] = ['status', 'voivodeship', 'step', 'older-than'];
const COMMAND_OPTIONS: Record<CommandName, OptionName[]> = {
  list: [...FILTERS, 'json'],
  show: ['json'],
  cancel: ['reason', 'yes', 'by', 'json'],
  resend: ['by', 'json'],
  reassign: ['by', 'json'],
  export: [...FILTERS, 'out', 'bom', 'progress-every'],
  incidents: ['json'],
  retry: ['by', 'json'],
  'revoke-status-links': ['by', 'json'],
  outbox: ['json'],
  redrive: ['json'],
  help: [],
};
const GLOBAL_OPTIONS: OptionName[] = ['local', 'runtime-file', 'help'];
const ARITY: Record<CommandName, string[]> = {
  list: [],
  show: ['<caseId>'],
  cancel: ['<caseId>'],
  resend: ['<caseId>', '<STEP.round>'],
  reassign: ['<caseId>', '<STEP.round>', '<email>'],
  export: [],
  incidents: [],
  retry: ['<caseId>'],
  'revoke-status-links': ['<caseId>'],
  outbox: [],
  redrive: [],
  help: [],
};

// Every argument has a bound length: what the operator types ends up in items and e-mails.
const caseIdArg = z
  .string()
  .max(40, 'at most 40 characters')
  .trim()
  .toUpperCase()
  .regex(CASE_ID_PATTERN, 'a case id looks like ZSD-2026-00042');

const stepKeyArg = z
  .string()
  .max(40, 'at most 40 characters')
  .trim()
  .toUpperCase()
  .refine((value) => stepKeySchema.safeParse(value).success, `a step looks like AGREE_VARIANT.1 (STEP.round; steps: ${STEP_IDS.join(', ')})`);

const statusArg = z
  .string()
  .max(40, 'at most 40 characters')
  .trim()
  .toUpperCase()
  .pipe(z.enum(CASE_STATUSES as [CaseStatus, ...CaseStatus[]], { error: `one of ${CASE_STATUSES.join(', ')}` }));

const voivodeshipArg = z.string().max(40, 'at most 40 characters').transform((value, ctx): VoivodeshipCode => {
  const raw = value.trim().toLowerCase();
  const code = /^\d{1,2}$/.test(raw) ? raw.padStart(2, '0') : (Object.entries(VOIVODESHIPS).find(([, name]) => name === raw)?.[0] ?? raw);
  if (!(VOIVODESHIP_CODES as string[]).includes(code)) {
    ctx.addIssue({ code: 'custom', message: `a TERYT voivodeship code (${VOIVODESHIP_CODES.join(', ')}) or its name, e.g. 14 or mazowieckie` });
    return z.NEVER;
  }
  return code as VoivodeshipCode;
});

const stepFilterArg = z
  .string()
  .max(40, 'at most 40 characters')
  .trim()
  .toUpperCase()
  .refine((value) => (STEP_IDS as readonly string[]).includes(value) || stepKeySchema.safeParse(value).success, `a step (${STEP_IDS.join(', ')}), optionally with its round, e.g. AGREE_VARIANT.1`);

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
export const durationArg = z
  .string()
  .trim()
  .regex(/^\d{1,5}[mhdw]$/i, 'a duration such as 7d, 12h, 30m or 2w')
  .transform((value) => Number(value.slice(0, -1)) * UNIT_MS[value.slice(-1).toLowerCase() as keyof typeof UNIT_MS]);

const progressArg = z.coerce.number({ error: 'a whole number of items' }).int('a whole number of items').min(1, 'at least 1');

export type Command =
  | { name: 'help' }
  | { name: 'list'; filter: CaseFilter; json: boolean }
  | { name: 'show'; caseId: string; json: boolean }
  | { name: 'cancel'; caseId: string; reason: string; yes: boolean; by?: string; json: boolean }
  | { name: 'resend'; caseId: string; stepKey: string; by?: string; json: boolean }
  | { name: 'reassign'; caseId: string; stepKey: string; to: string; by?: string; json: boolean }
  | { name: 'export'; filter: CaseFilter; out?: string; bom: boolean; progressEvery: number }
  | { name: 'incidents'; json: boolean }
  | { name: 'retry'; caseId: string; by?: string; json: boolean }
  | { name: 'revoke-status-links'; caseId: string; by?: string; json: boolean }
  | { name: 'outbox'; json: boolean }
  | { name: 'redrive'; json: boolean };

export interface Invocation {
  command: Command;
  local: boolean;
  runtimeFile?: string;
}

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new UsageError(`${what}: ${result.error.issues[0]!.message} (got "${String(value)}")`);
  return result.data;
}

/** Parses the command line (node:util parseArgs, then zod per argument); bad usage is a UsageError. */
export function parseCommandLine(argv: string[], env: Record<string, string | undefined> = {}): Invocation {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '.') : String(error));
  }
  const { values, positionals } = parsed;
  const local = Boolean(values.local) || ['1', 'true', 'yes'].includes((env.ZMIANA_SD_LOCAL ?? '').toLowerCase());
  const runtimeFile = values['runtime-file'] ?? env.ZMIANA_SD_RUNTIME_FILE;
  const [first, ...args] = positionals;
  if (values.help || first === undefined || first === 'help') return { command: { name: 'help' }, local, runtimeFile };
  if (!(COMMANDS as readonly string[]).includes(first)) throw new UsageError(`unknown command "${first}" (commands: ${COMMANDS.filter((c) => c !== 'help').join(', ')})`);
  const name = first as CommandName;

  const allowed = new Set<string>([...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[name]]);
  const misplaced = Object.keys(values).filter((option) => !allowed.has(option));
  if (misplaced.length) throw new UsageError(`${misplaced.map((o) => `--${o}`).join(', ')} ${misplaced.length > 1 ? 'are not options' : 'is not an option'} of ${name}`);
  const arity = ARITY[name];
  if (args.length !== arity.length) {
    throw new UsageError(args.length < arity.length ? `${name} needs ${arity.join(' ')} (missing ${arity.slice(args.length).join(' ')})` : `${name} takes ${arity.length ? arity.join(' ') : 'no arguments'}; unexpected "${args.slice(arity.length).join(' ')}"`);
  }

  const filter = (): CaseFilter => ({
    ...(values.status !== undefined ? { status: check(statusArg, values.status, '--status') } : {}),
    ...(values.voivodeship !== undefined ? { voivodeship: check(voivodeshipArg, values.voivodeship, '--voivodeship') } : {}),
    ...(values.step !== undefined ? { step: check(stepFilterArg, values.step, '--step') } : {}),
    ...(values['older-than'] !== undefined ? { olderThanMs: check(durationArg, values['older-than'], '--older-than') } : {}),
  });
  // Who acts, for the timeline and the e-mails: --by, else ZMIANA_SD_OPERATOR, else the MRPiPS address.
  const operatorOf = () => (values.by !== undefined ? check(emailAddress, values.by, '--by') : env.ZMIANA_SD_OPERATOR ? check(emailAddress, env.ZMIANA_SD_OPERATOR, 'ZMIANA_SD_OPERATOR') : undefined);
  const json = Boolean(values.json);
  const command = ((): Command => {
    switch (name) {
      case 'list':
        return { name, filter: filter(), json };
      case 'show':
        return { name, caseId: check(caseIdArg, args[0], '<caseId>'), json };
      case 'cancel': {
        if (values.reason === undefined) throw new UsageError('cancel needs --reason "…" (every participant reads it)');
        return { name, caseId: check(caseIdArg, args[0], '<caseId>'), reason: check(cancellationReason, values.reason, '--reason'), yes: Boolean(values.yes), by: operatorOf(), json };
      }
      case 'resend':
        return { name, caseId: check(caseIdArg, args[0], '<caseId>'), stepKey: check(stepKeyArg, args[1], '<STEP.round>'), by: operatorOf(), json };
      case 'reassign':
        return { name, caseId: check(caseIdArg, args[0], '<caseId>'), stepKey: check(stepKeyArg, args[1], '<STEP.round>'), to: check(emailAddress, args[2], '<email>'), by: operatorOf(), json };
      case 'export':
        return { name, filter: filter(), ...(values.out !== undefined ? { out: values.out } : {}), bom: Boolean(values.bom), progressEvery: values['progress-every'] !== undefined ? check(progressArg, values['progress-every'], '--progress-every') : 500 };
      case 'incidents':
        return { name, json };
      case 'retry':
      case 'revoke-status-links':
        return { name, caseId: check(caseIdArg, args[0], '<caseId>'), by: operatorOf(), json };
      case 'outbox':
        return { name, json };
      case 'redrive':
        return { name, json };
      case 'help':
        return { name };
    }
  })();
  return { command, local, ...(runtimeFile ? { runtimeFile } : {}) };
}

// ---------------------------------------------------------------------------------------------------------
// Target: the local stack or AWS

interface Target {
  /** For messages: which system this is. */
  label: string;
  tableName: string;
  db: DynamoDBClient;
  /** Only what mail-sending commands need; they fail with a clear message if it is missing. */
  mail(): Promise<Omit<CancelDeps, 'store' | 'now' | 'limits'>>;
  /** Step Functions only (retry needs no mail configuration). */
  workflow(): Workflow;
  /** The outbox and its dead-letter queue (outbox, redrive). */
  outboxQueues(): OutboxQueues;
  defaultOperator(): string | undefined;
  close(): void;
}

async function localTarget(runtimeFile: string): Promise<Target> {
  const runtime = await readRuntimeFile(runtimeFile).catch((error: Error) => {
    throw new OperationError(error.message);
  });
  if (!writerIsAlive(runtime)) throw new OperationError(`The local stack that wrote ${runtimeFile} (process ${runtime.pid}) is not running any more. Start it with \`npm start\`.`);
  const client = { region: runtime.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const db = new DynamoDBClient({ ...client, endpoint: runtime.endpoints.dynamodb });
  const sqs = new SQSClient({ ...client, endpoint: runtime.endpoints.sqs });
  const sfn = new SFNClient({ ...client, endpoint: runtime.endpoints.stepFunctions });
  return {
    label: `local stack (${runtime.endpoints.pages})`,
    tableName: runtime.tableName,
    db,
    mail: async () => {
      const config = parseEnv(mailConfigSchema, { MRPIPS_EMAIL: runtime.mrpipsEmail, VOIVODESHIP_ADMINS: runtime.voivodeshipAdmins, PUBLIC_BASE_URL: runtime.publicBaseUrl }, runtimeFile);
      return {
        mailer: new Outbox(sqs, runtime.outbox.queueUrl),
        workflow: new Workflow(sfn),
        directory: { mrpipsEmail: config.MRPIPS_EMAIL, voivodeshipAdmins: config.VOIVODESHIP_ADMINS },
        keys: parseKeys(runtime.linkSigningKeys, runtimeFile),
        statusLinks: statusLinks(config.PUBLIC_BASE_URL, parseKeys(runtime.statusLinkKeys, runtimeFile)),
        baseUrl: config.PUBLIC_BASE_URL,
        procedureStateMachineArn: runtime.procedureStateMachineArn,
      };
    },
    workflow: () => new Workflow(sfn),
    outboxQueues: () => new OutboxQueues(sqs, runtime.outbox.queueUrl, runtime.outbox.deadLetterQueueUrl),
    defaultOperator: () => runtime.mrpipsEmail,
    close: () => [db, sqs, sfn].forEach((c) => c.destroy()),
  };
}

function awsTarget(env: Record<string, string | undefined>): Target {
  const { TABLE_NAME } = parseEnv(z.object({ TABLE_NAME: z.string({ error: 'is not set' }).min(1, 'is empty') }), env, 'the environment (set the stack outputs, or use --local for the local stack)');
  const db = new DynamoDBClient({});
  let sqs: SQSClient | undefined;
  let sfn: SFNClient | undefined;
  const queueUrl = (name: string) =>
    parseEnv(z.object({ [name]: z.url({ error: 'is not set (the stack output)' }) }), env, 'the environment')[name] as string;
  return {
    label: `AWS (table ${TABLE_NAME}${env.AWS_REGION ? `, ${env.AWS_REGION}` : ''})`,
    tableName: TABLE_NAME,
    db,
    mail: async () => {
      const config = parseEnv(mailConfigSchema, env, 'the environment');
      if (!env.LINK_KEYS_SECRET_ARN && !env.LINK_SIGNING_KEYS) throw new UsageError('LINK_KEYS_SECRET_ARN is required (the stack output with the link signing key secret)');
      if (!env.STATUS_KEYS_SECRET_ARN && !env.STATUS_LINK_KEYS) throw new UsageError('STATUS_KEYS_SECRET_ARN is required (the stack output with the status link key secret)');
      const outboxUrl = queueUrl('OUTBOX_QUEUE_URL');
      sqs ??= new SQSClient({});
      sfn = new SFNClient({});
      let keys: SigningKeys;
      let statusKeys: SigningKeys;
      try {
        keys = await loadSigningKeys({ LINK_KEYS_SECRET_ARN: env.LINK_KEYS_SECRET_ARN, LINK_SIGNING_KEYS: env.LINK_SIGNING_KEYS });
        statusKeys = await loadStatusKeys({ STATUS_KEYS_SECRET_ARN: env.STATUS_KEYS_SECRET_ARN, STATUS_LINK_KEYS: env.STATUS_LINK_KEYS });
      } catch (error) {
        throw new OperationError(`Cannot read the link signing keys: ${error instanceof Error ? error.message : String(error)}`);
      }
      return {
        mailer: new Outbox(sqs, outboxUrl),
        workflow: new Workflow(sfn),
        directory: { mrpipsEmail: config.MRPIPS_EMAIL, voivodeshipAdmins: config.VOIVODESHIP_ADMINS },
        keys,
        statusLinks: statusLinks(config.PUBLIC_BASE_URL, statusKeys),
        baseUrl: config.PUBLIC_BASE_URL,
        ...(env.PROCEDURE_STATE_MACHINE_ARN ? { procedureStateMachineArn: env.PROCEDURE_STATE_MACHINE_ARN } : {}),
      };
    },
    workflow: () => new Workflow((sfn ??= new SFNClient({}))),
    outboxQueues: () => new OutboxQueues((sqs ??= new SQSClient({})), queueUrl('OUTBOX_QUEUE_URL'), queueUrl('OUTBOX_DEAD_LETTER_QUEUE_URL')),
    defaultOperator: () => env.MRPIPS_EMAIL?.trim().toLowerCase(),
    close: () => [db, sqs, sfn].forEach((c) => c?.destroy()),
  };
}

function parseEnv<T extends z.ZodTypeAny>(schema: T, env: Record<string, unknown>, source: string): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) throw new UsageError(`configuration from ${source}: ${result.error.issues.map((i) => `${i.path.join('.') || '(env)'} ${i.message}`).join('; ')}`);
  return result.data;
}

function parseKeys(raw: string, source: string): SigningKeys {
  const result = signingKeysSchema.safeParse(JSON.parse(raw));
  if (!result.success) throw new UsageError(`the link signing keys in ${source} are invalid`);
  return result.data;
}

/** A refused or failed operation that the message explains fully: exit code 1, no stack trace. */
class OperationError extends Error {
  override name = 'OperationError';
}

// ---------------------------------------------------------------------------------------------------------
// Output

const warsaw = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Warsaw', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
/** "2026-03-10 10:00" in Polish time; empty for nothing. */
export function formatTime(iso: string | undefined | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : warsaw.format(date);
}

export function truncate(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(1, width - 1)).join('')}…`;
}

/** A plain-text table: a header row, a rule, then the rows; columns padded to the widest cell. */
export function renderTable(headers: string[], rows: string[][]): string {
  const width = (text: string) => [...text].length;
  const widths = headers.map((header, i) => Math.max(width(header), ...rows.map((row) => width(row[i] ?? ''))));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i]! - width(cell)))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

export function listTable(summaries: CaseSummary[]): string {
  if (summaries.length === 0) return 'No cases match.\n';
  const rows = summaries.map((s) => [
    s.caseId,
    s.status,
    truncate(`${s.officeName} (${s.teryt})`, 60),
    `${s.voivodeship} ${s.voivodeshipName}`,
    s.awaiting.map((a) => a.stepKey).join(', ') || '—',
    s.awaiting.map((a) => a.recipient).join(', ') || '—',
    s.daysWaiting === null ? '—' : String(s.daysWaiting),
  ]);
  return `${renderTable(['CASE', 'STATUS', 'UNIT', 'VOIVODESHIP', 'AWAITED STEP', 'RECIPIENT', 'DAYS WAITING'], rows)}${summaries.length} case${summaries.length === 1 ? '' : 's'}\n`;
}

/** A step as shown to operators: never its task token. */
function publicStep(step: StepRecord): Omit<StepRecord, 'taskToken'> {
  const { taskToken: _token, ...rest } = step;
  return rest;
}

export function caseDetails(record: CaseRecord, steps: StepRecord[], timeline: TimelineEntry[], executionArn: string | undefined, incidents: Omit<IncidentRecord, 'taskToken'>[] = []): string {
  const n = record.notification;
  const rows: [string, string][] = [
    ['Status', `${record.status} (${CASE_STATUS_LABEL[record.status] ?? ''})`],
    ['Unit', `${n.officeName}, TERYT ${n.teryt}, voivodeship ${record.voivodeship} ${VOIVODESHIPS[record.voivodeship] ?? ''}`],
    ['MZT unit code', n.mztUnitCode],
    ['Planned change', n.plannedChangeDate],
    ['Variant', record.variant ? VARIANT_LABEL[record.variant] : '—'],
    ...record.collections.map((c): [string, string] => [`Collection (${c.area})`, `${c.oldCode}${c.newCode ? ` → ${c.newCode}` : ''}`]),
    ['Old SD', `${n.oldSd.product} (${n.oldSd.supplier})`],
    ['New SD', `${n.newSd.product} (${n.newSd.supplier})${n.newSd.contactEmail ? `, contact ${n.newSd.contactEmail}` : ''}`],
    ['JST contact', `${n.contact.name} <${n.contact.email}>, ${n.contact.phone}${record.contactConfirmedAt ? `, confirmed ${formatTime(record.contactConfirmedAt)}` : ', not confirmed'}`],
    ['Created / updated', `${formatTime(record.createdAt)} / ${formatTime(record.updatedAt)}`],
    ...(executionArn ? [['Execution', executionArn] as [string, string]] : []),
    ...(record.outcome ? [['Outcome', `old collections ${record.outcome.collectionsState} (${formatTime(record.outcome.at)})`] as [string, string]] : []),
    ...(record.failure ? [['Failure', `${record.failure.step}: ${record.failure.reason} (${formatTime(record.failure.at)})`] as [string, string]] : []),
    ...(record.cancellation ? [['Cancelled', `${formatTime(record.cancellation.at)} by ${record.cancellation.by}: ${record.cancellation.reason}`] as [string, string]] : []),
  ];
  const label = Math.max(...rows.map(([k]) => k.length));
  const stepRows = [...steps]
    .sort((a, b) => a.requestedAt.localeCompare(b.requestedAt))
    .map((s) => [s.stepKey, s.role, recipientUnreachable(s) ? `${s.recipient} (UNDELIVERABLE: ${s.undeliverable!.event})` : s.recipient, s.status, formatTime(s.requestedAt), formatTime(s.deadline), String(s.remindersSent), s.completedAt ? `${formatTime(s.completedAt)} ${s.completedBy?.email ?? ''}`.trim() : '']);
  const timelineRows = timeline.map((e) => [formatTime(e.at), e.actor.role === 'SYSTEM' ? 'system' : `${e.actor.role}${e.actor.email ? ` ${e.actor.email}` : ''}`, e.action, e.summary]);
  return [
    `Case ${record.caseId}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(label)}  ${v}`),
    '',
    'Steps',
    steps.length ? renderTable(['STEP', 'ROLE', 'RECIPIENT', 'STATUS', 'REQUESTED', 'DEADLINE', 'REMINDERS', 'COMPLETED'], stepRows).trimEnd() : '  (none yet)',
    '',
    ...(incidents.length
      ? ['Incidents', renderTable(['OPENED', 'STATUS', 'FAILED STATE', 'ERROR', 'REASON'], incidents.map((i) => [formatTime(i.openedAt), i.status, i.state, i.error, truncate(i.reason, 80)])).trimEnd(), '']
      : []),
    'Timeline',
    renderTable(['WHEN', 'WHO', 'ACTION', 'WHAT'], timelineRows).trimEnd(),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Commands

interface Context {
  io: CliIo;
  target: Target;
  store: CaseStore;
}

/** MAX_RESENDS_PER_STEP and MAX_REASSIGNMENTS_PER_STEP (and the participants' MAX_HAND_OVERS_PER_STEP) from the shell, else the defaults. */
function stepLimits(ctx: Context): StepLimitsConfig {
  return parseEnv(stepLimitsConfigSchema, ctx.io.env, 'the environment');
}

function operator(command: { by?: string }, target: Target): Actor {
  const email = command.by ?? target.defaultOperator();
  if (!email) throw new UsageError('say who acts with --by EMAIL (or set ZMIANA_SD_OPERATOR or MRPIPS_EMAIL)');
  return { role: 'MRPIPS', email };
}

function json(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

async function scanWithProgress(ctx: Context, every: number | undefined): Promise<ScannedCases> {
  let reported = 0;
  return scanCasesAndSteps(ctx.target.db, ctx.target.tableName, every ? ({ items }) => {
    if (items - reported >= every) {
      reported = items;
      ctx.io.stderr(`read ${items} items…\n`);
    }
  } : undefined);
}

async function runList(ctx: Context, command: Extract<Command, { name: 'list' }>): Promise<number> {
  const now = ctx.io.now();
  const { cases, steps } = await scanWithProgress(ctx, undefined);
  const summaries = filterCases(summariseCases(cases, steps, now), command.filter, now);
  if (command.json) json(ctx.io, summaries);
  else ctx.io.stdout(listTable(summaries));
  return EXIT.OK;
}

async function runShow(ctx: Context, command: Extract<Command, { name: 'show' }>): Promise<number> {
  const [record, steps, timeline, incidents] = await Promise.all([ctx.store.getCase(command.caseId), ctx.store.listSteps(command.caseId), ctx.store.getTimeline(command.caseId), ctx.store.listIncidents(command.caseId)]);
  const shownIncidents = incidents.map(({ taskToken: _token, ...incident }) => incident);
  if (!record) throw new NotFoundError(`Case ${command.caseId} not found in ${ctx.target.label}`);
  let executionArn: string | undefined;
  try {
    executionArn = procedureExecutionArn(record);
  } catch {
    executionArn = undefined;
  }
  if (command.json) json(ctx.io, { case: { ...record, timeline }, steps: steps.map(publicStep), incidents: shownIncidents, ...(executionArn ? { executionArn } : {}) });
  else ctx.io.stdout(caseDetails(record, steps, timeline, executionArn, shownIncidents));
  return EXIT.OK;
}

async function runCancel(ctx: Context, command: Extract<Command, { name: 'cancel' }>): Promise<number> {
  if (!command.yes && !ctx.io.interactive) throw new UsageError('cancel asks for confirmation at a terminal; not at one, pass --yes to cancel without asking');
  const by = operator(command, ctx.target);
  const record = await ctx.store.getCase(command.caseId);
  if (!record) throw new NotFoundError(`Case ${command.caseId} not found in ${ctx.target.label}`);
  if (!command.yes) {
    ctx.io.stderr(
      `About to cancel case ${record.caseId} (${record.status}) of ${record.notification.officeName}, TERYT ${record.notification.teryt}, in ${ctx.target.label}.\n` +
        'The execution will be stopped, open links will stop working, the collections will be released and every participant will get an e-mail with the reason:\n' +
        `  ${command.reason}\n`,
    );
    const answer = await ctx.io.ask(`Type the case id (${record.caseId}) to cancel it: `);
    if (answer.trim().toUpperCase() !== record.caseId) {
      ctx.io.stderr('Not cancelled: the answer was not the case id. Nothing changed.\n');
      return EXIT.FAILED;
    }
  }
  const mail = await ctx.target.mail();
  const result = await cancelCase({ ...mail, limits: stepLimits(ctx), store: ctx.store, now: ctx.io.now() }, { caseId: command.caseId, reason: command.reason, by });
  if (command.json) {
    json(ctx.io, { caseId: result.record.caseId, status: result.record.status, cancelledNow: result.cancelledNow, cancellation: result.record.cancellation, execution: result.execution, closedSteps: result.closedSteps, releasedCollections: result.releasedCollections, notified: result.notified });
    return EXIT.OK;
  }
  ctx.io.stdout(
    [
      result.cancelledNow ? `Case ${result.record.caseId} cancelled.` : `Case ${result.record.caseId} was already cancelled (${formatTime(result.record.cancellation?.at)}, reason: ${result.record.cancellation?.reason}); finished what was left.`,
      `  execution:             ${result.execution.status} (${result.execution.arn})`,
      `  steps closed:          ${result.closedSteps.join(', ') || '—'}`,
      `  collections released:  ${result.releasedCollections.join(', ') || '—'}`,
      `  e-mailed:              ${result.notified.join(', ') || '— (already told)'}`,
      '',
    ].join('\n'),
  );
  return EXIT.OK;
}

export function incidentsTable(incidents: Omit<IncidentRecord, 'taskToken'>[]): string {
  if (incidents.length === 0) return 'No incidents wait for a decision.\n';
  const rows = incidents.map((i) => [i.caseId, i.status, truncate(i.state, 40), i.error, formatTime(i.openedAt), formatTime(i.waitsUntil), truncate(i.reason, 80)]);
  return `${renderTable(['CASE', 'INCIDENT', 'FAILED STATE', 'ERROR', 'OPENED', 'WAITS UNTIL', 'REASON'], rows)}${incidents.length} incident${incidents.length === 1 ? '' : 's'} waiting; \`retry <caseId>\` once the cause is fixed, or \`cancel\`.\n`;
}

async function runIncidents(ctx: Context, command: Extract<Command, { name: 'incidents' }>): Promise<number> {
  const { incidents } = await scanWithProgress(ctx, undefined);
  const waiting = incidents.filter((i) => WAITING_INCIDENT_STATUSES.includes(i.status)).sort((a, b) => a.openedAt.localeCompare(b.openedAt));
  if (command.json) json(ctx.io, waiting);
  else ctx.io.stdout(incidentsTable(waiting));
  return EXIT.OK;
}

async function runRevokeStatusLinks(ctx: Context, command: Extract<Command, { name: 'revoke-status-links' }>): Promise<number> {
  const by = operator(command, ctx.target);
  const { record, generation } = await revokeStatusLinks(ctx.store, { caseId: command.caseId, by }, ctx.io.now());
  if (command.json) json(ctx.io, { caseId: record.caseId, status: record.status, statusLinkGeneration: generation, revokedBy: by.email });
  else ctx.io.stdout(`Status links of ${record.caseId} revoked (generation ${generation}, by ${by.email}): the links sent so far no longer open the status page; e-mails sent from now on carry a new one.
`);
  return EXIT.OK;
}

async function runRetry(ctx: Context, command: Extract<Command, { name: 'retry' }>): Promise<number> {
  const by = operator(command, ctx.target);
  const result = await retryIncidents({ store: ctx.store, workflow: ctx.target.workflow(), now: ctx.io.now() }, { caseId: command.caseId, by: by.email });
  const publicIncident = ({ incident: { taskToken: _token, ...incident }, outcome }: RetriedIncident) => ({ ...incident, outcome });
  if (command.json) {
    json(ctx.io, { caseId: command.caseId, status: result.record?.status, retried: result.retried.map(publicIncident) });
  } else {
    ctx.io.stdout(
      [
        ...result.retried.map(({ incident, outcome }) =>
          outcome === 'retried'
            ? `Retried ${incident.state} of ${command.caseId} (failed with ${incident.error}); the case continues from there.`
            : `Incident at ${incident.state} of ${command.caseId} no longer waited (its execution ended or its wait ran out); closed.`,
        ),
        `Case status: ${result.record?.status ?? '— (the case was never registered)'}`,
        '',
      ].join('\n'),
    );
  }
  return result.retried.some((r) => r.outcome === 'retried') ? EXIT.OK : EXIT.FAILED;
}

export function outboxTable(depths: { outbox: QueueDepth; deadLetters: QueueDepth }): string {
  const row = (name: string, d: QueueDepth) => [name, String(d.visible), String(d.inFlight), String(d.delayed)];
  const table = renderTable(['QUEUE', 'WAITING', 'BEING SENT', 'DELAYED'], [row('outbox', depths.outbox), row('dead letters', depths.deadLetters)]);
  const dead = depths.deadLetters.visible + depths.deadLetters.inFlight + depths.deadLetters.delayed;
  return `${table}${dead ? `${dead} e-mail${dead === 1 ? '' : 's'} could not be sent: read send-email's ERROR lines, fix the cause, then \`redrive\`.\n` : 'Nothing in the dead-letter queue.\n'}`;
}

async function runOutbox(ctx: Context, command: Extract<Command, { name: 'outbox' }>): Promise<number> {
  const depths = await ctx.target.outboxQueues().depths();
  if (command.json) json(ctx.io, depths);
  else ctx.io.stdout(outboxTable(depths));
  return EXIT.OK;
}

async function runRedrive(ctx: Context, command: Extract<Command, { name: 'redrive' }>): Promise<number> {
  const { moved } = await ctx.target.outboxQueues().redrive((done, of) => {
    if (!command.json && (done % 100 === 0 || done === of)) ctx.io.stderr(`moved ${done} of ${of}…\n`);
  });
  if (command.json) json(ctx.io, { moved });
  else ctx.io.stdout(moved ? `Moved ${moved} e-mail${moved === 1 ? '' : 's'} back to the outbox; send-email sends them at the sending rate.\n` : 'The dead-letter queue is empty: nothing to move.\n');
  return EXIT.OK;
}

async function runResend(ctx: Context, command: Extract<Command, { name: 'resend' }>): Promise<number> {
  const mail = await ctx.target.mail();
  const result = await resendStepLink({ ...mail, limits: stepLimits(ctx), store: ctx.store, now: ctx.io.now() }, { caseId: command.caseId, stepKey: command.stepKey, by: operator(command, ctx.target) });
  if (command.json) json(ctx.io, { caseId: command.caseId, stepKey: command.stepKey, recipient: result.recipient, deadline: result.step.deadline });
  else ctx.io.stdout(`Sent a new link for ${command.stepKey} (${STEPS[result.step.step].title}) of ${command.caseId} to ${result.recipient}; older links no longer work. Deadline unchanged: ${formatTime(result.step.deadline)}.\n`);
  return EXIT.OK;
}

async function runReassign(ctx: Context, command: Extract<Command, { name: 'reassign' }>): Promise<number> {
  const mail = await ctx.target.mail();
  const by = operator(command, ctx.target);
  const result = await handOverStep({ ...mail, limits: stepLimits(ctx), store: ctx.store, now: ctx.io.now() }, { caseId: command.caseId, stepKey: command.stepKey, to: command.to, by }).catch((error: unknown) => {
    if (!(error instanceof HandOverUnfinished)) throw error;
    throw new OperationError(`${error.message}. The new recipient has the link; run the same command again to finish.`);
  });
  if (command.json) json(ctx.io, { caseId: command.caseId, stepKey: command.stepKey, from: result.step.recipient, to: result.to, deadline: result.step.deadline });
  else {
    ctx.io.stdout(
      `Handed ${command.stepKey} (${STEPS[result.step.step].title}, ${ROLE_LABEL[result.step.role]}) of ${command.caseId} from ${result.step.recipient} to ${result.to}.\n` +
        `${result.to} got a new link (deadline unchanged: ${formatTime(result.step.deadline)}); the old link no longer works; MRPiPS and ${result.step.recipient} were told.\n`,
    );
  }
  return EXIT.OK;
}

async function runExport(ctx: Context, command: Extract<Command, { name: 'export' }>): Promise<number> {
  const now = ctx.io.now();
  const { cases, steps } = await scanWithProgress(ctx, command.progressEvery);
  const summaries = filterCases(summariseCases(cases, steps, now), command.filter, now);
  const write = command.out ? await openFile(command.out) : { write: (text: string) => void ctx.io.stdout(text), close: async () => undefined };
  write.write(`${command.bom ? '\uFEFF' : ''}${csvHeader()}`);
  summaries.forEach((summary, index) => {
    write.write(csvLine(summary));
    const done = index + 1;
    if (summaries.length > command.progressEvery && (done % command.progressEvery === 0 || done === summaries.length)) ctx.io.stderr(`exported ${done}/${summaries.length} cases\n`);
  });
  await write.close();
  ctx.io.stderr(`${summaries.length} case${summaries.length === 1 ? '' : 's'} exported${command.out ? ` to ${command.out}` : ''}.\n`);
  return EXIT.OK;
}

async function openFile(path: string): Promise<{ write(text: string): void; close(): Promise<void> }> {
  const stream = createWriteStream(path, { encoding: 'utf8' });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(new OperationError(`Cannot write ${path}: ${error.message}`)));
  });
  let failure: Error | undefined;
  stream.on('error', (error) => (failure = error));
  return {
    write: (text) => void stream.write(text),
    close: () =>
      new Promise((resolve, reject) =>
        stream.end(() => (failure ? reject(new OperationError(`Cannot write ${path}: ${failure.message}`)) : resolve())),
      ),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Entry

/** What went wrong, for the operator: one line, no stack trace; and the exit code. */
export function describeError(error: unknown, targetLabel?: string): { message: string; exitCode: number } {
  if (error instanceof UsageError) return { message: `error: ${error.message}\nRun \`npm run cases -- help\` for usage.`, exitCode: EXIT.USAGE };
  const err = error instanceof Error ? error : new Error(String(error));
  if (err instanceof NotFoundError || err instanceof ConflictError || err instanceof ValidationError || err instanceof OperationError) return { message: `error: ${err.message}`, exitCode: EXIT.FAILED };
  const code = (err as NodeJS.ErrnoException).code ?? (err.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED' || err.name === 'ECONNREFUSED') return { message: `error: cannot reach ${targetLabel ?? 'the target'} (connection refused). Is the local stack running (\`npm start\`)?`, exitCode: EXIT.FAILED };
  if (err.name === 'CredentialsProviderError' || /credential/i.test(err.message)) return { message: `error: no usable AWS credentials (${err.message}). Use --local for the local stack.`, exitCode: EXIT.FAILED };
  if (err.name === 'ResourceNotFoundException') return { message: `error: ${err.message} — is TABLE_NAME the stack's table, in this region?`, exitCode: EXIT.FAILED };
  return { message: `error: ${err.name}: ${err.message}`, exitCode: EXIT.FAILED };
}

export async function main(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = { ...defaultIo(), ...io };
  let target: Target | undefined;
  try {
    const invocation = parseCommandLine(argv, full.env);
    const { command } = invocation;
    if (command.name === 'help') {
      full.stdout(USAGE);
      return EXIT.OK;
    }
    target = invocation.local ? await localTarget(invocation.runtimeFile ?? DEFAULT_RUNTIME_FILE) : awsTarget(full.env);
    const ctx: Context = { io: full, target, store: new CaseStore(target.db, target.tableName) };
    switch (command.name) {
      case 'list':
        return await runList(ctx, command);
      case 'show':
        return await runShow(ctx, command);
      case 'cancel':
        return await runCancel(ctx, command);
      case 'resend':
        return await runResend(ctx, command);
      case 'reassign':
        return await runReassign(ctx, command);
      case 'export':
        return await runExport(ctx, command);
      case 'incidents':
        return await runIncidents(ctx, command);
      case 'retry':
        return await runRetry(ctx, command);
      case 'revoke-status-links':
        return await runRevokeStatusLinks(ctx, command);
      case 'outbox':
        return await runOutbox(ctx, command);
      case 'redrive':
        return await runRedrive(ctx, command);
    }
    throw new UsageError(`unknown command`);
  } catch (error) {
    const { message, exitCode } = describeError(error, target?.label);
    full.stderr(`${message}\n`);
    return exitCode;
  } finally {
    target?.close();
  }
}

function defaultIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    ask: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    now: () => new Date(),
  };
}

if (isEntryPoint(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
