/**
 * Errors of the local Step Functions service.
 *
 * - {@link SfnApiError}: an error of the AWS Step Functions JSON API (returned as HTTP 400 with `__type`).
 * - {@link TaskError}: the failure of a Task state as seen by Retry/Catch (`name` = Error, `message` = Cause).
 * - {@link UncatchableError}: ends a Task without Retry/Catch being able to intercept it
 *   (`States.Runtime`, cancellation of tasks of a stopped execution).
 * - {@link LambdaFunctionError}: a local function failed the way Lambda reports it (timeout, out of memory).
 */
import { randomUUID } from 'node:crypto';

export type SfnErrorType =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'ExecutionLimitExceeded'
  | 'InvalidArn'
  | 'InvalidExecutionInput'
  | 'InvalidName'
  | 'InvalidOutput'
  | 'InvalidToken'
  | 'StateMachineDoesNotExist'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'ValidationException'
  | 'UnknownOperationException'
  | 'SerializationException'
  | 'InternalFailure';

export class SfnApiError extends Error {
  constructor(
    readonly type: SfnErrorType,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/**
 * The failure of a Task. aws-local-stepfunctions matches Retry/Catch `ErrorEquals` against `name`
 * and puts `message` into the Catch output as `Cause`.
 */
export class TaskError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/**
 * An error that neither Retry nor Catch may intercept: aws-local-stepfunctions reads the duck-typed
 * `isRetryable` / `isCatchable` getters of its RuntimeError.
 */
export class UncatchableError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
  get isRetryable(): boolean {
    return false;
  }
  get isCatchable(): boolean {
    return false;
  }
}

/**
 * What Lambda's Invoke answers when the function fails (`X-Amz-Function-Error: Unhandled`): the payload the runtime
 * returned. A handler's exception has `errorType` (its name); a runtime that dies (timeout, out of memory) answers
 * with a payload of its own, which may have none.
 */
export interface LambdaErrorPayload {
  errorType?: string;
  errorMessage: string;
  trace?: string[];
}

/** The function failed: Lambda answered with this payload. Thrown by local handlers' wrappers (timeout, fault layer). */
export class LambdaFunctionError extends Error {
  constructor(readonly payload: LambdaErrorPayload) {
    super(payload.errorMessage);
    this.name = payload.errorType ?? 'LambdaFunctionError';
  }
}

/**
 * Error and Cause of a lambda:invoke task whose function failed, as Step Functions derives them from the payload:
 * Error = `errorType`, Cause = the payload's JSON; a payload without `errorType` is `Lambda.Unknown` with the
 * payload quoted in the Cause ("Unhandled errors in Lambda are reported as Lambda.Unknown",
 * https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html; the Cause's wording is
 * what AWS writes into the execution history).
 */
export function functionErrorOf(payload: LambdaErrorPayload): { error: string; cause: string } {
  if (!payload.errorType) {
    return { error: 'Lambda.Unknown', cause: `The cause could not be determined because Lambda did not return an error type. Returned payload: ${JSON.stringify(payload)}` };
  }
  return { error: payload.errorType, cause: JSON.stringify(payload) };
}

/** Cause of a Lambda function error, formatted like AWS Lambda's Node.js runtime does for an exception. */
export function lambdaErrorCause(err: unknown): { error: string; cause: string } {
  if (err instanceof LambdaFunctionError) return functionErrorOf(err.payload);
  const e = err as { name?: unknown; message?: unknown } | null;
  const errorType = e && typeof e.name === 'string' && e.name ? e.name : 'Error';
  const errorMessage = e && typeof e.message === 'string' ? e.message : String(err);
  return functionErrorOf({ errorType, errorMessage, trace: [] });
}

/**
 * The failure of a service integration's own call (Lambda Invoke, StartExecution), as Step Functions reports it:
 * Error = `<Service>.<the AWS SDK for Java exception class>` (a code the SDK does not model becomes the service's base
 * class: `Lambda.AWSLambdaException`, `StepFunctions.AWSStepFunctionsException`), Cause = the SDK's message with its
 * `(Service: …; Status Code: …; Error Code: …; Request ID: …; Proxy: null)` suffix; an error of the client itself
 * (no HTTP answer: `SdkClientException`, `ClientExecutionTimeoutException`) is only its message. Shape as recorded
 * against AWS: localstack's tests/aws/services/stepfunctions/v2/error_handling/test_task_service_{lambda,sfn}.snapshot.json.
 */
export function integrationError(service: 'Lambda' | 'StepFunctions', exception: string, message: string, http?: { status: number; code: string }): TaskError {
  const sdkService = service === 'Lambda' ? 'AWSLambda' : 'AWSStepFunctions';
  const cause = http ? `${message} (Service: ${sdkService}; Status Code: ${http.status}; Error Code: ${http.code}; Request ID: ${randomUUID()}; Proxy: null)` : message;
  return new TaskError(`${service}.${exception}`, cause);
}
