import { parentPort } from 'node:worker_threads';
import { LOCAL_FUNCTIONS, type LocalFunction, type LocalFunctionName } from '../functions.js';
import type { Invocation, InvocationOutcome } from './index.js';

/**
 * A Lambda worker thread: runs the product's handlers for the invocations the local stack posts, many at once
 * (each is async), and answers each with its result or its error. Errors cross the thread as name, message and
 * stack, which is what Step Functions' Retry/Catch and the logs see of a Lambda error.
 */
if (!parentPort) throw new Error('local/lambda-workers/serve.ts runs in a worker thread');
const port = parentPort;

port.on('message', (invocation: Invocation) => {
  const handler = LOCAL_FUNCTIONS[invocation.functionName as LocalFunctionName] as LocalFunction | undefined;
  const answer = (outcome: InvocationOutcome) => port.postMessage(outcome);
  if (!handler) return answer({ id: invocation.id, error: { name: 'ResourceNotFoundException', message: `Function not found: ${invocation.functionName}` } });
  handler(invocation.event as never).then(
    (result) => answer({ id: invocation.id, result }),
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      answer({ id: invocation.id, error: { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) } });
    },
  );
});
