/**
 * Compact execution history: one tuple per event, JSON payloads kept as references (stringified only when
 * GetExecutionHistory asks for them).
 */

/** [type, timestamp ms, details]. Details keys `input`, `output`, `parameters` hold raw JSON values. */
export type HistoryEvent = [type: string, ts: number, details?: Record<string, unknown>];

const RAW_JSON_KEYS = new Set(['input', 'output', 'parameters']);

const DETAILS_KEY: Record<string, string> = {
  ExecutionStarted: 'executionStartedEventDetails',
  ExecutionSucceeded: 'executionSucceededEventDetails',
  ExecutionFailed: 'executionFailedEventDetails',
  ExecutionAborted: 'executionAbortedEventDetails',
  ExecutionTimedOut: 'executionTimedOutEventDetails',
  TaskScheduled: 'taskScheduledEventDetails',
  TaskStarted: 'taskStartedEventDetails',
  TaskSubmitted: 'taskSubmittedEventDetails',
  TaskSucceeded: 'taskSucceededEventDetails',
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  LambdaFunctionScheduled: 'lambdaFunctionScheduledEventDetails',
  LambdaFunctionSucceeded: 'lambdaFunctionSucceededEventDetails',
  LambdaFunctionFailed: 'lambdaFunctionFailedEventDetails',
  LambdaFunctionTimedOut: 'lambdaFunctionTimedOutEventDetails',
  MapIterationStarted: 'mapIterationStartedEventDetails',
  MapIterationSucceeded: 'mapIterationSucceededEventDetails',
  MapIterationFailed: 'mapIterationFailedEventDetails',
  MapStateStarted: 'mapStateStartedEventDetails',
};

function detailsKey(type: string): string | undefined {
  const k = DETAILS_KEY[type];
  if (k) return k;
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return undefined;
}

function stringify(v: unknown): string {
  return v === undefined ? 'null' : JSON.stringify(v);
}

/** Render one stored event as an AWS HistoryEvent (JSON API shape, timestamp in epoch seconds). */
export function renderEvent(ev: HistoryEvent, id: number, includeData: boolean): Record<string, unknown> {
  const [type, ts, details] = ev;
  const out: Record<string, unknown> = { id, previousEventId: id - 1, timestamp: ts / 1000, type };
  const key = detailsKey(type);
  if (key) {
    const d: Record<string, unknown> = {};
    if (details) {
      for (const [k, v] of Object.entries(details)) {
        if (v === undefined) continue;
        if (RAW_JSON_KEYS.has(k)) {
          if (!includeData) continue;
          d[k] = stringify(v);
          if (k !== 'parameters') d[`${k}Details`] = { truncated: false };
        } else {
          d[k] = v;
        }
      }
    }
    out[key] = d;
  }
  return out;
}
