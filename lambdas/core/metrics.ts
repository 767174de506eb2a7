/**
 * Business events operations count (CloudWatch metrics emitted by lambdas/adapters/metrics.ts, alarmed on and
 * graphed by lib/operations-monitoring.ts). Each is counted once per fact: a use case counts it right after the
 * write that made the fact true was applied, never on a retried or duplicated invocation that finds it done.
 */
export const CASE_METRICS = ['CaseStarted', 'CaseCompleted', 'CaseStalled', 'CaseFailed', 'IncidentOpened', 'EmailBounced', 'EmailComplained', 'StepUndeliverable', 'EmailSent', 'EmailThrottled'] as const;
export type CaseMetric = (typeof CASE_METRICS)[number];

/** Counts one occurrence of a business event; use cases take it as a dependency. */
export type CountCase = (metric: CaseMetric) => void;

/** The CloudWatch namespace of the business metrics (POWERTOOLS_METRICS_NAMESPACE of every function). */
export const METRICS_NAMESPACE = 'ZmianaSD';
