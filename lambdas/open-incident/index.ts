import { caseStore } from '../adapters/case-store.js';
import { outbox } from '../adapters/outbox.js';
import { countCase } from '../adapters/metrics.js';
import { once, stateMachineHandler } from '../adapters/runtime.js';
import { loadStatusLinks } from '../adapters/signing-keys.js';
import { incidentConfigSchema, parseConfig } from '../core/config.js';
import { openIncidentEvent } from '../core/events.js';
import { openIncident } from '../services/incidents.js';

const incidentConfig = once(() => parseConfig(incidentConfigSchema, process.env));

/**
 * The incident state of both state machines (waitForTaskToken): an action failed for good, so the case is held
 * for the operator, who retries or cancels it with the operations CLI (lambdas/services/incidents.ts).
 */
export const handler = stateMachineHandler('open-incident', openIncidentEvent, async (input) => {
  const config = incidentConfig();
  return openIncident(
    { store: caseStore(), mailer: outbox(), statusLinks: await loadStatusLinks(), operationsEmail: config.OPERATIONS_EMAIL, maxIncidentsPerCase: config.MAX_INCIDENTS_PER_CASE, count: countCase },
    input,
  );
});
