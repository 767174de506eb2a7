import { randomBytes } from 'node:crypto';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AWS_ERRORS, overRate, sesRecipientCount, type FaultHandle } from '../../local/faults.js';
import { caseCountsFrom, costOfCase, DEFAULT_ASSUMPTIONS, type CaseCost, type CountedCase } from '../cost.js';
import { startLocalStack } from '../../local/stack.js';
import type { SqsUsage } from '../../local/stand-ins/index.js';
import { CaseError, playCase, type HandoverSample } from './case.js';
import { unitData } from './data.js';
import { InboxIndex } from './inbox.js';

export interface WaveOptions {
  cases: number;
  concurrency: number;
  timeoutMs: number;
  /** Worker threads for the Lambda handlers (0: in the stack's own thread). */
  lambdaWorkers?: number;
  /** SES sending quota of the stand-in (recipients/s), which the outbox's sender keeps to; unset = unlimited. */
  sesRate?: number;
  /** Progress lines on stderr every `progressEveryMs` (0 = none). */
  progressEveryMs?: number;
  log?: (line: string) => void;
}

export interface Percentiles {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface WaveResult {
  benchmark: 'national-wave';
  startedAt: string;
  environment: { node: string; platform: string; cpus: number; pid: number };
  options: { cases: number; concurrency: number; timeoutMs: number; lambdaWorkers: number; sesRate?: number };
  casesCompleted: number;
  casesFailed: number;
  variants: { WITH_MIGRATION: number; WITHOUT_MIGRATION: number };
  voivodeships: number;
  wallTimeMs: number;
  casesPerSecond: number;
  stateTransitions: number;
  stateTransitionsPerSecond: number;
  executionsStarted: number;
  lambdaInvocations: Record<string, number>;
  lambdaDurationMs: Record<string, number>;
  /** Requests the link pages served, by `METHOD /path`. */
  pageRequests: Record<string, number>;
  /** DynamoDB operations dynalite served and the request units DynamoDB would bill for them. */
  dynamodb: { reads: number; writes: number; readUnits: number; writeUnits: number };
  /**
   * The outbox's SQS requests the product made (SendMessage, the event source's non-empty receives and its deletes)
   * and what SQS bills for them (64 KB chunks), without the harness's GetQueueAttributes and the empty polls
   * (on AWS Lambda's pollers long-poll an idle queue at a fixed monthly cost, not per case).
   */
  sqs: { requests: Record<string, number>; billed: number };
  /** Invocations that failed (error or timeout), by function: what Lambda's Errors metric would count. */
  functionErrors: Record<string, number>;
  /**
   * The cost of one completed case on AWS from what this run counted per case (bench/cost.ts: durations, cold
   * starts and log volume from its assumptions; prices eu-central-1). Absent when no case completed.
   */
  costPerCase?: { counted: CountedCase; cost: CaseCost };
  emails: { seen: number; polls: number; transferred: number };
  /** 'POST confirm → next participant's e-mail in the inbox', ms, all hand-overs. */
  handoverLatencyMs: Percentiles;
  handoverLatencyByStepMs: Record<string, Percentiles>;
  /** From the form's POST to the completion e-mail, per completed case. */
  caseDurationMs: Percentiles;
  /**
   * With a sending quota: what SES accepted and refused, and the least time the quota allows for that many
   * messages (accepted / rate); the wall time beyond it is what the procedure itself added.
   */
  sesQuota?: {
    ratePerSecond: number;
    /** Messages SES accepted, and their recipients (what the quota counts). */
    accepted: number;
    acceptedRecipients: number;
    throttledAttempts: number;
    /** Refused attempts over accepted messages. */
    refusedShare: number;
    /** accepted recipients / rate. */
    quotaFloorMs: number;
    /** Wall time beyond the floor, over the floor. */
    overFloorShare: number;
    effectiveRatePerSecond: number;
  };
  /** Peak of the sum over the stack's processes (sampled every 100 ms). */
  peakRssBytes: number;
  /**
   * CPU time per completed case, ms: the stack's process (handlers in their worker threads, Step Functions, the
   * pages server, and the simulated participants with their inbox poller) and each stand-in's process.
   */
  cpuMsPerCase: { stack: number; dynamodb: number; ses: number; sqs: number };
  /** Each process's own peak (they need not coincide). */
  peakRssByProcessBytes: { stack: number; dynamodb: number; ses: number; sqs: number };
  rssBeforeBytes: number;
  errors: { caseIndex: number; caseId?: string; stage: string; message: string }[];
  /** Every hand-over: [ms since start of the POST, latency ms, step index] (for the chart). */
  samples: [number, number, number][];
  steps: string[];
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { count: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest-rank percentile.
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    count: sorted.length,
    min: round(sorted[0]!),
    p50: round(at(50)),
    p95: round(at(95)),
    p99: round(at(99)),
    max: round(sorted.at(-1)!),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

/** What the run counted, per completed case, in the cost model's terms. */
function countedPerCase(
  completed: number,
  run: {
    transitions: number;
    executions: number;
    lambdaInvocations: Record<string, number>;
    pageRequests: Record<string, number>;
    dynamodb: { readUnits: number; writeUnits: number };
    emails: number;
    recipients: number;
    sqsBilled: number;
  },
): CountedCase | undefined {
  if (completed === 0) return undefined;
  const per = (n: number) => n / completed;
  const pages = (path: string) => Object.entries(run.pageRequests).filter(([route]) => route.endsWith(` ${path}`)).reduce((sum, [, n]) => sum + n, 0);
  // The routes of lib/link-page-routes.ts and the function behind each.
  const pageFunctions: Record<string, number> = {
    'notification-form': pages('/zgloszenie') + pages('/'),
    'confirmation-links': pages('/potwierdzenie'),
    'case-status': pages('/sprawa'),
  };
  const invocations = Object.fromEntries(
    Object.entries({ ...run.lambdaInvocations, ...pageFunctions })
      .filter(([, n]) => n > 0)
      .map(([name, n]) => [name, per(n)]),
  );
  return {
    label: `measured: national wave, ${completed} cases, both variants`,
    stateTransitions: per(run.transitions),
    invocations,
    dynamoWru: per(run.dynamodb.writeUnits),
    dynamoRru: per(run.dynamodb.readUnits),
    emailMessages: per(run.emails),
    emailRecipients: per(run.recipients),
    httpRequests: per(Object.values(run.pageRequests).reduce((sum, n) => sum + n, 0)),
    executions: per(run.executions),
    sqsRequests: per(run.sqsBilled),
  };
}

function sesQuotaReport(ratePerSecond: number, requests: number, throttledAttempts: number, acceptedRecipients: number, wallTimeMs: number): NonNullable<WaveResult['sesQuota']> {
  const accepted = requests - throttledAttempts;
  const quotaFloorMs = Math.round((acceptedRecipients / ratePerSecond) * 1000);
  return {
    ratePerSecond,
    accepted,
    acceptedRecipients,
    throttledAttempts,
    refusedShare: accepted ? Math.round((throttledAttempts / accepted) * 10_000) / 10_000 : 0,
    quotaFloorMs,
    overFloorShare: Math.round(((wallTimeMs - quotaFloorMs) / quotaFloorMs) * 10_000) / 10_000,
    effectiveRatePerSecond: Math.round((acceptedRecipients / (wallTimeMs / 1000)) * 100) / 100,
  };
}

/** The product's billed SQS requests between two readings of the stand-in's usage (see WaveResult.sqs). */
function sqsOfProduct(before: SqsUsage, after: SqsUsage): WaveResult['sqs'] {
  const requests: Record<string, number> = {};
  for (const [action, n] of Object.entries(after.requests)) {
    const made = (n ?? 0) - (before.requests[action] ?? 0);
    if (made > 0 && action !== 'GetQueueAttributes') requests[action] = made;
  }
  const emptyReceives = after.emptyReceives - before.emptyReceives;
  if (requests.ReceiveMessage !== undefined) requests.ReceiveMessage -= emptyReceives;
  const harness = (after.requests.GetQueueAttributes ?? 0) - (before.requests.GetQueueAttributes ?? 0);
  return { requests, billed: after.billedRequests - before.billedRequests - harness - emptyReceives };
}

/** Starts the local stack in this process, plays `cases` cases with at most `concurrency` in flight, and measures. */
export async function runWave(o: WaveOptions): Promise<WaveResult> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Handlers log every action at INFO; a wave would print hundreds of thousands of lines.
  process.env.LOG_LEVEL ??= 'WARN';
  // The same for the business metrics' EMF lines (one per case started, completed, ...).
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

  const overrides = {
    PAGES_PORT: 0,
    SES_PORT: 0,
    DYNAMODB_PORT: 0,
    SFN_PORT: 0,
    SQS_PORT: 0,
    // The outbox's sender keeps to the quota as deployed with context sesMaxSendRate; without one, SES takes all.
    SES_MAX_SEND_RATE: o.sesRate ?? 10_000,
    // No reminders during a wave: every participant answers, however long the queue.
    RESPONSE_TIMEOUT_SECONDS: 86_400,
    // Every case comes from this machine's address; the form's hourly per-address limit must admit the wave.
    NOTIFICATIONS_PER_HOUR_PER_IP: 10_000,
    // Likewise WAF's per-client rate rule on the form's POSTs (local/edge.ts).
    FORM_POSTS_PER_CLIENT: 2_000_000_000,
    // Retries are not expected: no action waits for SES any more (the outbox does).
    RETRY_INTERVAL_SCALE: 0.01,
  };
  // The handlers run in worker threads as Lambda runs apart from Step Functions; dynalite and the SES stand-in
  // run in processes of their own (local/stand-ins): every core of the machine takes a share of the wave.
  const stackOptions = { historyPayloads: false, lambdaWorkers: o.lambdaWorkers ?? 0 };
  // The quota is the fault layer's token bucket in front of the SES stand-in (local/faults.ts), counting recipients as SES does.
  const stack = o.sesRate ? await startLocalStack(overrides, { ...stackOptions, faults: true }) : await startLocalStack(overrides, stackOptions);
  const quota: FaultHandle | undefined = o.sesRate
    ? stack.faults?.add({ service: 'ses', operation: 'SendEmail', match: overRate(o.sesRate, undefined, sesRecipientCount), fault: AWS_ERRORS.sesThrottling, times: Infinity, label: 'sending quota' })
    : undefined;
  // Resident memory of the whole stack: this process (handlers, Step Functions, pages, participants) and the
  // stand-ins' processes, sampled together.
  const rssBefore = stack.residentMemory().total;
  let peakRss = rssBefore;
  let peakByProcess = stack.residentMemory().byProcess;
  const sampleRss = () => {
    const { total, byProcess } = stack.residentMemory();
    if (total > peakRss) peakRss = total;
    for (const key of Object.keys(byProcess) as (keyof typeof byProcess)[]) if (byProcess[key] > peakByProcess[key]) peakByProcess = { ...peakByProcess, [key]: byProcess[key] };
  };
  const rssSampler = setInterval(sampleRss, 100);
  rssSampler.unref();
  const inbox = new InboxIndex(stack.urls.inbox);
  const sfn = new SFNClient({ region: 'eu-central-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, endpoint: stack.urls.stepFunctions });
  const runTag = randomBytes(3).toString('hex');
  const steps: string[] = [];
  const samples: [number, number, number][] = [];
  const byStep = new Map<string, number[]>();
  const caseDurations: number[] = [];
  const errors: WaveResult['errors'] = [];
  const variants = { WITH_MIGRATION: 0, WITHOUT_MIGRATION: 0 };
  const voivodeships = new Set<string>();
  let completed = 0;
  let next = 0;
  let progress: NodeJS.Timeout | undefined;
  try {
    const before = stack.stepFunctions.stats();
    const cpuBefore = stack.cpuTime();
    const dynamoBefore = await stack.dynamodbUsage();
    const pagesBefore = stack.pageRequests();
    const sqsBefore = await stack.outbox.usage();
    const functionsBefore = stack.functionStats();
    inbox.start();
    const t0 = performance.now();
    const startedAt = new Date().toISOString();
    const elapsed = () => ((performance.now() - t0) / 1000).toFixed(1);
    if (o.progressEveryMs) {
      progress = setInterval(() => {
        const s = stack.stepFunctions.stats();
        log(`[bench] ${completed}/${o.cases} cases completed, ${errors.length} failed, ${s.executionsRunning} executions running, ${inbox.emailsSeen} e-mails, ${elapsed()} s`);
      }, o.progressEveryMs);
      progress.unref();
    }
    const worker = async () => {
      for (;;) {
        const index = next++;
        if (index >= o.cases) return;
        const unit = unitData(index, runTag);
        variants[unit.variant]++;
        voivodeships.add(unit.voivodeship);
        const caseStart = performance.now();
        try {
          await playCase(unit, {
            inbox,
            formUrl: stack.urls.form,
            sfn,
            executionArn: (caseId) => stack.procedureArn.replace(':stateMachine:', ':execution:') + `:${caseId}`,
            timeoutMs: o.timeoutMs,
            t0,
            onSample: (s: HandoverSample) => {
              let stepIndex = steps.indexOf(s.step);
              if (stepIndex < 0) stepIndex = steps.push(s.step) - 1;
              samples.push([Math.round(s.postAt), Math.round(s.latencyMs * 10) / 10, stepIndex]);
              const list = byStep.get(s.step);
              if (list) list.push(s.latencyMs);
              else byStep.set(s.step, [s.latencyMs]);
            },
          });
          completed++;
          caseDurations.push(performance.now() - caseStart);
        } catch (error) {
          const e = error instanceof CaseError ? error : new CaseError(index, undefined, 'unknown', String(error));
          errors.push({ caseIndex: e.caseIndex, ...(e.caseId ? { caseId: e.caseId } : {}), stage: e.stage, message: e.message });
          if (errors.length <= 5) log(`[bench] ${e.message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    const wallTimeMs = performance.now() - t0;
    // What is still on its way (notices after a case's last step) is part of the wave's cost, not of its time.
    await stack.outbox.settled({ timeoutMs: 600_000 }).catch((error: unknown) => log(`[bench] outbox not settled: ${String(error)}`));
    const sqs = sqsOfProduct(sqsBefore, await stack.outbox.usage());
    const functionsAfter = stack.functionStats();
    const since = (name: string) => {
      const [a, b] = [functionsAfter[name as keyof typeof functionsAfter], functionsBefore[name as keyof typeof functionsBefore]];
      return { invocations: (a?.invocations ?? 0) - (b?.invocations ?? 0), errors: (a?.errors ?? 0) - (b?.errors ?? 0), durationMs: (a?.durationMs ?? 0) - (b?.durationMs ?? 0) };
    };
    const functionErrors = Object.fromEntries(Object.keys(functionsAfter).map((name) => [name, since(name).errors]).filter(([, n]) => (n as number) > 0));
    // The outbox's sender is invoked by its event source, not by Step Functions.
    const sender = since('send-email');
    const after = stack.stepFunctions.stats();
    const cpuAfter = stack.cpuTime();
    const dynamoAfter = await stack.dynamodbUsage();
    const pagesAfter = stack.pageRequests();
    const transitions = after.stateTransitions - before.stateTransitions;
    const diff = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, Math.round((v - (b[k] ?? 0)) * 10) / 10]));
    sampleRss();
    const lambdaInvocations = { ...diff(after.lambdaInvocations, before.lambdaInvocations), 'send-email': sender.invocations };
    const lambdaDurationMs = { ...diff(after.lambdaDurationMs, before.lambdaDurationMs), 'send-email': Math.round(sender.durationMs) };
    const pageRequests = diff(pagesAfter, pagesBefore);
    const dynamodb = {
      reads: dynamoAfter.reads - dynamoBefore.reads,
      writes: dynamoAfter.writes - dynamoBefore.writes,
      readUnits: dynamoAfter.readUnits - dynamoBefore.readUnits,
      writeUnits: dynamoAfter.writeUnits - dynamoBefore.writeUnits,
    };
    const counted = countedPerCase(completed, {
      transitions,
      executions: after.executionsStarted - before.executionsStarted,
      lambdaInvocations,
      pageRequests,
      dynamodb,
      emails: inbox.emailsSeen,
      recipients: inbox.recipientsSeen,
      sqsBilled: sqs.billed,
    });
    return {
      benchmark: 'national-wave',
      startedAt,
      environment: { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: (await import('node:os')).cpus().length, pid: process.pid },
      options: { cases: o.cases, concurrency: o.concurrency, timeoutMs: o.timeoutMs, lambdaWorkers: o.lambdaWorkers ?? 0, ...(o.sesRate ? { sesRate: o.sesRate } : {}) },
      casesCompleted: completed,
      casesFailed: errors.length,
      variants,
      voivodeships: voivodeships.size,
      wallTimeMs: Math.round(wallTimeMs),
      casesPerSecond: Math.round((completed / (wallTimeMs / 1000)) * 100) / 100,
      stateTransitions: transitions,
      stateTransitionsPerSecond: Math.round((transitions / (wallTimeMs / 1000)) * 10) / 10,
      executionsStarted: after.executionsStarted - before.executionsStarted,
      lambdaInvocations,
      pageRequests,
      dynamodb,
      sqs,
      functionErrors,
      // The sender's invocations last as long as its batch's pacing: priced at their measured mean.
      ...(counted
        ? { costPerCase: { counted, cost: costOfCase(caseCountsFrom(counted, { durationMs: { ...DEFAULT_ASSUMPTIONS.durationMs, ...(sender.invocations ? { 'send-email': sender.durationMs / sender.invocations } : {}) } })) } }
        : {}),
      lambdaDurationMs,
      emails: { seen: inbox.emailsSeen, polls: inbox.polls, transferred: inbox.emailsTransferred },
      handoverLatencyMs: percentiles(samples.map((s) => s[1])),
      handoverLatencyByStepMs: Object.fromEntries(steps.map((step) => [step, percentiles(byStep.get(step) ?? [])])),
      caseDurationMs: percentiles(caseDurations),
      ...(o.sesRate && quota && stack.faults ? { sesQuota: sesQuotaReport(o.sesRate, stack.faults.seen('ses', 'SendEmail'), quota.injected, inbox.recipientsSeen, wallTimeMs) } : {}),
      peakRssBytes: peakRss,
      peakRssByProcessBytes: peakByProcess,
      cpuMsPerCase: completed
        ? {
            stack: Math.round((cpuAfter.stack - cpuBefore.stack) / completed),
            dynamodb: Math.round((cpuAfter.dynamodb - cpuBefore.dynamodb) / completed),
            ses: Math.round((cpuAfter.ses - cpuBefore.ses) / completed),
            sqs: Math.round((cpuAfter.sqs - cpuBefore.sqs) / completed),
          }
        : { stack: 0, dynamodb: 0, ses: 0, sqs: 0 },
      rssBeforeBytes: rssBefore,
      errors,
      samples: samples.sort((a, b) => a[0] - b[0]),
      steps,
    };
  } finally {
    clearInterval(rssSampler);
    if (progress) clearInterval(progress);
    await inbox.stop();
    sfn.destroy();
    await stack.close();
  }
}
