/**
 * Cost model of one case on AWS (eu-central-1), from counts.
 *
 * The counts come either from walking the real ASL files (statemachine/*.asl.json) along a path (the happy
 * paths WITH_MIGRATION / WITHOUT_MIGRATION, optionally with failed verification rounds), or from a measured run
 * (the national-wave bench can pass its own `CaseCounts` to {@link costOfCase}).
 *
 * What is derived and what is assumed:
 * - state transitions: counted by the walk (every state entered, parent and child executions, Parallel
 *   branches included; retries would add more, none on a happy path);
 * - Lambda invocations: from the walk (Task states invoking a function) plus one per HTTP request;
 *   durations, init time and cold-start share are parameters with defaults justified in DEFAULT_ASSUMPTIONS;
 * - e-mails: from the walk and the templates each action sends (E-MAILS table below, which follows
 *   lambdas/request-confirmation, apply-response and send-notice; cross-checked with the exact e-mails per
 *   participant asserted by test/e2e/procedure.test.ts). SES bills every recipient, cc included;
 * - DynamoDB reads/writes: an ESTIMATE from reading the code paths of each handler (DDB_OPS below), with item
 *   sizes as parameters; a measured run should replace it;
 * - HTTP requests: the form (GET + POST), each human step's link (GET the page + POST the answer), and a
 *   parameter for status-page views;
 * - CloudWatch Logs: bytes per Lambda invocation and per Step Functions history event (level ALL, no execution
 *   data, lib/procedure-state-machines.ts), parameters;
 * - extras besides the brief (both are enabled in lib/): X-Ray traces (tracing ACTIVE on functions and state
 *   machines) and Secrets Manager GetSecretValue (signing keys, once per cold start of a signing function).
 * Free tiers are ignored (the account may be shared; the per-case marginal cost is what matters).
 *
 * Usage: npx tsx bench/cost.ts [--json bench/results/cost.json] [--failed-rounds 0]
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STEPS, type StepId } from '../lambdas/core/steps.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Target from the issue: under half a US cent per completed case. */
export const TARGET_USD_PER_CASE = 0.005;

// ---------------------------------------------------------------------------------------------------------------
// Prices
// ---------------------------------------------------------------------------------------------------------------

export interface Price {
  /** US dollars per `per` units of `unit`. */
  readonly usd: number;
  readonly per: number;
  readonly unit: string;
  /** Where the number is published. */
  readonly source: string;
}

/**
 * Date assumption for every price: the public on-demand price lists for EU (Frankfurt) eu-central-1 as published
 * in 2025 (after DynamoDB's on-demand price cut of 1 Nov 2024 and Lambda's INIT-phase billing from 1 Aug 2025).
 * They were not re-checked online when this file was written (no network): check the source pages before
 * quoting a figure. Free tiers are not applied.
 */
export const PRICE_DATE_ASSUMPTION = 'AWS public price lists for eu-central-1 as published in 2025, not re-checked online';

export const PRICES = {
  /** Standard workflows: $0.025 per 1,000 state transitions in eu-central-1. */
  sfnTransition: { usd: 0.025, per: 1_000, unit: 'state transition', source: 'aws.amazon.com/step-functions/pricing (Standard workflows, EU Frankfurt)' },
  /** Lambda arm64 duration: $0.0000133334 per GB-second (first tier, 0–7.5 billion GB-s/month). */
  lambdaArmGbSecond: { usd: 0.0000133334, per: 1, unit: 'GB-s (arm64)', source: 'aws.amazon.com/lambda/pricing (Arm price, EU Frankfurt)' },
  /** Lambda requests: $0.20 per million. */
  lambdaRequest: { usd: 0.2, per: 1_000_000, unit: 'request', source: 'aws.amazon.com/lambda/pricing (requests, EU Frankfurt)' },
  /** DynamoDB on-demand write request units: $0.7625 per million in eu-central-1 (after the Nov 2024 50% cut). */
  dynamoWru: { usd: 0.7625, per: 1_000_000, unit: 'WRU', source: 'aws.amazon.com/dynamodb/pricing/on-demand (EU Frankfurt, Standard table class)' },
  /** DynamoDB on-demand read request units: $0.1525 per million in eu-central-1. */
  dynamoRru: { usd: 0.1525, per: 1_000_000, unit: 'RRU', source: 'aws.amazon.com/dynamodb/pricing/on-demand (EU Frankfurt, Standard table class)' },
  /** SES outbound: $0.10 per 1,000 e-mails; every recipient (to and cc) counts as one e-mail. No attachments. */
  sesEmail: { usd: 0.1, per: 1_000, unit: 'e-mail (recipient)', source: 'aws.amazon.com/ses/pricing (outbound e-mail, all regions)' },
  /** API Gateway HTTP APIs: $1.20 per million requests (first 300 million) in eu-central-1, metered per 512 KB. */
  httpApiRequest: { usd: 1.2, per: 1_000_000, unit: 'HTTP API request', source: 'aws.amazon.com/api-gateway/pricing (HTTP APIs, EU Frankfurt)' },
  /** CloudWatch Logs ingestion (standard class): $0.63 per GB in eu-central-1 (vended logs start at the same tier). */
  logsIngestGb: { usd: 0.63, per: 1, unit: 'GB ingested', source: 'aws.amazon.com/cloudwatch/pricing (Logs, collect, EU Frankfurt)' },
  /** X-Ray: $5.00 per million traces recorded. */
  xrayTrace: { usd: 5, per: 1_000_000, unit: 'trace recorded', source: 'aws.amazon.com/xray/pricing' },
  /** SQS standard queue: $0.40 per million requests after the first million a month, each 64 KB of payload one request. */
  sqsRequest: { usd: 0.4, per: 1_000_000, unit: 'SQS request (64 KB chunk)', source: 'aws.amazon.com/sqs/pricing (standard queue, EU Frankfurt)' },
  /** Secrets Manager: $0.05 per 10,000 API calls (the $0.40 per secret-month is fixed, not per case). */
  secretsCall: { usd: 0.05, per: 10_000, unit: 'API call', source: 'aws.amazon.com/secrets-manager/pricing' },
} as const satisfies Record<string, Price>;

export type PriceKey = keyof typeof PRICES;
export type Prices = Record<PriceKey, Price>;

export const unitPrice = (price: Price): number => price.usd / price.per;

// ---------------------------------------------------------------------------------------------------------------
// Counts and their cost
// ---------------------------------------------------------------------------------------------------------------

export interface LambdaUsage {
  readonly name: string;
  readonly invocations: number;
  /** Average billed duration of a warm invocation, ms (Lambda rounds up to 1 ms). */
  readonly avgDurationMs: number;
  readonly memoryMb: number;
  /** Invocations that start a new execution environment (INIT billed since Aug 2025, plus first-use work). */
  readonly coldStarts: number;
  /** INIT phase duration of a cold start, ms (billed at the function's memory). */
  readonly initMs: number;
  /** Extra duration of the first invocation in an environment (SDK clients, TLS, signing keys), ms. */
  readonly coldExtraMs: number;
}

/** Everything the model needs about one case; a measured run can fill this in directly. */
export interface CaseCounts {
  readonly label: string;
  readonly stateTransitions: number;
  readonly lambdas: readonly LambdaUsage[];
  readonly dynamoWru: number;
  readonly dynamoRru: number;
  /** SES recipients (to + cc) over all messages. */
  readonly emailRecipients: number;
  /** Messages (for the reader; SES bills recipients). */
  readonly emailMessages: number;
  readonly httpRequests: number;
  /** The outbox's billed SQS requests (put, received, deleted). */
  readonly sqsRequests: number;
  readonly logBytes: number;
  readonly xrayTraces: number;
  readonly secretsManagerCalls: number;
}

export interface CostLine {
  readonly service: string;
  readonly quantity: number;
  readonly unit: string;
  readonly unitUsd: number;
  readonly usd: number;
}

export interface CaseCost {
  readonly label: string;
  readonly lines: readonly CostLine[];
  readonly totalUsd: number;
  readonly targetUsd: number;
  readonly withinTarget: boolean;
}

/** Lambda GB-seconds of the usage: warm duration per invocation, plus init and first-use extra per cold start. */
export function lambdaGbSeconds(usage: readonly LambdaUsage[]): number {
  return usage.reduce((sum, fn) => {
    const ms = fn.invocations * Math.ceil(fn.avgDurationMs) + fn.coldStarts * (Math.ceil(fn.initMs) + Math.ceil(fn.coldExtraMs));
    return sum + (ms / 1000) * (fn.memoryMb / 1024);
  }, 0);
}

/** The cost of one case from its counts. */
export function costOfCase(counts: CaseCounts, prices: Prices = PRICES, targetUsd = TARGET_USD_PER_CASE): CaseCost {
  const line = (service: string, quantity: number, key: PriceKey): CostLine => {
    const unitUsd = unitPrice(prices[key]);
    return { service, quantity, unit: prices[key].unit, unitUsd, usd: quantity * unitUsd };
  };
  const invocations = counts.lambdas.reduce((s, fn) => s + fn.invocations, 0);
  const lines = [
    line('Step Functions Standard', counts.stateTransitions, 'sfnTransition'),
    line('Lambda duration (arm64)', lambdaGbSeconds(counts.lambdas), 'lambdaArmGbSecond'),
    line('Lambda requests', invocations, 'lambdaRequest'),
    line('DynamoDB writes (on-demand)', counts.dynamoWru, 'dynamoWru'),
    line('DynamoDB reads (on-demand)', counts.dynamoRru, 'dynamoRru'),
    line('SES e-mails', counts.emailRecipients, 'sesEmail'),
    line('API Gateway HTTP API', counts.httpRequests, 'httpApiRequest'),
    line('SQS (e-mail outbox)', counts.sqsRequests, 'sqsRequest'),
    line('CloudWatch Logs ingestion', counts.logBytes / 1024 ** 3, 'logsIngestGb'),
    line('X-Ray traces', counts.xrayTraces, 'xrayTrace'),
    line('Secrets Manager calls', counts.secretsManagerCalls, 'secretsCall'),
  ];
  const totalUsd = lines.reduce((s, l) => s + l.usd, 0);
  return { label: counts.label, lines, totalUsd, targetUsd, withinTarget: totalUsd < targetUsd };
}

// ---------------------------------------------------------------------------------------------------------------
// Walking the ASL
// ---------------------------------------------------------------------------------------------------------------

interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Resource?: string;
  Choices?: { Next: string }[];
  Branches?: AslMachine[];
  Parameters?: { FunctionName?: string; StateMachineArn?: string; Payload?: Record<string, unknown>; Input?: Record<string, unknown> };
}
export interface AslMachine {
  StartAt: string;
  States: Record<string, AslState>;
}

export const readAsl = (name: 'procedure' | 'confirmation'): AslMachine =>
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'statemachine', `${name}.asl.json`), 'utf8')) as AslMachine;

/** One Lambda invocation made by a Task state, with the payload's constant fields (step, notice, round …). */
export interface TaskInvocation {
  readonly fn: string;
  readonly state: string;
  readonly payload: Record<string, unknown>;
  /** The child execution it belongs to (its step), or undefined in the parent. */
  readonly child?: { step: string; round: number };
}

export interface Walk {
  /** States entered, in order (children prefixed with `child:`). */
  readonly path: string[];
  readonly parentTransitions: number;
  readonly childTransitions: number;
  readonly childExecutions: { step: string; round: number }[];
  readonly invocations: TaskInvocation[];
}

/** Picks the next state of a Choice state: its name and how many times it has been entered (1 = first). */
export type ChoiceDecider = (state: string, visit: number, options: string[]) => string;

/** `${RegisterCaseFunctionArn}` → `register-case`. */
export function functionOf(reference: string): string {
  const m = /^\$\{(\w+)FunctionArn\}$/.exec(reference);
  if (!m) throw new Error(`Unexpected FunctionName ${reference}`);
  return m[1]!.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `-${c.toLowerCase()}`));
}

const isChildExecution = (state: AslState) => state.Resource?.startsWith('arn:aws:states:::states:startExecution') ?? false;
const isLambda = (state: AslState) => state.Resource?.startsWith('arn:aws:states:::lambda:invoke') ?? false;

const constantFields = (payload: Record<string, unknown> | undefined): Record<string, unknown> =>
  Object.fromEntries(Object.entries(payload ?? {}).filter(([k]) => !k.endsWith('.$')));

/**
 * Walks a machine from StartAt to an End/Succeed/Fail state, following Next (never Catch: no failures on the
 * path), asking `decide` at every Choice, descending into Parallel branches (all of them) and, for child
 * executions, into the confirmation machine with `decideChild`.
 */
export function walkAsl(
  machine: AslMachine,
  decide: ChoiceDecider,
  child?: { machine: AslMachine; decide: ChoiceDecider; roundOf: (step: string, visit: number) => number },
  maxStates = 1_000,
): Walk {
  const walk: { -readonly [K in keyof Walk]: Walk[K] } = { path: [], parentTransitions: 0, childTransitions: 0, childExecutions: [], invocations: [] };
  const visits = new Map<string, number>();
  const run = (m: AslMachine, prefix: string, inChild?: { step: string; round: number }) => {
    let name: string | undefined = m.StartAt;
    while (name !== undefined) {
      const state: AslState | undefined = m.States[name];
      if (!state) throw new Error(`State "${name}" not found`);
      if (walk.path.length >= maxStates) throw new Error(`Walk longer than ${maxStates} states (a loop?)`);
      const visit = (visits.get(prefix + name) ?? 0) + 1;
      visits.set(prefix + name, visit);
      walk.path.push(prefix + name);
      if (inChild) walk.childTransitions++;
      else walk.parentTransitions++;
      if (isLambda(state)) {
        walk.invocations.push({ fn: functionOf(String(state.Parameters?.FunctionName)), state: name, payload: constantFields(state.Parameters?.Payload), ...(inChild ? { child: inChild } : {}) });
      }
      if (isChildExecution(state)) {
        if (!child) throw new Error(`State "${name}" starts a child execution but no child machine was given`);
        const input = state.Parameters?.Input ?? {};
        const step = String(input.step);
        const round = typeof input.round === 'number' ? input.round : child.roundOf(step, visit);
        walk.childExecutions.push({ step, round });
        run(child.machine, 'child:', { step, round });
      }
      if (state.Type === 'Parallel') for (const branch of state.Branches ?? []) run(branch, prefix, inChild);
      if (state.Type === 'Choice') {
        const options: string[] = [...(state.Choices ?? []).map((c) => c.Next), ...(state.Default ? [state.Default] : [])];
        const next: string = (inChild ? child!.decide : decide)(name, visit, options);
        if (!options.includes(next)) throw new Error(`Choice "${name}" has no branch "${next}" (options: ${options.join(', ')})`);
        name = next;
        continue;
      }
      if (state.Type === 'Succeed' || state.Type === 'Fail' || state.End) break;
      name = state.Next;
    }
  };
  run(machine, '');
  return walk;
}

export type Variant = 'WITH_MIGRATION' | 'WITHOUT_MIGRATION';
export const CASE_VARIANTS: readonly Variant[] = ['WITH_MIGRATION', 'WITHOUT_MIGRATION'];

/**
 * The completed case of a variant: the contact confirms, MRPiPS agrees the variant, every participant answers
 * the first request (no reminders), and verification fails `failedVerificationRounds` times (0–2) first.
 */
export function walkCompletedCase(variant: Variant, failedVerificationRounds = 0, machines = { procedure: readAsl('procedure'), confirmation: readAsl('confirmation') }): Walk {
  if (failedVerificationRounds < 0 || failedVerificationRounds > 2) throw new Error('A completed case has 0–2 failed verification rounds (the third escalates)');
  const decide: ChoiceDecider = (state, visit) => {
    switch (state) {
      case '1 Contact confirmed?':
        return '1 Record contact confirmation';
      case '1 Collections free?':
        return '1 Acknowledge notification';
      case '2 Variant agreed?':
        return variant === 'WITH_MIGRATION' ? '3 Variant with data migration' : '4 Variant without data migration';
      case 'd Collections consistent?':
        return visit <= failedVerificationRounds ? 'd Next verification round' : 'd Close or archive old collections?';
      case 'd Close or archive old collections?':
        return variant === 'WITH_MIGRATION' ? '3d Archive old collections' : '4d Close old collections';
      default:
        throw new Error(`No decision for Choice "${state}" on the completed-case path`);
    }
  };
  const decideChild: ChoiceDecider = (state) => {
    throw new Error(`No reminders on the completed-case path, yet Choice "${state}" was reached`);
  };
  // VERIFY_COLLECTIONS round n is the n-th entry of "d Verify collections"; a correction of feeding is round n+1.
  const roundOf = (step: string, visit: number) => (step === 'NEW_SD_FEEDING' ? visit + 1 : visit);
  return walkAsl(machines.procedure, decide, { machine: machines.confirmation, decide: decideChild, roundOf });
}

// ---------------------------------------------------------------------------------------------------------------
// E-mails per action (from the templates each handler sends)
// ---------------------------------------------------------------------------------------------------------------

export interface EmailSent {
  readonly to: 'JST' | 'MRPIPS' | 'VOIVODESHIP_ADMIN';
  readonly what: string;
  /** The supplier's contact in copy (when the notification names one): informational notices only. */
  readonly ccSupplier: boolean;
  /** The supplier told in a message of its own (a step-b request goes to the JST alone: its link acts). */
  readonly supplierInformed?: boolean;
}

/** Who gets which e-mail when a Task invocation runs (first delivery; reminders are not on this path). */
export function emailsOf(invocation: TaskInvocation): EmailSent[] {
  const p = invocation.payload;
  switch (invocation.fn) {
    case 'request-confirmation': {
      // lambdas/request-confirmation: confirmationRequestEmail to the step's recipient alone; when copySupplier, the
      // supplier's own supplierInformedEmail beside it.
      const step = invocation.child!.step as StepId;
      const def = STEPS[step];
      return [{ to: def.role as EmailSent['to'], what: `${step} request`, ccSupplier: false, supplierInformed: def.copySupplier }];
    }
    case 'apply-response': {
      // lambdas/apply-response `notices`.
      switch (p.step) {
        case 'AGREE_VARIANT':
          return [{ to: 'JST', what: 'variant agreed', ccSupplier: false }];
        case 'NEW_COLLECTIONS':
          return [{ to: 'JST', what: 'new collection codes', ccSupplier: true }];
        case 'OLD_SD_DEACTIVATED':
        case 'NEW_SD_FEEDING':
        case 'MZT_DEACTIVATED':
          return [{ to: 'MRPIPS', what: `${String(p.step)} confirmed`, ccSupplier: false }];
        default:
          return [];
      }
    }
    case 'send-notice': {
      // lambdas/send-notice NOTICE.
      switch (p.notice) {
        case 'NOTIFICATION_REGISTERED':
          return [{ to: 'JST', what: 'notification registered', ccSupplier: false }];
        case 'NOTIFICATION_REJECTED':
          return [{ to: 'JST', what: 'notification rejected', ccSupplier: false }];
        case 'VERIFICATION_ESCALATED':
          return [
            { to: 'MRPIPS', what: 'verification escalated', ccSupplier: false },
            { to: 'JST', what: 'verification escalated', ccSupplier: false },
          ];
        case 'CASE_COMPLETED':
          return [{ to: 'JST', what: 'case completed', ccSupplier: true }];
        default:
          return [];
      }
    }
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------------------------
// DynamoDB operations per invocation (estimate from the code paths)
// ---------------------------------------------------------------------------------------------------------------

/** Item sizes (KB) the request units depend on. */
export interface ItemSizes {
  /** Case item (notification, collections, current state; the timeline entries are items of their own): ~2–4 KB. */
  readonly caseKb: number;
  /** Step item (task token ~1 KB, link hash, deadline, response, who confirmed). */
  readonly stepKb: number;
  /** Mail markers, collection items, counters, submissions, limits. */
  readonly smallKb: number;
}

/** Reads (strongly consistent GetItem: 1 RRU per 4 KB) and writes (1 WRU per KB, the larger of before/after). */
interface Ops {
  caseReads: number;
  stepReads: number;
  smallReads: number;
  /** Updates of the case item; each also puts its timeline entry (a small item of its own). */
  caseWrites: number;
  stepWrites: number;
  smallWrites: number;
  /** Query of a case's items (case-status), KB read. */
  queryKb: number;
}

const noOps = (): Ops => ({ caseReads: 0, stepReads: 0, smallReads: 0, caseWrites: 0, stepWrites: 0, smallWrites: 0, queryKb: 0 });

/**
 * DynamoDB operations of one invocation, first delivery, read from the handlers (not measured):
 * - register-case: createCase (put) + lockCollection per old collection;
 * - request-confirmation: getCase, getStep, putPendingStep, recordMailSent, updateCase;
 * - apply-response: getCase, lockCollection per new collection (NEW_COLLECTIONS), updateCase, and per e-mail
 *   mailSent + recordMailSent (sendAllOnce); the confirmation was already finished by the link handler;
 * - send-notice: getCase, per e-mail mailSent + recordMailSent, updateCase (releaseCollection on reject only);
 * - change-collection-states: getCase, releaseCollection for each old and new collection, updateCase;
 * - notification-form POST: getSubmission, countUse, claimSubmission, nextCaseSequence, lockCollection per
 *   old collection, markSubmissionStarted (GET: none);
 * - confirmation-links GET: getCase + getStep; POST: the same, completeStep, forgetTaskToken, updateCase
 *   (+ getCollection per code for NEW_COLLECTIONS);
 * - case-status GET: getCase + Query of the case's step items and of its timeline entries (about a case item's worth).
 */
export function dynamoOps(fn: string, payload: Record<string, unknown>, emails: number, collections: number, method?: 'GET' | 'POST', steps = 7): Ops {
  const ops = noOps();
  switch (fn) {
    case 'register-case':
      // the case and its first entry; no collection (taken when the contact confirms)
      ops.caseWrites = 1;
      break;
    case 'request-confirmation':
      ops.caseReads = 1;
      ops.stepReads = 1;
      ops.stepWrites = 1;
      ops.smallWrites = 1;
      ops.caseWrites = 1;
      break;
    case 'apply-response':
      ops.caseReads = 1;
      // the old codes are taken when the contact confirms, the new ones with NEW_COLLECTIONS
      ops.smallWrites = (payload.step === 'NEW_COLLECTIONS' || payload.step === 'CONFIRM_CONTACT' ? collections : 0) + emails;
      ops.smallReads = emails;
      ops.caseWrites = 1;
      break;
    case 'send-notice':
      ops.caseReads = 1;
      ops.smallReads = emails;
      ops.smallWrites = emails + (payload.notice === 'NOTIFICATION_REJECTED' ? collections : 0);
      ops.caseWrites = 1;
      break;
    case 'change-collection-states':
      ops.caseReads = 1;
      ops.smallWrites = 2 * collections;
      ops.caseWrites = 1;
      break;
    case 'notification-form':
      if (method === 'POST') {
        // the submission, whether each code is held; the two limits, the case number, the submission claimed and started
        ops.smallReads = 1 + collections;
        ops.smallWrites = 5;
      }
      break;
    case 'confirmation-links':
      ops.caseReads = 1;
      ops.stepReads = 1;
      if (method === 'POST') {
        ops.stepWrites = 2;
        ops.caseWrites = 1;
        if (payload.step === 'NEW_COLLECTIONS') ops.smallReads = collections;
      }
      break;
    case 'case-status':
      ops.caseReads = 1;
      ops.queryKb = steps;
      break;
    default:
      break;
  }
  return ops;
}

export function requestUnits(ops: Ops, sizes: ItemSizes): { wru: number; rru: number } {
  const rruOf = (kb: number) => Math.ceil(kb / 4);
  const wruOf = (kb: number) => Math.ceil(kb);
  return {
    rru: ops.caseReads * rruOf(sizes.caseKb) + ops.stepReads * rruOf(sizes.stepKb) + ops.smallReads * rruOf(sizes.smallKb) + (ops.queryKb > 0 ? rruOf(ops.queryKb * sizes.stepKb + sizes.caseKb) : 0),
    wru: ops.caseWrites * (wruOf(sizes.caseKb) + wruOf(sizes.smallKb)) + ops.stepWrites * wruOf(sizes.stepKb) + ops.smallWrites * wruOf(sizes.smallKb),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Assumptions and the counts of a completed case
// ---------------------------------------------------------------------------------------------------------------

export interface Assumptions {
  /** lib/procedure-function.ts default memorySize. */
  readonly memoryMb: number;
  /** Average warm duration per function, ms. */
  readonly durationMs: Readonly<Record<string, number>>;
  /** Share of invocations that are cold starts (0–1). */
  readonly coldStartShare: number;
  /** INIT duration on Lambda, ms. */
  readonly initMs: number;
  /** First-invocation extra (SDK clients, TLS handshakes, Secrets Manager), ms. */
  readonly coldExtraMs: number;
  readonly itemSizes: ItemSizes;
  /** Old collections per notification (the e2e form has 2). */
  readonly collections: number;
  /** Whether the notification names the supplier's contact (cc on 4 e-mails). */
  readonly supplierContact: boolean;
  /** Status-page views per case (every e-mail links it; most are never opened). */
  readonly statusViews: number;
  /**
   * Share of signing-key loads that miss the 5-minute cache (lambdas/adapters/signing-keys.ts) and call Secrets
   * Manager: 1 when the steps of a case are minutes to days apart, lower in a busy wave.
   */
  readonly secretsCacheMissShare: number;
  /** Log bytes per Lambda invocation (START/END/REPORT lines + one JSON line per action at INFO). */
  readonly logBytesPerInvocation: number;
  /** Step Functions history events per state transition (Task ≈ 5, Pass/Choice ≈ 2) and bytes per logged event. */
  readonly sfnEventsPerTransition: number;
  readonly sfnLogBytesPerEvent: number;
  /** API Gateway access-log bytes per request (lib/link-pages-api.ts ACCESS_LOG_FORMAT). */
  readonly accessLogBytesPerRequest: number;
}

/**
 * Defaults:
 * - memory 512 MB: ProcedureFunction's default;
 * - durations: a handful of single-item DynamoDB calls (~5–15 ms each in-region) and, for the senders, one SES
 *   SendEmail (~50–150 ms); HTML rendering is sub-millisecond. Rounded up generously;
 * - coldStartShare 1: the steps of one case are days apart, so at low volume every invocation starts cold
 *   (worst case for cost; in a national wave most invocations are warm);
 * - initMs 600: `npm run bench:bundles` measures 55–100 ms to import a deployed bundle (SDK bundled in) on one
 *   core of this machine; a 512 MB arm64 function has about a third of a vCPU, plus the runtime's own start
 *   (~100–200 ms). 600 ms is a round upper estimate, not a measurement;
 * - coldExtraMs 300: first SDK client use (credentials, endpoint resolution, TLS to DynamoDB/SES/Secrets Manager);
 * - item sizes: case 3 KB (the notification, collections and current state; the ~40 timeline entries of ~200 B
 *   of Polish text are small items of their own, read by case-status with the steps), step 1.5 KB (the task token alone is up to 1 KB), small items 0.5 KB;
 * - logs: ~1 KB per invocation; Step Functions log level ALL without execution data, ~3 events of ~500 B per
 *   transition; access log ~400 B per request.
 */
export const DEFAULT_ASSUMPTIONS: Assumptions = {
  memoryMb: 512,
  durationMs: {
    'register-case': 120,
    'request-confirmation': 250,
    'apply-response': 200,
    'send-notice': 200,
    'change-collection-states': 120,
    'escalate-step': 200,
    'record-failure': 80,
    'notification-form': 150,
    'confirmation-links': 150,
    'case-status': 80,
    // One SES SendEmail and the pacing slot at 7 recipients/s (14/s over two senders), per message.
    'send-email': 250,
  },
  coldStartShare: 1,
  initMs: 600,
  coldExtraMs: 300,
  itemSizes: { caseKb: 3, stepKb: 1.5, smallKb: 0.5 },
  collections: 2,
  supplierContact: true,
  statusViews: 3,
  secretsCacheMissShare: 1,
  logBytesPerInvocation: 1024,
  sfnEventsPerTransition: 3,
  sfnLogBytesPerEvent: 500,
  accessLogBytesPerRequest: 400,
};

export interface CaseBreakdown {
  readonly counts: CaseCounts;
  readonly walk: Walk;
  readonly emails: EmailSent[];
  readonly httpByRoute: Record<string, number>;
  readonly assumptions: Assumptions;
}

/**
 * What is counted of one case, by the ASL walk (completedCaseCounts) or by a run (the national wave bench:
 * transitions, invocations per function, DynamoDB request units from dynalite, e-mails and recipients seen in
 * the inbox, page requests). Durations, cold starts, log volume and cache misses always come from the assumptions.
 */
export interface CountedCase {
  readonly label: string;
  readonly stateTransitions: number;
  /** Invocations per function: state machine tasks and HTTP handlers. */
  readonly invocations: Readonly<Record<string, number>>;
  readonly dynamoWru: number;
  readonly dynamoRru: number;
  readonly emailMessages: number;
  readonly emailRecipients: number;
  readonly httpRequests: number;
  /** Parent and child executions (one X-Ray trace each). */
  readonly executions: number;
  /** The outbox's billed SQS requests. */
  readonly sqsRequests: number;
}

/** Full counts of a case from what was counted and the assumptions for the rest. */
export function caseCountsFrom(counted: CountedCase, assumptions: Partial<Assumptions> = {}): CaseCounts {
  const a: Assumptions = { ...DEFAULT_ASSUMPTIONS, ...assumptions };
  const lambdas: LambdaUsage[] = Object.entries(counted.invocations).map(([name, n]) => ({
    name,
    invocations: n,
    avgDurationMs: a.durationMs[name] ?? 200,
    memoryMb: a.memoryMb,
    coldStarts: n * a.coldStartShare,
    initMs: a.initMs,
    coldExtraMs: a.coldExtraMs,
  }));
  const totalInvocations = lambdas.reduce((s, l) => s + l.invocations, 0);
  // Key secrets each function reads (ACTION_NEEDS signingKeys + statusKeys): the two that sign or verify confirmation
  // links read the link keys and the status keys, the other senders and the status page the status keys only.
  const secretsRead: Record<string, number> = { 'request-confirmation': 2, 'confirmation-links': 2, 'escalate-step': 1, 'apply-response': 1, 'send-notice': 1, 'case-status': 1 };
  const secretsManagerCalls = lambdas.reduce((s, l) => s + l.invocations * a.secretsCacheMissShare * (secretsRead[l.name] ?? 0), 0);
  return {
    label: counted.label,
    stateTransitions: counted.stateTransitions,
    lambdas,
    dynamoWru: counted.dynamoWru,
    dynamoRru: counted.dynamoRru,
    emailRecipients: counted.emailRecipients,
    emailMessages: counted.emailMessages,
    httpRequests: counted.httpRequests,
    sqsRequests: counted.sqsRequests,
    logBytes: totalInvocations * a.logBytesPerInvocation + counted.stateTransitions * a.sfnEventsPerTransition * a.sfnLogBytesPerEvent + counted.httpRequests * a.accessLogBytesPerRequest,
    // One trace per execution (its Lambda tasks join it) and one per HTTP request; every trace sampled (upper bound).
    xrayTraces: counted.executions + counted.httpRequests,
    secretsManagerCalls,
  };
}

/** Counts of one completed case of a variant, from the ASL walk and the assumptions. */
export function completedCaseCounts(variant: Variant, options: { failedVerificationRounds?: number; assumptions?: Partial<Assumptions> } = {}): CaseBreakdown {
  const a: Assumptions = { ...DEFAULT_ASSUMPTIONS, ...options.assumptions };
  const walk = walkCompletedCase(variant, options.failedVerificationRounds ?? 0);

  const invocations = new Map<string, number>();
  const add = (fn: string, n = 1) => invocations.set(fn, (invocations.get(fn) ?? 0) + n);
  let wru = 0;
  let rru = 0;
  const addOps = (ops: Ops) => {
    const u = requestUnits(ops, a.itemSizes);
    wru += u.wru;
    rru += u.rru;
  };

  const emails: EmailSent[] = [];
  const messagesOf = (e: EmailSent) => 1 + (e.supplierInformed && a.supplierContact ? 1 : 0);
  for (const inv of walk.invocations) {
    const sent = emailsOf(inv);
    emails.push(...sent);
    add(inv.fn);
    addOps(dynamoOps(inv.fn, inv.payload, sent.reduce((n, e) => n + messagesOf(e), 0), a.collections));
  }

  // HTTP: the form (GET + POST), each child execution's link (GET + POST), status-page views.
  const httpByRoute = { 'GET /zgloszenie': 1, 'POST /zgloszenie': 1, 'GET /potwierdzenie': walk.childExecutions.length, 'POST /potwierdzenie': walk.childExecutions.length, 'GET /sprawa': a.statusViews };
  add('notification-form', 2);
  addOps(dynamoOps('notification-form', {}, 0, a.collections, 'GET'));
  addOps(dynamoOps('notification-form', {}, 0, a.collections, 'POST'));
  add('confirmation-links', 2 * walk.childExecutions.length);
  for (const ex of walk.childExecutions) {
    addOps(dynamoOps('confirmation-links', { step: ex.step }, 0, a.collections, 'GET'));
    addOps(dynamoOps('confirmation-links', { step: ex.step }, 0, a.collections, 'POST'));
  }
  add('case-status', a.statusViews);
  for (let i = 0; i < a.statusViews; i++) addOps(dynamoOps('case-status', {}, 0, a.collections, 'GET', walk.childExecutions.length));

  // The outbox, at its dearest (a case on its own, every message alone in its batch): per message one send-email
  // invocation reading and updating the message's marker, and three SQS requests (put, received, deleted).
  const messages = emails.reduce((n, e) => n + messagesOf(e), 0);
  add('send-email', messages);
  addOps({ ...noOps(), smallReads: messages, smallWrites: messages });

  const counts = caseCountsFrom(
    {
      label: `${variant}${options.failedVerificationRounds ? ` (+${options.failedVerificationRounds} failed verification)` : ''}`,
      stateTransitions: walk.parentTransitions + walk.childTransitions,
      invocations: Object.fromEntries(invocations),
      dynamoWru: wru,
      dynamoRru: rru,
      emailMessages: messages,
      emailRecipients: emails.reduce((s, e) => s + 1 + ((e.ccSupplier || e.supplierInformed) && a.supplierContact ? 1 : 0), 0),
      httpRequests: Object.values(httpByRoute).reduce((s, n) => s + n, 0),
      executions: 1 + walk.childExecutions.length,
      sqsRequests: 3 * messages,
    },
    a,
  );
  return { counts, walk, emails, httpByRoute, assumptions: a };
}

// ---------------------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------------------

const usd = (n: number): string => (n === 0 ? '$0' : n < 0.000001 ? `$${n.toExponential(2)}` : `$${n.toFixed(6)}`);
const qty = (n: number): string => (Number.isInteger(n) ? String(n) : n < 0.01 ? n.toExponential(3) : n.toFixed(3));

export function formatCost(cost: CaseCost): string {
  const lines = [`${cost.label}`, `  ${'service'.padEnd(30)} ${'quantity'.padStart(12)} ${'unit'.padEnd(20)} ${'unit price'.padStart(14)} ${'per case'.padStart(11)} ${'share'.padStart(6)}`];
  for (const l of cost.lines) {
    const share = cost.totalUsd > 0 ? `${((100 * l.usd) / cost.totalUsd).toFixed(1)}%` : '-';
    lines.push(`  ${l.service.padEnd(30)} ${qty(l.quantity).padStart(12)} ${l.unit.padEnd(20)} ${usd(l.unitUsd).padStart(14)} ${usd(l.usd).padStart(11)} ${share.padStart(6)}`);
  }
  lines.push(`  ${'TOTAL per completed case'.padEnd(30)} ${''.padStart(12)} ${''.padEnd(20)} ${''.padStart(14)} ${usd(cost.totalUsd).padStart(11)}   target < $${cost.targetUsd} → ${cost.withinTarget ? 'OK' : 'OVER'} (${((100 * cost.totalUsd) / cost.targetUsd).toFixed(0)}% of target)`);
  return lines.join('\n');
}

function describeCounts(b: CaseBreakdown): string {
  const c = b.counts;
  const byFn = c.lambdas.map((l) => `${l.name}×${l.invocations}`).join(', ');
  const who: Record<string, number> = { JST: 0, MRPIPS: 0, VOIVODESHIP_ADMIN: 0, 'supplier (cc)': 0, 'supplier (own message)': 0 };
  for (const e of b.emails) {
    who[e.to] = (who[e.to] ?? 0) + 1;
    if (e.ccSupplier && b.assumptions.supplierContact) who['supplier (cc)'] = (who['supplier (cc)'] ?? 0) + 1;
    if (e.supplierInformed && b.assumptions.supplierContact) who['supplier (own message)'] = (who['supplier (own message)'] ?? 0) + 1;
  }
  return [
    `  state transitions: ${c.stateTransitions} (parent ${b.walk.parentTransitions}, ${b.walk.childExecutions.length} child executions ${b.walk.childTransitions})`,
    `  Lambda invocations: ${c.lambdas.reduce((s, l) => s + l.invocations, 0)} (${byFn})`,
    `  e-mails: ${c.emailMessages} messages, ${c.emailRecipients} billed recipients (${Object.entries(who).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `  HTTP requests: ${c.httpRequests} (${Object.entries(b.httpByRoute).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `  DynamoDB (estimated from the code paths): ${c.dynamoWru} WRU, ${c.dynamoRru} RRU; logs ${(c.logBytes / 1024).toFixed(0)} KB; X-Ray ${c.xrayTraces} traces; Secrets Manager ${c.secretsManagerCalls} calls`,
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const jsonAt = args.indexOf('--json');
  const jsonPath = jsonAt >= 0 ? args[jsonAt + 1]! : join(PROJECT_ROOT, 'bench', 'results', 'cost.json');
  const roundsAt = args.indexOf('--failed-rounds');
  const failedVerificationRounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 0;

  console.log(`Cost of one completed case, eu-central-1. Prices: ${PRICE_DATE_ASSUMPTION}; free tiers ignored.`);
  for (const [key, p] of Object.entries(PRICES)) console.log(`  ${key.padEnd(18)} $${p.usd} per ${p.per.toLocaleString('en')} ${p.unit} — ${p.source}`);
  const results = [];
  for (const variant of CASE_VARIANTS) {
    const breakdown = completedCaseCounts(variant, { failedVerificationRounds });
    const cost = costOfCase(breakdown.counts);
    console.log('');
    console.log(formatCost(cost));
    console.log(describeCounts(breakdown));
    results.push({ variant, counts: breakdown.counts, emails: breakdown.emails, httpByRoute: breakdown.httpByRoute, path: breakdown.walk.path, cost });
  }
  // Sensitivity: the same case with every invocation warm, and with no status views / no supplier.
  const warm = costOfCase(completedCaseCounts('WITH_MIGRATION', { failedVerificationRounds, assumptions: { coldStartShare: 0, secretsCacheMissShare: 0 } }).counts);
  const twoRounds = costOfCase(completedCaseCounts('WITH_MIGRATION', { failedVerificationRounds: 2 }).counts);
  console.log('');
  console.log('The two variants walk paths of equal length (Pass "3 …"/"4 …", Task "3d Archive …"/"4d Close …") and send the same e-mails; only wording differs.');
  console.log(`Sensitivity (WITH_MIGRATION): all invocations warm and signing keys cached ${usd(warm.totalUsd)}; with 2 failed verification rounds ${usd(twoRounds.totalUsd)}.`);
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify({ generatedAt: new Date().toISOString(), priceAssumption: PRICE_DATE_ASSUMPTION, prices: PRICES, assumptions: DEFAULT_ASSUMPTIONS, results, sensitivity: { allWarm: warm.totalUsd, twoFailedRounds: twoRounds.totalUsd } }, null, 2)}\n`);
  console.log(`wrote ${relative(process.cwd(), jsonPath)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
