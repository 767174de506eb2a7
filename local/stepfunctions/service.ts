/**
 * The in-process Step Functions service: executions, task tokens, histories and the API operations.
 * Transport-independent; http.ts exposes it with the AWS JSON 1.0 protocol.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import {
  HIDDEN_HEARTBEAT_KEY,
  HIDDEN_INPUT_KEY,
  HIDDEN_TIMEOUT_KEY,
  TOKEN_PLACEHOLDER,
  loadDefinitionFile,
  type LoadedDefinition,
  type TaskConfig,
} from './definition.js';
import { SfnApiError, TaskError, UncatchableError, integrationError, lambdaErrorCause } from './errors.js';
import { renderEvent, type HistoryEvent } from './history.js';

/** One invocation as the local runtime sees it: `signal` aborts when the function's timeout has passed. */
export interface LocalInvocation {
  signal: AbortSignal;
}

/** A function as the service invokes it (the second argument is for the local runtime's own wrappers). */
export type LocalLambda = (payload: unknown, invocation?: LocalInvocation) => Promise<unknown>;

export interface ServiceOptions {
  region: string;
  accountId: string;
  stateMachines: { name: string; definitionFile: string }[];
  substitutions: Record<string, string>;
  lambdas: Record<string, LocalLambda>;
  retryIntervalScale?: number;
  /** Keep state inputs/outputs in the history (default true). false saves memory in benchmarks. */
  historyPayloads?: boolean;
  /**
   * Called before a `states:startExecution(.sync:2)` task starts its child; a rejection fails the task with that
   * error (a TaskError, see errors.ts `integrationError`) as if the StartExecution call had (the fault layer's hook).
   */
  beforeStartExecution?: (request: { stateMachineArn: string; name: string; input: string }) => Promise<void>;
  /**
   * How long a Standard execution may run before it ends TIMED_OUT (default one year, as on AWS); tests shorten it.
   */
  maxExecutionSeconds?: number;
  /**
   * How many events an execution's history may hold (default 25,000, as on AWS): the event that would be the last
   * one is the execution's failure instead. Tests lower it.
   */
  maxHistoryEvents?: number;
  /**
   * Receives the EventBridge event Step Functions emits on every status change of an execution
   * ("Step Functions Execution Status Change"), for the local stack to route as the deployed rules would.
   * Not called for executions aborted by close(): that has no counterpart on AWS.
   */
  onExecutionStatusChange?: (event: ExecutionStatusChangeEvent) => void;
  /**
   * Receives each AWS API call Step Functions makes with the state machine's role on AWS: Lambda's Invoke of a task,
   * StartExecution of a child, and what `.sync` needs (the managed EventBridge rule, DescribeExecution of the child
   * when it ends, StopExecution when the parent stops it). For the local stack's IAM check (local/iam/).
   */
  onIntegrationCall?: (call: IntegrationCall) => void;
}

/** One call of the service's own, as IAM would authorise it for `stateMachineArn`'s role. */
export interface IntegrationCall {
  stateMachineArn: string;
  action: string;
  resource: string;
}

/** The EventBridge managed rule `.sync` integrations of Step Functions executions use. */
const SYNC_EVENTS_RULE = 'StepFunctionsGetEventsForStepFunctionsExecutionRule';

/** The EventBridge event of an execution's status change (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html). */
export interface ExecutionStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: ExecutionStatus;
    /** Epoch milliseconds. */
    startDate: number;
    stopDate: number | null;
    input: string;
    inputDetails: { included: boolean };
    output: string | null;
    outputDetails: { included: boolean } | null;
    error: string | null;
    cause: string | null;
  };
}

export interface ServiceStats {
  /** States entered and Task retries: what Step Functions bills as state transitions. */
  stateTransitions: number;
  lambdaInvocations: Record<string, number>;
  /** Total wall time spent in each local lambda, milliseconds. */
  lambdaDurationMs: Record<string, number>;
  executionsStarted: number;
  executionsRunning: number;
  pendingTaskTokens: number;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
const STATUSES: ReadonlySet<string> = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']);

const MAX_TIMER_MS = 2 ** 31 - 1;
/** A Standard execution's maximum duration on AWS: one year (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). */
export const MAX_EXECUTION_SECONDS = 365 * 24 * 3600;
/**
 * The largest input or output of a task, state or execution, in UTF-8 bytes: 256 KiB
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */
export const MAX_PAYLOAD_BYTES = 262_144;
/** The most events an execution's history holds on AWS (same page). */
export const MAX_HISTORY_EVENTS = 25_000;
const ROLE_NAME = 'local-stepfunctions';

interface SmRecord {
  name: string;
  arn: string;
  loaded: LoadedDefinition;
  machine: StateMachine;
  /** In start order (ascending seq). */
  executions: Exec[];
  creationDate: number;
}

/** Anchor of one task attempt's events in the history (see onLibEvent). */
interface Inv {
  anchored: boolean;
  buf: HistoryEvent[] | null;
}

interface Exec {
  seq: number;
  arn: string;
  name: string;
  sm: SmRecord;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  events: HistoryEvent[];
  // --- only while running ---
  pending: Set<TaskRec> | null;
  fifo: Map<string, Inv[]> | null;
  abort: (() => void) | null;
  stopping: { error?: string; cause?: string } | null;
  /** Set when the execution ran past maxExecutionSeconds: the run is aborted and ends TIMED_OUT. */
  timedOut: boolean;
  /** Set when a limit AWS enforces ended the execution (data, history size): the run is aborted and ends FAILED. */
  failing: { error: string; cause: string; historyLimit: boolean } | null;
  /** Ends the execution at its time limit (chained timers: Node caps one at ~24.8 days). */
  deadline: NodeJS.Timeout | null;
  done: Promise<void>;
  resolveDone: () => void;
}

interface TaskRec {
  exec: Exec;
  cfg: TaskConfig;
  inv: Inv;
  token?: string;
  settled: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  timeoutTimer?: NodeJS.Timeout;
  heartbeatTimer?: NodeJS.Timeout;
  heartbeatMs?: number;
  child?: Exec;
}

type Req = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// helpers

let statesTimeoutCtor: (new () => Error) | undefined;

/**
 * The library's Retry/Catch treat `States.TaskFailed` as matching every Task error except instances of its
 * internal StatesTimeoutError (as AWS does). That class is not exported, so capture it once from a 1 ms
 * probe execution and throw real instances on local timeouts.
 */
async function captureStatesTimeoutError(): Promise<new () => Error> {
  if (statesTimeoutCtor) return statesTimeoutCtor;
  const probe = new StateMachine(
    {
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:probe', TimeoutSeconds: 0.001, End: true },
      },
    } as never,
    { validationOptions: { noValidate: true } },
  );
  const run = probe.run({}, { overrides: { taskResourceLocalHandlers: { T: () => new Promise<never>(() => {}) } } });
  try {
    await run.result;
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.name === 'States.Timeout') {
      statesTimeoutCtor = cause.constructor as new () => Error;
      return statesTimeoutCtor;
    }
  }
  // Fallback (should not happen): a plain error named States.Timeout (States.TaskFailed would also match it).
  statesTimeoutCtor = class extends Error {
    constructor() {
      super('States.Timeout');
      this.name = 'States.Timeout';
    }
  };
  return statesTimeoutCtor;
}

/** `NAME`, `NAME:qualifier`, `arn:aws:lambda:region:acct:function:NAME[:qualifier]`, `acct:function:NAME` → NAME. */
export function functionNameOf(id: string): string {
  const i = id.indexOf('function:');
  if (i >= 0) return id.slice(i + 'function:'.length).split(':')[0];
  return id.split(':')[0];
}

function jsonClone(v: unknown): unknown {
  return v === undefined ? null : JSON.parse(JSON.stringify(v));
}

function replaceToken(v: unknown, token: string): unknown {
  if (typeof v === 'string') return v.includes(TOKEN_PLACEHOLDER) ? v.split(TOKEN_PLACEHOLDER).join(token) : v;
  if (Array.isArray(v)) return v.map((x) => replaceToken(x, token));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = replaceToken(x, token);
    return out;
  }
  return v;
}

function seconds(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new UncatchableError('States.Runtime', `${field} must resolve to a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Size of a JSON value as Step Functions measures payloads: its text in UTF-8. */
function payloadBytes(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v ?? null), 'utf8');
}

/**
 * Step Functions' States.DataLimitExceeded: a terminal error that neither States.ALL nor States.TaskFailed catch
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html); AWS's Cause wording.
 */
function dataLimitExceeded(stateName: string, what: 'returned a result' | 'has an input' = 'returned a result'): UncatchableError {
  return new UncatchableError('States.DataLimitExceeded', `The state/task '${stateName}' ${what} with a size exceeding the maximum number of bytes service limit.`);
}

function validation(msg: string): SfnApiError {
  return new SfnApiError('ValidationException', msg);
}

function str(req: Req, key: string, required: true, max?: number): string;
function str(req: Req, key: string, required: false, max?: number): string | undefined;
function str(req: Req, key: string, required: boolean, max?: number): string | undefined {
  const v = req[key];
  if (v === undefined || v === null) {
    if (required) throw validation(`1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof v !== 'string') throw validation(`Value at '${key}' must be a string`);
  if (max !== undefined && v.length > max) {
    throw validation(`1 validation error detected: Value at '${key}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
  }
  return v;
}

/** A JSON payload parameter (input, output) within Step Functions' 256 KiB, counted in UTF-8 bytes as AWS does. */
function payload(req: Req, key: string, required: true): string;
function payload(req: Req, key: string, required: false): string | undefined;
function payload(req: Req, key: string, required: boolean): string | undefined {
  const v = required ? str(req, key, true) : str(req, key, false);
  if (v !== undefined && Buffer.byteLength(v, 'utf8') > MAX_PAYLOAD_BYTES) {
    throw validation(`1 validation error detected: Value at '${key}' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PAYLOAD_BYTES}`);
  }
  return v;
}

function pageSize(req: Req): number {
  const v = req.maxResults;
  if (v === undefined || v === null || v === 0) return 100;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1000) {
    throw validation(`1 validation error detected: Value '${String(v)}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and 1000`);
  }
  return v;
}

function encodeToken(n: number): string {
  return Buffer.from(JSON.stringify({ n }), 'utf8').toString('base64url');
}

function decodeToken(t: unknown): number | undefined {
  if (t === undefined || t === null) return undefined;
  if (typeof t === 'string') {
    try {
      const v = JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as { n?: unknown };
      if (typeof v.n === 'number' && Number.isInteger(v.n) && v.n >= 0) return v.n;
    } catch {
      /* fall through */
    }
  }
  throw new SfnApiError('InvalidToken', 'Invalid pagination token');
}

const NAME_RE = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
}

// ---------------------------------------------------------------------------------------------

export class LocalStepFunctionsService {
  readonly region: string;
  readonly accountId: string;
  private readonly machines = new Map<string, SmRecord>(); // by ARN
  private readonly executions = new Map<string, Exec>(); // by ARN
  private readonly running = new Set<Exec>();
  /** token → open task, or 0 once the task is closed (→ TaskTimedOut). */
  private readonly tokens = new Map<string, TaskRec | 0>();
  /** token → ARN of the state machine whose execution issued it (kept as long as `tokens` keeps the token). */
  private readonly tokenMachines = new Map<string, string>();
  private readonly onIntegrationCall: ServiceOptions['onIntegrationCall'];
  private readonly lambdas = new Map<string, LocalLambda>();
  private readonly keepPayloads: boolean;
  private readonly beforeStartExecution: ServiceOptions['beforeStartExecution'];
  private readonly maxExecutionMs: number;
  private readonly maxHistoryEvents: number;
  private readonly onStatusChange: ServiceOptions['onExecutionStatusChange'];
  private seq = 0;
  private pendingTokens = 0;
  private closed = false;
  private readonly counters = {
    stateTransitions: 0,
    lambdaInvocations: {} as Record<string, number>,
    lambdaDurationMs: {} as Record<string, number>,
    executionsStarted: 0,
  };

  private constructor(
    o: ServiceOptions,
    private readonly StatesTimeout: new () => Error,
  ) {
    this.region = o.region;
    this.accountId = o.accountId;
    this.keepPayloads = o.historyPayloads !== false;
    this.beforeStartExecution = o.beforeStartExecution;
    this.maxExecutionMs = (o.maxExecutionSeconds ?? MAX_EXECUTION_SECONDS) * 1000;
    this.maxHistoryEvents = o.maxHistoryEvents ?? MAX_HISTORY_EVENTS;
    this.onStatusChange = o.onExecutionStatusChange;
    this.onIntegrationCall = o.onIntegrationCall;
    for (const [key, fn] of Object.entries(o.lambdas)) {
      this.lambdas.set(key, fn);
      this.lambdas.set(functionNameOf(key), fn);
    }
    const now = Date.now();
    for (const { name, definitionFile } of o.stateMachines) {
      const loaded = loadDefinitionFile(name, definitionFile, o.substitutions, { retryIntervalScale: o.retryIntervalScale });
      const arn = this.stateMachineArn(name);
      if (this.machines.has(arn)) throw new Error(`State machine ${name} is defined twice`);
      const machine = new StateMachine(loaded.definition as never, { validationOptions: { noValidate: true } });
      this.machines.set(arn, { name, arn, loaded, machine, executions: [], creationDate: now });
    }
  }

  static async create(o: ServiceOptions): Promise<LocalStepFunctionsService> {
    const ctor = await captureStatesTimeoutError();
    return new LocalStepFunctionsService(o, ctor);
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${name}`;
  }

  stats(): ServiceStats {
    return {
      stateTransitions: this.counters.stateTransitions,
      lambdaInvocations: { ...this.counters.lambdaInvocations },
      lambdaDurationMs: { ...this.counters.lambdaDurationMs },
      executionsStarted: this.counters.executionsStarted,
      executionsRunning: this.running.size,
      pendingTaskTokens: this.pendingTokens,
    };
  }

  /** Abort every running execution and clear all timers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.running].map((e) => this.stop(e, 'LocalStepFunctions.Closed', 'The local service was closed'));
    await Promise.all(all);
  }

  // ===========================================================================================
  // API operations (AWS JSON shapes; dates in epoch seconds)

  readonly operations: Record<string, (req: Req) => unknown> = {
    StartExecution: (req) => this.apiStartExecution(req),
    StartSyncExecution: () => {
      throw new SfnApiError('ValidationException', 'StartSyncExecution is only for EXPRESS state machines');
    },
    DescribeExecution: (req) => this.describe(this.execByArn(str(req, 'executionArn', true))),
    ListExecutions: (req) => this.apiListExecutions(req),
    GetExecutionHistory: (req) => this.apiGetExecutionHistory(req),
    StopExecution: (req) => this.apiStopExecution(req),
    SendTaskSuccess: (req) => this.apiSendTaskSuccess(req),
    SendTaskFailure: (req) => this.apiSendTaskFailure(req),
    SendTaskHeartbeat: (req) => this.apiSendTaskHeartbeat(req),
    ListStateMachines: (req) => this.apiListStateMachines(req),
    DescribeStateMachine: (req) => this.describeStateMachine(this.smByArn(str(req, 'stateMachineArn', true))),
    DescribeStateMachineForExecution: (req) =>
      this.describeStateMachine(this.execByArn(str(req, 'executionArn', true)).sm),
  };

  private apiStartExecution(req: Req): { executionArn: string; startDate: number } {
    const sm = this.smByArn(str(req, 'stateMachineArn', true));
    const name = str(req, 'name', false) ?? randomUUID();
    const input = payload(req, 'input', false) ?? '{}';
    const exec = this.startExecution(sm, name, input);
    return { executionArn: exec.arn, startDate: exec.startDate / 1000 };
  }

  private apiListExecutions(req: Req): unknown {
    if (req.mapRunArn !== undefined) throw validation('mapRunArn is not supported locally');
    const sm = this.smByArn(str(req, 'stateMachineArn', true));
    const filter = str(req, 'statusFilter', false);
    if (filter !== undefined && !STATUSES.has(filter)) {
      throw validation(`1 validation error detected: Value '${filter}' at 'statusFilter' failed to satisfy constraint`);
    }
    const max = pageSize(req);
    const after = decodeToken(req.nextToken); // seq of the next execution to return (descending)
    const list = sm.executions;
    // executions are sorted by seq ascending: binary search the last index with seq <= after
    let i = list.length - 1;
    if (after !== undefined) {
      let lo = 0;
      let hi = list.length - 1;
      i = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (list[mid].seq <= after) {
          i = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
    }
    const executions: unknown[] = [];
    for (; i >= 0; i--) {
      const e = list[i];
      if (filter !== undefined && e.status !== filter) continue;
      if (executions.length === max) {
        return { executions, nextToken: encodeToken(e.seq) };
      }
      executions.push({
        executionArn: e.arn,
        stateMachineArn: sm.arn,
        name: e.name,
        status: e.status,
        startDate: e.startDate / 1000,
        ...(e.stopDate !== undefined ? { stopDate: e.stopDate / 1000 } : {}),
        redriveCount: 0,
      });
    }
    return { executions };
  }

  private apiGetExecutionHistory(req: Req): unknown {
    const exec = this.execByArn(str(req, 'executionArn', true));
    const max = pageSize(req);
    const reverse = req.reverseOrder === true;
    const includeData = req.includeExecutionData !== false;
    const offset = decodeToken(req.nextToken) ?? 0;
    const n = exec.events.length;
    const events: unknown[] = [];
    let k = offset;
    for (; k < n && events.length < max; k++) {
      const idx = reverse ? n - 1 - k : k;
      events.push(this.render(exec, idx, includeData));
    }
    return k < n ? { events, nextToken: encodeToken(k) } : { events };
  }

  private render(exec: Exec, idx: number, includeData: boolean): Record<string, unknown> {
    const ev = exec.events[idx];
    const out = renderEvent(ev, idx + 1, includeData);
    // payloads of the execution itself are kept once, on the execution record
    if (ev[0] === 'ExecutionStarted') {
      out.executionStartedEventDetails = {
        ...(includeData ? { input: exec.input, inputDetails: { truncated: false } } : {}),
        roleArn: this.roleArn(),
      };
    } else if (ev[0] === 'ExecutionSucceeded') {
      out.executionSucceededEventDetails = includeData ? { output: exec.output, outputDetails: { truncated: false } } : {};
    }
    return out;
  }

  private async apiStopExecution(req: Req): Promise<{ stopDate: number }> {
    const exec = this.execByArn(str(req, 'executionArn', true));
    const error = str(req, 'error', false, 256);
    const cause = str(req, 'cause', false, 32768);
    await this.stop(exec, error, cause);
    return { stopDate: (exec.stopDate ?? Date.now()) / 1000 };
  }

  private taskByToken(req: Req): TaskRec {
    const token = str(req, 'taskToken', true, 2048);
    if (token.length < 1) throw validation("Value at 'taskToken' failed to satisfy constraint: Member must have length greater than or equal to 1");
    const rec = this.tokens.get(token);
    if (rec === undefined) throw new SfnApiError('TaskDoesNotExist', 'Task does not exist anymore');
    if (rec === 0 || rec.settled) throw new SfnApiError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
    return rec;
  }

  private apiSendTaskSuccess(req: Req): Record<string, never> {
    const output = payload(req, 'output', true);
    const rec = this.taskByToken(req);
    let value: unknown;
    try {
      value = JSON.parse(output);
    } catch {
      throw new SfnApiError('InvalidOutput', 'Invalid Output: output is not valid JSON');
    }
    this.succeedTask(rec, value);
    return {};
  }

  private apiSendTaskFailure(req: Req): Record<string, never> {
    const error = str(req, 'error', false, 256);
    const cause = str(req, 'cause', false, 32768);
    const rec = this.taskByToken(req);
    this.failTask(rec, error ?? '', cause ?? '');
    return {};
  }

  private apiSendTaskHeartbeat(req: Req): Record<string, never> {
    const rec = this.taskByToken(req);
    if (rec.heartbeatMs !== undefined) {
      clearTimeout(rec.heartbeatTimer);
      rec.heartbeatTimer = setTimeout(() => this.timeoutTask(rec, 'Heartbeat timeout'), rec.heartbeatMs);
    }
    return {};
  }

  private apiListStateMachines(req: Req): unknown {
    const max = pageSize(req);
    const offset = decodeToken(req.nextToken) ?? 0;
    const all = [...this.machines.values()];
    const page = all.slice(offset, offset + max).map((sm) => ({
      stateMachineArn: sm.arn,
      name: sm.name,
      type: 'STANDARD',
      creationDate: sm.creationDate / 1000,
    }));
    return offset + max < all.length ? { stateMachines: page, nextToken: encodeToken(offset + max) } : { stateMachines: page };
  }

  private describeStateMachine(sm: SmRecord): unknown {
    return {
      stateMachineArn: sm.arn,
      name: sm.name,
      status: 'ACTIVE',
      definition: sm.loaded.definitionString,
      roleArn: this.roleArn(),
      type: 'STANDARD',
      creationDate: sm.creationDate / 1000,
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  private describe(e: Exec): Record<string, unknown> {
    const out: Record<string, unknown> = {
      executionArn: e.arn,
      stateMachineArn: e.sm.arn,
      name: e.name,
      status: e.status,
      startDate: e.startDate / 1000,
      input: e.input,
      inputDetails: { included: true },
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    };
    if (e.stopDate !== undefined) out.stopDate = e.stopDate / 1000;
    if (e.output !== undefined) {
      out.output = e.output;
      out.outputDetails = { included: true };
    }
    if (e.error !== undefined) out.error = e.error;
    if (e.cause !== undefined) out.cause = e.cause;
    return out;
  }

  private roleArn(): string {
    return `arn:aws:iam::${this.accountId}:role/${ROLE_NAME}`;
  }

  private smByArn(arn: string): SmRecord {
    if (!arn.startsWith('arn:')) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    const sm = this.machines.get(arn);
    if (!sm) throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return sm;
  }

  private execByArn(arn: string): Exec {
    if (!/^arn:[^:]+:states:[^:]*:[^:]*:execution:[^:]+:[^:]+$/.test(arn)) {
      throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
    }
    const e = this.executions.get(arn);
    if (!e) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  // ===========================================================================================
  // executions

  private startExecution(sm: SmRecord, name: string, input: string): Exec {
    if (this.closed) throw new SfnApiError('InternalFailure', 'The local service is closed', 500);
    checkName(name);
    const arn = `arn:aws:states:${this.region}:${this.accountId}:execution:${sm.name}:${name}`;
    let inputValue: unknown;
    try {
      inputValue = JSON.parse(input);
    } catch {
      throw new SfnApiError('InvalidExecutionInput', 'Invalid State Machine Execution Input: input is not valid JSON');
    }
    const existing = this.executions.get(arn);
    if (existing) {
      // AWS Standard: same name + same input while RUNNING → idempotent; otherwise ExecutionAlreadyExists.
      if (existing.status === 'RUNNING' && JSON.stringify(JSON.parse(existing.input)) === JSON.stringify(inputValue)) {
        return existing;
      }
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }

    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const startDate = Date.now();
    const exec: Exec = {
      seq: ++this.seq,
      arn,
      name,
      sm,
      input,
      status: 'RUNNING',
      startDate,
      events: [['ExecutionStarted', startDate]],
      pending: new Set(),
      fifo: new Map(),
      abort: null,
      stopping: null,
      timedOut: false,
      failing: null,
      deadline: null,
      done,
      resolveDone,
    };
    this.executions.set(arn, exec);
    sm.executions.push(exec);
    this.running.add(exec);
    this.counters.executionsStarted++;

    const execCtx = {
      Id: arn,
      Name: name,
      Input: inputValue,
      StartTime: new Date(startDate).toISOString(),
      RoleArn: this.roleArn(),
      RedriveCount: 0,
    };
    const context = { Execution: execCtx, LocalExecution: execCtx, StateMachine: { Id: sm.arn, Name: sm.name } };
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, cfg] of sm.loaded.tasks) handlers[stateName] = (i) => this.runTask(exec, cfg, i);

    const run = sm.machine.run(inputValue as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: context as never,
    });
    exec.abort = run.abort;
    this.armDeadline(exec, startDate + this.maxExecutionMs);
    const consumed = this.consume(exec, run.eventLogs);
    run.result.then(
      (output) => consumed.then(() => this.finalize(exec, { output })),
      (err: unknown) => consumed.then(() => this.finalize(exec, { err })),
    );
    if (exec.stopping) run.abort();
    this.statusChanged(exec);
    return exec;
  }

  private stop(exec: Exec, error?: string, cause?: string): Promise<void> {
    if (exec.status !== 'RUNNING') return exec.done;
    if (this.endable(exec)) {
      exec.stopping = { error, cause };
      exec.abort?.();
    }
    return exec.done;
  }

  private async consume(exec: Exec, logs: AsyncGenerator<unknown>): Promise<void> {
    try {
      for await (const ev of logs) {
        this.onLibEvent(exec, ev as LibEvent);
        // The event that would be the history's last is the execution's failure instead (AWS: FAILED, States.Runtime).
        if (exec.events.length >= this.maxHistoryEvents - 1) this.failAtLimit(exec, this.historyLimit());
      }
    } catch {
      /* the library's generator does not throw; be defensive */
    }
  }

  /**
   * Library events → AWS history events. Task attempt events (TaskScheduled, …) are produced by the overrides,
   * which run synchronously right after the library dispatched StateEntered/StateRetried but before this
   * (asynchronous) consumer sees it; each attempt is queued per state name and its events are buffered until
   * the consumer reaches the StateEntered/StateRetried event it belongs to.
   */
  private onLibEvent(exec: Exec, ev: LibEvent): void {
    const events = exec.events;
    const ts = ev.timestamp ?? Date.now();
    const st = ev.state;
    switch (ev.type) {
      case 'StateEntered': {
        if (!st) return;
        this.counters.stateTransitions++;
        events.push([`${st.type}StateEntered`, ts, { name: st.name, input: this.keep(st.input) }]);
        if (st.type === 'Task') this.anchor(exec, st.name);
        else if (st.type === 'Parallel') events.push(['ParallelStateStarted', ts]);
        else if (st.type === 'Map') events.push(['MapStateStarted', ts, { length: Array.isArray(st.input) ? st.input.length : undefined }]);
        return;
      }
      case 'StateRetried':
        // Step Functions bills a retry as a state transition.
        this.counters.stateTransitions++;
        if (st?.type === 'Task') this.anchor(exec, st.name);
        return;
      case 'StateExited':
        if (!st) return;
        // Seen here, after the library moved on: the next state may have started when the execution fails.
        if (payloadBytes(st.output) > MAX_PAYLOAD_BYTES) {
          const { name, message } = dataLimitExceeded(st.name);
          this.failAtLimit(exec, { error: name, cause: message, historyLimit: false });
          return;
        }
        if (st.type === 'Parallel') events.push(['ParallelStateSucceeded', ts]);
        else if (st.type === 'Map') events.push(['MapStateSucceeded', ts]);
        events.push([`${st.type}StateExited`, ts, { name: st.name, output: this.keep(st.output) }]);
        return;
      case 'StateFailed':
        if (st?.type === 'Parallel') events.push(['ParallelStateFailed', ts]);
        else if (st?.type === 'Map') events.push(['MapStateFailed', ts]);
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        events.push([ev.type, ts, { name: ev.parentState?.name, index: ev.index }]);
        return;
      default:
        return; // ExecutionStarted / terminal events are written by this service; branch events are not in AWS history
    }
  }

  private keep(v: unknown): unknown {
    return this.keepPayloads ? v : undefined;
  }

  private anchor(exec: Exec, stateName: string): void {
    const q = exec.fifo?.get(stateName);
    if (!q) return;
    const inv = q.shift()!;
    if (q.length === 0) exec.fifo!.delete(stateName);
    inv.anchored = true;
    if (inv.buf) for (const e of inv.buf) exec.events.push(e);
    inv.buf = null;
  }

  private emit(rec: TaskRec, ev: HistoryEvent): void {
    const inv = rec.inv;
    if (inv.anchored) rec.exec.events.push(ev);
    else inv.buf?.push(ev);
  }

  private finalize(exec: Exec, r: { output?: unknown; err?: unknown }): void {
    if (exec.status !== 'RUNNING') return;
    const now = Date.now();
    // attempts whose StateEntered never reached the root logger (e.g. nested events after the end)
    if (exec.fifo) {
      for (const q of exec.fifo.values()) {
        for (const inv of q) {
          if (inv.buf) for (const e of inv.buf) exec.events.push(e);
          inv.buf = null;
          inv.anchored = true;
        }
      }
    }
    // An execution that ends with more events than its history holds has failed at the limit on AWS.
    if (!exec.failing && exec.events.length >= this.maxHistoryEvents) exec.failing = this.historyLimit();
    let status: ExecutionStatus;
    let terminal: HistoryEvent;
    if (exec.failing) {
      // AWS writes nothing after the cut: with the history limit the failure is the history's last possible event.
      if (exec.failing.historyLimit) exec.events.length = Math.min(exec.events.length, this.maxHistoryEvents - 1);
      status = 'FAILED';
      exec.error = exec.failing.error;
      exec.cause = exec.failing.cause;
      terminal = ['ExecutionFailed', now, { error: exec.error, cause: exec.cause }];
    } else if (!('err' in r)) {
      status = 'SUCCEEDED';
      exec.output = JSON.stringify(r.output === undefined ? null : r.output);
      terminal = ['ExecutionSucceeded', now];
    } else if (exec.timedOut || r.err instanceof ExecutionTimeoutError) {
      // AWS records neither an error nor a cause for an execution that timed out: DescribeExecution has none
      // (localstack's test_timeouts.snapshot.json `test_global_timeout`, recorded against AWS) and the
      // ExecutionTimedOut event's details are empty (localstack asl/component/program/program.py).
      status = 'TIMED_OUT';
      terminal = ['ExecutionTimedOut', now, {}];
    } else if (r.err instanceof ExecutionAbortedError) {
      status = 'ABORTED';
      exec.error = exec.stopping?.error;
      exec.cause = exec.stopping?.cause;
      terminal = ['ExecutionAborted', now, { error: exec.error, cause: exec.cause }];
    } else {
      status = 'FAILED';
      const cause = r.err instanceof ExecutionError ? (r.err.cause as Error | undefined) : (r.err as Error | undefined);
      let error: string | undefined = cause?.name ?? 'States.Runtime';
      let message: string | undefined = cause?.message ?? String(r.err);
      if (cause?.constructor?.name === 'FailStateError') {
        // Fail state without Error / Cause: AWS reports none
        if (error === 'FailStateError') error = undefined;
        if (message === 'Execution failed because of a Fail state') message = undefined;
      }
      exec.error = error;
      exec.cause = message;
      terminal = ['ExecutionFailed', now, { error, cause: message }];
    }
    exec.status = status;
    exec.stopDate = now;
    clearTimeout(exec.deadline ?? undefined);
    exec.deadline = null;
    const pending = exec.pending;
    exec.pending = null;
    exec.fifo = null;
    exec.abort = null;
    if (pending) {
      for (const rec of pending) {
        this.cancelTask(rec, `Execution ${exec.arn} ended with status ${status}`);
      }
    }
    exec.events.push(terminal);
    this.running.delete(exec);
    exec.resolveDone();
    if (!this.closed) this.statusChanged(exec);
  }

  /** The EventBridge event of the execution's current status, handed to onExecutionStatusChange. */
  private statusChanged(exec: Exec): void {
    if (!this.onStatusChange) return;
    const event: ExecutionStatusChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: this.accountId,
      time: new Date(exec.stopDate ?? exec.startDate).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [exec.arn],
      detail: {
        executionArn: exec.arn,
        stateMachineArn: exec.sm.arn,
        name: exec.name,
        status: exec.status,
        startDate: exec.startDate,
        stopDate: exec.stopDate ?? null,
        input: exec.input,
        inputDetails: { included: true },
        output: exec.output ?? null,
        outputDetails: exec.output === undefined ? null : { included: true },
        error: exec.error ?? null,
        cause: exec.cause ?? null,
      },
    };
    try {
      this.onStatusChange(event);
    } catch {
      // a listener's failure is its own (EventBridge delivers to targets independently of the execution)
    }
  }

  /** Arms the execution's time limit in chunks a Node timer can hold; at the limit the run is aborted as TIMED_OUT. */
  private armDeadline(exec: Exec, deadline: number): void {
    const left = deadline - Date.now();
    if (left > MAX_TIMER_MS) {
      exec.deadline = setTimeout(() => this.armDeadline(exec, deadline), MAX_TIMER_MS);
      return;
    }
    exec.deadline = setTimeout(() => {
      exec.deadline = null;
      if (!this.endable(exec)) return;
      exec.timedOut = true;
      this.abortRun(exec, `Execution ${exec.arn} timed out`);
    }, Math.max(0, left));
  }

  /** Still running and not already being ended (stopped, timed out, failed at a limit). */
  private endable(exec: Exec): boolean {
    return exec.status === 'RUNNING' && !exec.stopping && !exec.timedOut && !exec.failing;
  }

  /** Ends the run now: its children are stopped at once, before their own (later) limits could end them first. */
  private abortRun(exec: Exec, reason: string): void {
    for (const rec of [...(exec.pending ?? [])]) this.cancelTask(rec, reason);
    exec.abort?.();
  }

  /** A limit AWS enforces ends the execution FAILED with `failing`'s error and cause. */
  private failAtLimit(exec: Exec, failing: NonNullable<Exec['failing']>): void {
    if (!this.endable(exec)) return;
    exec.failing = failing;
    this.abortRun(exec, `Execution ${exec.arn} failed: ${failing.error}`);
  }

  private historyLimit(): NonNullable<Exec['failing']> {
    return { error: 'States.Runtime', cause: `The execution reached the maximum number of history events (${this.maxHistoryEvents}).`, historyLimit: true };
  }

  // ===========================================================================================
  // tasks

  private runTask(exec: Exec, cfg: TaskConfig, raw: unknown): Promise<unknown> {
    if (!this.endable(exec) || !exec.pending) {
      return Promise.reject(new UncatchableError('States.Runtime', 'The execution is no longer running'));
    }
    let params: unknown = raw;
    let timeoutSeconds = cfg.timeoutSeconds;
    let heartbeatSeconds = cfg.heartbeatSeconds;
    try {
      if (cfg.timeoutFromInput || cfg.heartbeatFromInput || cfg.wrappedInput) {
        const obj = raw as Record<string, unknown>;
        if (cfg.timeoutFromInput) timeoutSeconds = seconds(obj[HIDDEN_TIMEOUT_KEY], 'TimeoutSecondsPath');
        if (cfg.heartbeatFromInput) heartbeatSeconds = seconds(obj[HIDDEN_HEARTBEAT_KEY], 'HeartbeatSecondsPath');
        if (cfg.wrappedInput) params = obj[HIDDEN_INPUT_KEY];
        else {
          const rest: Record<string, unknown> = { ...obj };
          delete rest[HIDDEN_TIMEOUT_KEY];
          delete rest[HIDDEN_HEARTBEAT_KEY];
          params = rest;
        }
      }
    } catch (e) {
      return Promise.reject(e);
    }

    let token: string | undefined;
    if (cfg.usesToken) {
      token = randomBytes(64).toString('base64url');
      params = replaceToken(params, token);
    }
    // The state's input after Parameters: past the limit the task never starts.
    if (payloadBytes(params) > MAX_PAYLOAD_BYTES) return Promise.reject(dataLimitExceeded(cfg.stateName, 'has an input'));

    const inv: Inv = { anchored: false, buf: [] };
    const q = exec.fifo!.get(cfg.stateName);
    if (q) q.push(inv);
    else exec.fifo!.set(cfg.stateName, [inv]);

    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const rec: TaskRec = { exec, cfg, inv, token, settled: false, resolve, reject };
    exec.pending.add(rec);
    if (token) {
      this.tokens.set(token, rec);
      if (this.onIntegrationCall) this.tokenMachines.set(token, exec.sm.arn);
      this.pendingTokens++;
    }

    const now = Date.now();
    if (cfg.kind === 'lambda-function') {
      this.emit(rec, ['LambdaFunctionScheduled', now, { resource: cfg.resource, input: this.keep(params), timeoutInSeconds: timeoutSeconds }]);
      this.emit(rec, ['LambdaFunctionStarted', now]);
    } else {
      this.emit(rec, [
        'TaskScheduled',
        now,
        {
          resourceType: cfg.resourceType,
          resource: cfg.resourceName,
          region: this.region,
          parameters: this.keep(params),
          timeoutInSeconds: timeoutSeconds,
          heartbeatInSeconds: heartbeatSeconds,
        },
      ]);
      this.emit(rec, ['TaskStarted', now, { resourceType: cfg.resourceType, resource: cfg.resourceName }]);
    }

    if (timeoutSeconds !== undefined) {
      rec.timeoutTimer = setTimeout(() => this.timeoutTask(rec, 'Task timeout'), Math.min(timeoutSeconds * 1000, MAX_TIMER_MS));
    }
    if (heartbeatSeconds !== undefined) {
      rec.heartbeatMs = Math.min(heartbeatSeconds * 1000, MAX_TIMER_MS);
      rec.heartbeatTimer = setTimeout(() => this.timeoutTask(rec, 'Heartbeat timeout'), rec.heartbeatMs);
    }

    this.work(rec, params).catch((err: unknown) => {
      // lambda failures and local errors of the integration
      if (rec.settled) return;
      if (err instanceof TaskError) this.failTask(rec, err.name, err.message);
      else {
        const { error, cause } = lambdaErrorCause(err);
        this.failTask(rec, error, cause);
      }
    });
    return promise;
  }

  private async work(rec: TaskRec, params: unknown): Promise<void> {
    const { cfg } = rec;
    const integrationCall = (action: string, resource: string) => this.onIntegrationCall?.({ stateMachineArn: rec.exec.sm.arn, action, resource });
    if (cfg.kind === 'lambda-function') {
      integrationCall('lambda:InvokeFunction', this.functionArn(cfg.functionName!));
      const result = await this.invokeLambda(cfg.functionName!, params);
      this.succeedTask(rec, result);
      return;
    }
    const p = (params ?? {}) as Record<string, unknown>;
    if (cfg.kind === 'lambda-invoke') {
      const fnName = p.FunctionName;
      if (typeof fnName !== 'string') throw new TaskError('States.Runtime', 'lambda:invoke needs a FunctionName string');
      integrationCall('lambda:InvokeFunction', this.functionArn(fnName));
      const payload = await this.invokeLambda(fnName, p.Payload === undefined ? {} : p.Payload);
      const result = { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
      if (rec.settled) return;
      if (cfg.mode === 'token') {
        this.emit(rec, ['TaskSubmitted', Date.now(), { resourceType: cfg.resourceType, resource: cfg.resourceName, output: this.keep(result) }]);
        return; // wait for SendTask* / timeout
      }
      this.succeedTask(rec, result);
      return;
    }
    // states:startExecution
    const smArn = p.StateMachineArn;
    if (typeof smArn !== 'string') throw new TaskError('States.Runtime', 'startExecution needs a StateMachineArn string');
    const input = p.Input === undefined ? '{}' : typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input);
    const name = typeof p.Name === 'string' ? p.Name : randomUUID();
    let child: Exec;
    integrationCall('states:StartExecution', smArn);
    if (cfg.mode === 'sync' || cfg.mode === 'sync2') {
      const rule = `arn:aws:events:${this.region}:${this.accountId}:rule/${SYNC_EVENTS_RULE}`;
      for (const action of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) integrationCall(action, rule);
    }
    try {
      await this.beforeStartExecution?.({ stateMachineArn: smArn, name, input });
      child = this.startExecution(this.smByArn(smArn), name, input);
    } catch (e) {
      if (e instanceof SfnApiError) throw integrationError('StepFunctions', `${e.type}Exception`, e.message, { status: e.statusCode, code: e.type });
      throw e;
    }
    const started = { ExecutionArn: child.arn, StartDate: child.startDate };
    if (cfg.mode === 'request') {
      this.succeedTask(rec, started);
      return;
    }
    this.emit(rec, ['TaskSubmitted', Date.now(), { resourceType: cfg.resourceType, resource: cfg.resourceName, output: this.keep(started) }]);
    if (cfg.mode === 'token') return;
    rec.child = child;
    await child.done;
    if (rec.settled) return;
    integrationCall('states:DescribeExecution', child.arn);
    const v2 = cfg.mode === 'sync2';
    const out = this.syncOutput(child, v2);
    if (child.status === 'SUCCEEDED') this.succeedTask(rec, out);
    else this.failTask(rec, 'States.TaskFailed', JSON.stringify(out));
  }

  /** DescribeExecution as returned by startExecution.sync (strings) / .sync:2 (parsed JSON). */
  private syncOutput(e: Exec, v2: boolean): Record<string, unknown> {
    const parse = (s: string | undefined) => (s === undefined ? undefined : v2 ? JSON.parse(s) : s);
    const out: Record<string, unknown> = {
      ExecutionArn: e.arn,
      Input: parse(e.input),
      InputDetails: { Included: true },
      Name: e.name,
      RedriveCount: 0,
      StartDate: e.startDate,
      StateMachineArn: e.sm.arn,
      Status: e.status,
      StopDate: e.stopDate,
    };
    if (e.output !== undefined) {
      out.Output = parse(e.output);
      out.OutputDetails = { Included: true };
    }
    if (e.error !== undefined) out.Error = e.error;
    if (e.cause !== undefined) out.Cause = e.cause;
    return out;
  }

  private async invokeLambda(functionName: string, payload: unknown): Promise<unknown> {
    const fn = this.lambdas.get(functionName) ?? this.lambdas.get(functionNameOf(functionName));
    if (!fn) {
      const known = [...new Set([...this.lambdas.keys()].map(functionNameOf))].join(', ');
      throw integrationError('Lambda', 'ResourceNotFoundException', `Function not found: ${functionName} (local lambdas: ${known})`, { status: 404, code: 'ResourceNotFoundException' });
    }
    const name = functionNameOf(functionName);
    const c = this.counters;
    c.lambdaInvocations[name] = (c.lambdaInvocations[name] ?? 0) + 1;
    const t0 = performance.now();
    try {
      const result = await fn(jsonClone(payload));
      return jsonClone(result);
    } finally {
      c.lambdaDurationMs[name] = (c.lambdaDurationMs[name] ?? 0) + (performance.now() - t0);
    }
  }

  /** Close the task: timers, token, pending set. Returns false when it was already closed. */
  private settle(rec: TaskRec): boolean {
    if (rec.settled) return false;
    rec.settled = true;
    clearTimeout(rec.timeoutTimer);
    clearTimeout(rec.heartbeatTimer);
    rec.exec.pending?.delete(rec);
    if (rec.token) {
      this.tokens.set(rec.token, 0);
      this.pendingTokens--;
    }
    return true;
  }

  private succeedTask(rec: TaskRec, result: unknown): void {
    if (payloadBytes(result) > MAX_PAYLOAD_BYTES) {
      const { name, message } = dataLimitExceeded(rec.cfg.stateName);
      this.failTask(rec, name, message, UncatchableError);
      return;
    }
    if (!this.settle(rec)) return;
    const { cfg } = rec;
    if (cfg.kind === 'lambda-function') {
      this.emit(rec, ['LambdaFunctionSucceeded', Date.now(), { output: this.keep(result) }]);
    } else {
      this.emit(rec, ['TaskSucceeded', Date.now(), { resourceType: cfg.resourceType, resource: cfg.resourceName, output: this.keep(result) }]);
    }
    rec.resolve(result);
  }

  private failTask(rec: TaskRec, error: string, cause: string, as: new (error: string, cause: string) => Error = TaskError): void {
    if (!this.settle(rec)) return;
    const { cfg } = rec;
    if (cfg.kind === 'lambda-function') {
      this.emit(rec, ['LambdaFunctionFailed', Date.now(), { error, cause }]);
    } else {
      this.emit(rec, ['TaskFailed', Date.now(), { resourceType: cfg.resourceType, resource: cfg.resourceName, error, cause }]);
    }
    rec.reject(new as(error, cause));
  }

  private timeoutTask(rec: TaskRec, cause: string): void {
    if (!this.settle(rec)) return;
    const { cfg } = rec;
    if (cfg.kind === 'lambda-function') {
      this.emit(rec, ['LambdaFunctionTimedOut', Date.now(), { error: 'States.Timeout', cause }]);
    } else {
      this.emit(rec, ['TaskTimedOut', Date.now(), { resourceType: cfg.resourceType, resource: cfg.resourceName, error: 'States.Timeout', cause }]);
    }
    if (rec.child) this.stopChild(rec, 'States.Timeout', `The parent task ${cfg.stateName} of ${rec.exec.arn} timed out`);
    rec.reject(new this.StatesTimeout());
  }

  private cancelTask(rec: TaskRec, reason: string): void {
    if (!this.settle(rec)) return;
    if (rec.child) this.stopChild(rec, undefined, `Stopped by the parent: ${reason}`);
    rec.reject(new UncatchableError('States.Runtime', `Task cancelled: ${reason}`));
  }

  /** A `.sync` parent stopping its child, as Step Functions does with the parent's role (StopExecution; not for close()). */
  private stopChild(rec: TaskRec, error: string | undefined, cause: string): void {
    if (!this.closed) this.onIntegrationCall?.({ stateMachineArn: rec.exec.sm.arn, action: 'states:StopExecution', resource: rec.child!.arn });
    void this.stop(rec.child!, error, cause);
  }

  private functionArn(functionName: string): string {
    return functionName.startsWith('arn:') ? functionName : `arn:aws:lambda:${this.region}:${this.accountId}:function:${functionName}`;
  }

  /** The state machine whose execution issued `token` (only while onIntegrationCall is given). */
  stateMachineOfToken(token: string): string | undefined {
    return this.tokenMachines.get(token);
  }
}

interface LibEvent {
  type: string;
  timestamp?: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
}
