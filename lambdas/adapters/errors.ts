import { TransientError } from '../core/errors.js';

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  // SQS SendMessage's own throttling error (HTTP 403 in its model, so the status alone does not tell).
  'RequestThrottled',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** AWS SDK errors that are worth retrying become TransientError, which the state machines retry with backoff. */
export function classifyAwsError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const shape = error as SdkErrorShape;
  const status = shape.$metadata?.httpStatusCode ?? 0;
  if (shape.$retryable || status >= 500 || status === 429 || TRANSIENT_NAMES.has(shape.name ?? '') || TRANSIENT_NAMES.has(shape.code ?? '')) {
    const transient = new TransientError(`${shape.name ?? 'Error'}: ${error.message}`);
    transient.cause = error;
    return transient;
  }
  return error;
}
