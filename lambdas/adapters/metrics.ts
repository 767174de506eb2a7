import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { CaseMetric } from '../core/metrics.js';
import { once } from './runtime.js';

/**
 * Business metrics as CloudWatch embedded-metric-format (EMF) lines on stdout, with Powertools for AWS Lambda:
 * Lambda sends stdout to the function's log group and CloudWatch extracts the metrics from it (no PutMetricData
 * call, no permission, no added latency). The namespace and the one dimension, `service`, come from the
 * environment ProcedureFunction sets (POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_SERVICE_NAME = the stack);
 * POWERTOOLS_METRICS_DISABLED=true silences them (the tests). Built on first use, like every adapter, so the
 * environment can be set first.
 */
const metrics = once(() => new Metrics());

/**
 * Counts one business event (value 1, unit Count). The line is written at once, not buffered until the end of
 * the invocation: the fact is already stored, and an invocation that then throws, times out or runs out of
 * memory would lose a buffered metric for good (its retry finds the fact stored and does not count it again).
 */
export function countCase(metric: CaseMetric): void {
  metrics().addMetric(metric, MetricUnit.Count, 1).publishStoredMetrics();
}
