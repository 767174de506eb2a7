import { SENDER_TIMEOUT_SECONDS } from '../lambdas/core/outbox.js';
import type { ActionName } from './procedure-functions.js';

/**
 * How long each function may run, in seconds (Lambda's `Timeout`). The one source for both sides: ProcedureFunctions
 * deploys it, and the local stack enforces it (local/lambda-timeouts.ts), so an overrun fails locally the way it
 * fails on AWS. Plain data without CDK imports: the local stack reads it without loading CDK.
 */
export const FUNCTION_TIMEOUT_SECONDS: Readonly<Record<ActionName, number>> = {
  'register-case': 30,
  'request-confirmation': 30,
  'escalate-step': 30,
  'apply-response': 30,
  'change-collection-states': 30,
  'send-notice': 30,
  'open-incident': 30,
  'record-failure': 30,
  'record-ended-execution': 30,
  'record-delivery-event': 30,
  // Long enough for a batch at the sender's share of the sending rate (core/outbox.ts senderSettings).
  'send-email': SENDER_TIMEOUT_SECONDS,
  'notification-form': 30,
  'confirmation-links': 30,
  'case-status': 30,
};
