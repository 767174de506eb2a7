/**
 * Errors the state machines and HTTP handlers tell apart. The `name` is what Step Functions sees as the
 * error type (Lambda reports error.name), so Retry/Catch in the ASL match on these names.
 */
export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(message: string, readonly issues: Record<string, string> = {}) {
    super(message);
  }
}

/** A write lost a race or would break a uniqueness rule (for example a collection code already in use). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** A bounded loop has reached its configured bound (hand-overs, reassignments, resends of a step): nothing was written. */
export class LimitReachedError extends ConflictError {
  override name = 'LimitReachedError';
  constructor(message: string, readonly limit: number) {
    super(message);
  }
}

/** The thing looked up does not exist. */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** Throttling, timeouts, 5xx from a dependency: safe to retry (the ASL retries `TransientError` with backoff). */
export class TransientError extends Error {
  override name = 'TransientError';
}

/**
 * SES refused a message because the account's sending rate (or daily quota) is used up. Unlike other transient
 * errors this can last as long as a whole wave of cases takes to drain through the quota (2,791 cases × 14
 * e-mails at the default 14 messages/s is ~47 minutes), so the ASL retries it apart, far longer.
 */
export class SendingRateExceeded extends Error {
  override name = 'SendingRateExceeded';
}
