/**
 * Business events operations count (CloudWatch metrics emitted by lambdas/adapters/metrics.ts, alarmed on and
 * graphed by lib/operations-monitoring.ts). Each is counted once per fact: a use case counts it right after the
 * write that made the fact true was applied, never on a retried or duplicated invocation that finds it done.
 */
export const CASE_METRICS = ['CaseStarted', 'CaseCompleted', 'CaseStalled', 'CaseFailed', 'IncidentOpened', 'EmailBounced', 'EmailComplained', 'StepUndeliverable'] as const;
/** What send-email counts: messages SES accepted, and refusals for the sending rate (each put back on the outbox). */
export const OUTBOX_METRICS = ['EmailSent', 'EmailThrottled'] as const;
export const BUSINESS_METRICS = [...CASE_METRICS, ...OUTBOX_METRICS] as const;
export type CaseMetric = (typeof BUSINESS_METRICS)[number];

/** Counts one occurrence of a business event; use cases take it as a dependency. */
export type CountCase = (metric: CaseMetric) => void;

/** The CloudWatch namespace of the business metrics (POWERTOOLS_METRICS_NAMESPACE of every function). */
export const METRICS_NAMESPACE = 'ZmianaSD';
