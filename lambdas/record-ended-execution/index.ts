import { caseStore } from '../adapters/case-store.js';
import { outbox } from '../adapters/outbox.js';
import { countCase } from '../adapters/metrics.js';
import { once, stateMachineHandler } from '../adapters/runtime.js';
import { loadStatusLinks } from '../adapters/signing-keys.js';
import { operationsConfigSchema, parseConfig } from '../core/config.js';
import { executionEndedEvent } from '../core/events.js';
import { recordEndedExecution } from '../services/ended-executions.js';

const operationsConfig = once(() => parseConfig(operationsConfigSchema, process.env));

/**
 * Target of the EventBridge rule on the procedure's executions that ended FAILED, TIMED_OUT or ABORTED
 * (lib/ended-execution-watch.ts): no case is left open, and nobody uninformed, by an execution that ended anyway.
 */
export const handler = stateMachineHandler('record-ended-execution', executionEndedEvent, async (ended) =>
  recordEndedExecution({ store: caseStore(), mailer: outbox(), statusLinks: await loadStatusLinks(), operationsEmail: operationsConfig().OPERATIONS_EMAIL, count: countCase }, ended),
);
