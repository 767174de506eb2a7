import { handler as applyResponse } from '../lambdas/apply-response/index.js';
import { handler as caseStatus } from '../lambdas/case-status/index.js';
import { handler as changeCollectionStates } from '../lambdas/change-collection-states/index.js';
import { handler as confirmationLinks } from '../lambdas/confirmation-links/index.js';
import { handler as escalateStep } from '../lambdas/escalate-step/index.js';
import { handler as notificationForm } from '../lambdas/notification-form/index.js';
import { handler as openIncident } from '../lambdas/open-incident/index.js';
import { handler as recordDeliveryEvent } from '../lambdas/record-delivery-event/index.js';
import { handler as recordEndedExecution } from '../lambdas/record-ended-execution/index.js';
import { handler as recordFailure } from '../lambdas/record-failure/index.js';
import { handler as registerCase } from '../lambdas/register-case/index.js';
import { handler as requestConfirmation } from '../lambdas/request-confirmation/index.js';
import { handler as sendEmail } from '../lambdas/send-email/index.js';
import { handler as sendNotice } from '../lambdas/send-notice/index.js';

/**
 * Every Lambda function of the product by its name in lib/ (lambdas/<name>/index.ts). The handlers build their
 * SDK clients on first use, so importing them before the local stack has set the environment is safe.
 */
export const LOCAL_FUNCTIONS = {
  'register-case': registerCase,
  'request-confirmation': requestConfirmation,
  'escalate-step': escalateStep,
  'apply-response': applyResponse,
  'change-collection-states': changeCollectionStates,
  'send-notice': sendNotice,
  'open-incident': openIncident,
  'record-failure': recordFailure,
  'record-ended-execution': recordEndedExecution,
  'record-delivery-event': recordDeliveryEvent,
  'send-email': sendEmail,
  'notification-form': notificationForm,
  'confirmation-links': confirmationLinks,
  'case-status': caseStatus,
} as const;

export type LocalFunctionName = keyof typeof LOCAL_FUNCTIONS;
/** A handler as the local runtime calls it (state machine payloads and API Gateway events are plain JSON). */
export type LocalFunction = (event: never) => Promise<unknown>;
