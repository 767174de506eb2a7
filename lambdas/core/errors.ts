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
 * SES refused a message because the account's sending rate (or daily quota) is used up: send-email puts it back
 * on the outbox with a delay (services/outbox-sender.ts).
 */
export class SendingRateExceeded extends Error {
  override name = 'SendingRateExceeded';
}

/**
 * The case has had as many incidents as configured (MAX_INCIDENTS_PER_CASE): a failure that keeps coming back is
 * not retried forever. The incident state's Catch sends it to "Record failure" (status FAILED, alarmed).
 */
export class IncidentLimitReached extends Error {
  override name = 'IncidentLimitReached';
}

/*
 * SES refused a message for a reason that retrying cannot change soon (send-email, services/outbox-sender.ts): a
 * rejected message is a delivery failure on its case; a paused account or a denied send leaves the mail on the
 * outbox until an operator acts. Each message names the recipients and SES's reason, never the message itself
 * (its links carry tokens).
 */

/** SES rejected the message (MessageRejected): typically an address it will not send to, e.g. unverified in SES's sandbox. */
export class EmailRejected extends Error {
  override name = 'EmailRejected';
}

/** Sending is paused for the whole SES account (AccountSendingPausedException): by AWS for its reputation, or by an operator. */
export class SendingPaused extends Error {
  override name = 'SendingPaused';
}

/** The function may not send as the sender identity (AccessDenied): its IAM role or the identity's sending policy. */
export class SesAccessDenied extends Error {
  override name = 'SesAccessDenied';
}
