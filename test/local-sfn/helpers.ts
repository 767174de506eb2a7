import { fileURLToPath } from 'node:url';
import { DescribeExecutionCommand, SFNClient, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { STATE_MACHINE_ACTIONS } from '../../local/state-machine-functions.js';
import { localLambdaArn, localStateMachineArn, startLocalStepFunctions, type LocalStepFunctions, type LocalStepFunctionsOptions } from '../../local/stepfunctions/index.js';

export const REGION = 'eu-central-1';
export const ACCOUNT = '123456789012';

export const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Promise-driven queue: `next()` resolves with the next pushed item. */
export class Mailbox<T> {
  private items: T[] = [];
  private waiters: ((v: T) => void)[] = [];
  push(v: T): void {
    const w = this.waiters.shift();
    if (w) w(v);
    else this.items.push(v);
  }
  next(timeoutMs = 5000): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift() as T);
    return new Promise<T>((resolve, reject) => {
      const waiter = (v: T) => {
        clearTimeout(t);
        resolve(v);
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`nothing arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
  get size(): number {
    return this.items.length;
  }
}

export class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface RequestCall {
  token: string;
  payload: Record<string, unknown>;
}

/** The local lambdas of the fixtures, with hooks the tests observe. */
export function makeWorld() {
  const requests = new Map<string, Mailbox<RequestCall>>();
  const mailbox = (caseId: string) => {
    let m = requests.get(caseId);
    if (!m) requests.set(caseId, (m = new Mailbox()));
    return m;
  };
  const failures = new Mailbox<Record<string, unknown>>();
  const escalations = new Mailbox<Record<string, unknown>>();
  const registerCalls = new Map<string, number>();
  const requestTransient = new Set<string>();

  const lambdas = {
    'register-case': async (p: unknown) => {
      const { caseId, register } = p as { caseId: string; register?: string };
      const n = (registerCalls.get(caseId) ?? 0) + 1;
      registerCalls.set(caseId, n);
      if (register === 'transient-always') throw new NamedError('Transient', `attempt ${n} failed`);
      if (register === 'transient-once' && n === 1) throw new NamedError('Transient', 'first attempt failed');
      if (register === 'fatal') throw new TypeError('cannot read the form');
      return { caseId };
    },
    // registered by ARN to check ARN → name mapping
    [localLambdaArn(REGION, ACCOUNT, 'side')]: async (p: unknown) => ({ side: true, ...(p as object) }),
    'apply-response': async (p: unknown) => ({ ...(p as object), applied: true }),
    'record-failure': async (p: unknown) => {
      failures.push(p as Record<string, unknown>);
      return { recorded: true };
    },
    'request-confirmation': async (p: unknown) => {
      const payload = p as Record<string, unknown> & { caseId: string; taskToken: string };
      if (requestTransient.has(payload.caseId)) {
        requestTransient.delete(payload.caseId);
        throw new NamedError('Transient', 'mail server busy');
      }
      mailbox(payload.caseId).push({ token: payload.taskToken, payload });
      return { sent: true };
    },
    'escalate-step': async (p: unknown) => {
      escalations.push(p as Record<string, unknown>);
      return { escalated: true };
    },
    slow: () => new Promise((r) => setTimeout(() => r({ slow: true }), 1500)),
  };

  const substitutions = {
    RegisterFunctionArn: localLambdaArn(REGION, ACCOUNT, 'register-case'),
    SideFunctionArn: 'side',
    ApplyFunctionArn: 'apply-response',
    RecordFailureFunctionArn: localLambdaArn(REGION, ACCOUNT, 'record-failure'),
    RequestFunctionArn: localLambdaArn(REGION, ACCOUNT, 'request-confirmation') + ':$LATEST',
    EscalateFunctionName: 'escalate-step',
    SlowFunctionArn: 'slow',
    ChildStateMachineArn: localStateMachineArn(REGION, ACCOUNT, 'child'),
  };

  return { lambdas, substitutions, mailbox, failures, escalations, registerCalls, requestTransient };
}

export type World = ReturnType<typeof makeWorld>;

export async function startFixtureService(world: World, extra: Partial<Pick<LocalStepFunctionsOptions, 'historyPayloads' | 'maxExecutionSeconds' | 'onExecutionStatusChange'>> = {}): Promise<LocalStepFunctions> {
  return startLocalStepFunctions({
    region: REGION,
    accountId: ACCOUNT,
    stateMachines: [
      { name: 'parent', definitionFile: fixture('parent.asl.json') },
      { name: 'child', definitionFile: fixture('child.asl.json') },
      { name: 'misc', definitionFile: fixture('misc.asl.json') },
    ],
    substitutions: world.substitutions,
    lambdas: world.lambdas,
    retryIntervalScale: 0.01,
    ...extra,
  });
}

/** The product's own state machines (statemachine/*.asl.json) with the test's functions behind every action. */
export async function startProductService(
  lambdas: LocalStepFunctionsOptions['lambdas'],
  extra: Partial<Pick<LocalStepFunctionsOptions, 'retryIntervalScale'>> = {},
): Promise<LocalStepFunctions> {
  const asl = (name: string) => fileURLToPath(new URL(`../../statemachine/${name}.asl.json`, import.meta.url));
  return startLocalStepFunctions({
    region: REGION,
    accountId: ACCOUNT,
    stateMachines: [
      { name: 'procedure', definitionFile: asl('procedure') },
      { name: 'confirmation', definitionFile: asl('confirmation') },
    ],
    substitutions: {
      ...Object.fromEntries(STATE_MACHINE_ACTIONS.map(([key, name]) => [key, localLambdaArn(REGION, ACCOUNT, name)])),
      ConfirmationStateMachineArn: localStateMachineArn(REGION, ACCOUNT, 'confirmation'),
    },
    lambdas,
    ...extra,
  });
}

export function client(endpoint: string): SFNClient {
  return new SFNClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

/** Poll DescribeExecution until the status is not RUNNING (or `until` holds). */
export async function waitForExecution(
  sfn: SFNClient,
  executionArn: string,
  until: (d: DescribeExecutionCommandOutput) => boolean = (d) => d.status !== 'RUNNING',
  timeoutMs = 5000,
): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (until(d)) return d;
    if (Date.now() > deadline) throw new Error(`execution ${executionArn} still ${d.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function expectSfnError(p: Promise<unknown>, name: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    const err = e as Error;
    if (err.name !== name) throw new Error(`expected ${name}, got ${err.name}: ${err.message}`);
    return err;
  }
  throw new Error(`expected ${name}, but the call succeeded`);
}
