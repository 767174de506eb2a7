import { randomUUID } from 'node:crypto';
import { LambdaFunctionError, type LambdaErrorPayload } from './stepfunctions/errors.js';
import type { LocalInvocation } from './stepfunctions/index.js';

/**
 * Each function's timeout (lib/function-timeouts.ts, or the local override LAMBDA_TIMEOUTS) enforced the way Lambda
 * does: when it passes, the invocation fails with the payload Lambda answers for a timed-out function, and
 * whatever the handler returns later is thrown away. Step Functions turns that payload into the task's Error and
 * Cause (local/stepfunctions/errors.ts `functionErrorOf`):
 *   - 'Sandbox.Timedout' (default): current runtimes answer
 *     `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: <id> Error: Task timed out after 30.00 seconds"}`
 *     (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html#troubleshooting-timeouts),
 *     so the task fails with Error `Sandbox.Timedout` and that JSON as Cause;
 *   - 'Lambda.Unknown': older runtimes answer `{"errorMessage":"<time> <id> Task timed out after 30.00 seconds"}`
 *     without a type, which Step Functions reports as `Lambda.Unknown` ("Unhandled errors in Lambda are reported
 *     as Lambda.Unknown … These include out-of-memory errors and function timeouts",
 *     https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
 * An ASL that must survive both lists both.
 *
 * Unlike AWS, the handler is not stopped: on a timeout AWS resets the execution environment (the runtime is shut
 * down, and the next invocation starts with a new Init; "Failures during the invoke phase",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html), so at most requests already sent
 * land; here the handler's promise runs on and its late writes and e-mails still happen (a harsher world). What
 * the local stack can stop, it does: the result never reaches the caller, and an invocation held by the fault
 * layer past its timeout is dropped before it runs (`invocation.signal`, local/faults.ts).
 */
export type LambdaTimeoutError = 'Sandbox.Timedout' | 'Lambda.Unknown';

/** What Lambda answers for an invocation that ran out of time. */
export function timedOutPayload(seconds: number, style: LambdaTimeoutError): LambdaErrorPayload {
  const after = `Task timed out after ${seconds.toFixed(2)} seconds`;
  const requestId = randomUUID();
  if (style === 'Lambda.Unknown') return { errorMessage: `${new Date().toISOString()} ${requestId} ${after}` };
  return { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${requestId} Error: ${after}` };
}

/** `handler` with Lambda's time limit: after `seconds` its invocation fails as a timed-out one, whatever it does later. */
export function withTimeout<E, R>(handler: (event: E, invocation: LocalInvocation) => Promise<R>, seconds: number, style: LambdaTimeoutError): (event: E) => Promise<R> {
  return (event) => {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new LambdaFunctionError(timedOutPayload(seconds, style)));
      }, seconds * 1000);
    });
    const run = handler(event, { signal: controller.signal });
    // A late failure has no one left to tell.
    run.catch(() => undefined);
    return Promise.race([run, timedOut]).finally(() => clearTimeout(timer));
  };
}
