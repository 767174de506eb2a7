/**
 * Errors of the local Step Functions service.
 *
 * - {@link SfnApiError}: an error of the AWS Step Functions JSON API (returned as HTTP 400 with `__type`).
 * - {@link TaskError}: the failure of a Task state as seen by Retry/Catch (`name` = Error, `message` = Cause).
 * - {@link UncatchableError}: ends a Task without Retry/Catch being able to intercept it
 *   (`States.Runtime`, cancellation of tasks of a stopped execution).
 */

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

/** Cause of a Lambda function error, formatted like AWS Lambda does. */
export function lambdaErrorCause(err: unknown): { error: string; cause: string } {
  const e = err as { name?: unknown; message?: unknown } | null;
  const errorType = e && typeof e.name === 'string' && e.name ? e.name : 'Error';
  const errorMessage = e && typeof e.message === 'string' ? e.message : String(err);
  return { error: errorType, cause: JSON.stringify({ errorType, errorMessage, trace: [] }) };
}
