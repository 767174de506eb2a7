import * as z from 'zod';
import { CASE_ID_PATTERN } from './case.js';
import { stepIdSchema } from './steps.js';
import { ENDED_EXECUTION_STATUSES, type EndedExecution } from './ended-execution.js';

/** Payloads the state machines send to the actions (see statemachine/*.asl.json). */
export const caseId = z.string().max(40).regex(CASE_ID_PATTERN, 'case id must look like ZSD-2026-00042');
const round = z.number().int().min(1).max(99);

export const registerCaseEvent = z.object({ caseId, notification: z.unknown(), executionId: z.string().max(2048).optional() });

export const requestConfirmationEvent = z.object({
  caseId,
  step: stepIdSchema,
  round,
  comment: z.string().max(2000).nullable(),
  remindersSent: z.number().int().min(0),
  responseTimeoutSeconds: z.number().int().min(1),
  /** The last link after the final deadline (case STALLED): no more reminders, MRPiPS decides. */
  final: z.boolean().default(false),
  taskToken: z.string().min(1).max(2048),
});

export const escalateStepEvent = z.object({ caseId, step: stepIdSchema, round, remindersSent: z.number().int().min(1), stalled: z.boolean().default(false) });

export const applyResponseEvent = z.object({
  caseId,
  step: stepIdSchema,
  round,
  confirmation: z.object({
    response: z.record(z.string(), z.unknown()),
    participant: z.object({ email: z.string().max(254), role: z.enum(['JST', 'MRPIPS', 'VOIVODESHIP_ADMIN']) }).passthrough(),
    confirmedAt: z.string().max(40),
  }),
});

export const changeCollectionStatesEvent = z.object({ caseId, targetState: z.enum(['ARCHIVED', 'CLOSED']) });

export const NOTICES = ['NOTIFICATION_UNCONFIRMED', 'NOTIFICATION_REGISTERED', 'NOTIFICATION_COLLECTIONS_HELD', 'NOTIFICATION_REJECTED', 'VERIFICATION_ESCALATED', 'CASE_COMPLETED'] as const;
export const sendNoticeEvent = z.object({ caseId, notice: z.enum(NOTICES) });

export const recordFailureEvent = z.object({
  caseId,
  step: z.union([stepIdSchema, z.literal('PROCEDURE')]),
  round: z.number().int().min(0),
  failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).passthrough(),
});

/** The incident state of either state machine (see core/incident.ts). */
export const openIncidentEvent = z.object({
  caseId,
  /** The state name to resume at (ASL state names are at most 80 characters). */
  state: z.string().min(1).max(80),
  failure: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).passthrough(),
  executionId: z.string().min(1).max(2048),
  /** How long the execution waits for the operator (the incident state's TimeoutSecondsPath). */
  waitSeconds: z.number().int().min(1),
  taskToken: z.string().min(1).max(2048),
});

/**
 * The EventBridge event of an execution of the procedure that ended abnormally (the rule in
 * lib/ended-execution-watch.ts lets only those through). The execution's name is the case id.
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
 */
export const executionEndedEvent = z
  .object({
    source: z.literal('aws.states'),
    'detail-type': z.literal('Step Functions Execution Status Change'),
    detail: z.object({
      executionArn: z.string().min(1).max(2048),
      name: caseId,
      status: z.enum(ENDED_EXECUTION_STATUSES),
      stopDate: z.number().int().nonnegative(),
      error: z.string().max(256).nullish(),
      cause: z.string().max(32768).nullish(),
    }),
  })
  .transform(({ detail }): EndedExecution => ({
    caseId: detail.name,
    executionArn: detail.executionArn,
    status: detail.status,
    stopDate: detail.stopDate,
    ...(detail.error ? { error: detail.error } : {}),
    ...(detail.cause ? { cause: detail.cause } : {}),
  }));
