import { caseStore } from '../adapters/case-store.js';
import { outbox } from '../adapters/outbox.js';
import { countCase } from '../adapters/metrics.js';
import { mailConfig, stateMachineHandler } from '../adapters/runtime.js';
import { loadStatusLinks } from '../adapters/signing-keys.js';
import { deliveryEventSchema } from '../core/delivery-events.js';
import { recordDeliveryEvent } from '../services/delivery-events.js';

/**
 * Target of the EventBridge rule on SES's events for the procedure's configuration set (lib/delivery-event-watch.ts):
 * deliveries, bounces, complaints, rejections and delays go on the case they are about.
 */
export const handler = stateMachineHandler('record-delivery-event', deliveryEventSchema, async (event) =>
  recordDeliveryEvent({ store: caseStore(), mailer: outbox(), statusLinks: await loadStatusLinks(), mrpipsEmail: mailConfig().MRPIPS_EMAIL, count: countCase }, event),
);
