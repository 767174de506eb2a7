import { integrationError, LambdaFunctionError } from './stepfunctions/errors.js';
import type { LocalInvocation } from './stepfunctions/index.js';

/**
 * Lambda's limits on a synchronous invocation's payloads ("Invocation payload (request and response)", 6 MB:
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), as Lambda enforces them:
 *   - a request larger than 6,291,456 bytes is refused by Invoke itself (HTTP 413, error code
 *     `RequestEntityTooLargeException`, "Request must be smaller than 6291456 bytes for the InvokeFunction
 *     operation"); the function never runs. The Java SDK Step Functions uses does not model that code, so a task
 *     would fail with `Lambda.AWSLambdaException` (errors.ts `integrationError`); a state machine never gets there,
 *     as its own 256 KiB limit on a task's input fails the task first (States.DataLimitExceeded);
 *   - a response larger than 6,291,556 bytes (the figure Lambda's own message names) is a function error: the
 *     function ran, and the caller gets `{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response
 *     payload size exceeded maximum allowed payload size (6291556 bytes)."}`, so a task fails with Error
 *     `Function.ResponseSizeTooLarge`, which States.ALL and States.TaskFailed catch.
 * Sizes are of the payload's JSON text in UTF-8. Asynchronous invocations (EventBridge's targets, SES's events)
 * have a 1 MB request limit on AWS; their events are far smaller (EventBridge's own limit is 256 KB), so the
 * local stack applies the synchronous limits to every invocation.
 */
export const MAX_REQUEST_BYTES = 6_291_456;
export const MAX_RESPONSE_BYTES = 6_291_556;

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');

/** `handler` behind Lambda's payload limits. */
export function withPayloadLimits<E, R>(handler: (event: E, invocation?: LocalInvocation) => Promise<R>): (event: E, invocation?: LocalInvocation) => Promise<R> {
  return async (event, invocation) => {
    if (bytes(event) > MAX_REQUEST_BYTES) {
      throw integrationError('Lambda', 'AWSLambdaException', `Request must be smaller than ${MAX_REQUEST_BYTES} bytes for the InvokeFunction operation`, { status: 413, code: 'RequestEntityTooLargeException' });
    }
    const result = await handler(event, invocation);
    if (bytes(result) > MAX_RESPONSE_BYTES) {
      throw new LambdaFunctionError({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).` });
    }
    return result;
  };
}
