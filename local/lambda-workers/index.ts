import { Worker } from 'node:worker_threads';

/** One invocation posted to a worker thread. */
export interface Invocation {
  id: number;
  functionName: string;
  event: unknown;
}

/** The worker's answer: the handler's result, or its error as name, message and stack. */
export type InvocationOutcome = { id: number; result: unknown; error?: undefined } | { id: number; error: { name: string; message: string; stack?: string } };

export interface LambdaWorkers {
  /** Runs the named function's handler in the least busy worker thread. */
  invoke(functionName: string, event: unknown): Promise<unknown>;
  close(): Promise<void>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * The product's Lambda handlers in `count` worker threads, as Lambda runs functions apart from Step Functions: the
 * local stack's own thread is left to the Step Functions interpreter and the HTTP servers, and a machine with more
 * cores than one is used. Each thread loads every handler once (its own SDK clients, like a warm Lambda sandbox)
 * and takes the environment as it is when the workers start, so start them after the stack has set it.
 */
export async function startLambdaWorkers(count: number): Promise<LambdaWorkers> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`startLambdaWorkers: count must be a whole number of at least 1, not ${count}`);
  const pending = new Map<number, Pending>();
  const load: number[] = [];
  let nextId = 1;
  let closing = false;
  const workers = Array.from({ length: count }, (_, index) => {
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), { env: { ...process.env } });
    load[index] = 0;
    worker.on('message', (outcome: InvocationOutcome) => {
      const waiting = pending.get(outcome.id);
      if (!waiting) return;
      pending.delete(outcome.id);
      load[index]! -= 1;
      if (outcome.error) waiting.reject(Object.assign(new Error(outcome.error.message), outcome.error));
      else waiting.resolve(outcome.result);
    });
    // A worker that dies takes its invocations with it: they fail as Lambda's own errors would, and the state
    // machines' Retry decides.
    worker.on('error', (error) => {
      if (!closing) console.error(`lambda worker ${index} failed:`, error);
    });
    return worker;
  });
  // Ready when each thread has loaded the handlers (an invocation before that would only queue, but a broken
  // import should fail the start, not the first case).
  await Promise.all(workers.map((worker) => ping(worker)));
  return {
    invoke(functionName, event) {
      let index = 0;
      for (let i = 1; i < workers.length; i++) if (load[i]! < load[index]!) index = i;
      const id = nextId++;
      load[index]! += 1;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        workers[index]!.postMessage({ id, functionName, event } satisfies Invocation);
      });
    },
    async close() {
      closing = true;
      await Promise.all(workers.map((worker) => worker.terminate()));
      for (const [, waiting] of pending) waiting.reject(Object.assign(new Error('the Lambda workers were stopped'), { name: 'Lambda.ServiceException' }));
      pending.clear();
    },
  };
}

function ping(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (outcome: InvocationOutcome) => {
      if (outcome.id !== 0) return;
      worker.off('message', onMessage);
      worker.off('error', reject);
      resolve();
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.postMessage({ id: 0, functionName: '(ping)', event: null } satisfies Invocation);
  });
}
