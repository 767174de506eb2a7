import type { Role } from './case.js';
import type { StepId, StepResponse } from './steps.js';

/** CANCELLED: the case was cancelled while the step waited; its links no longer act. */
export type StepStatus = 'PENDING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';

/** One instance of a human step (step + round) as stored: who is asked, the current link and task token. */
export interface StepRecord {
  caseId: string;
  stepKey: string;
  step: StepId;
  round: number;
  role: Role;
  recipient: string;
  status: StepStatus;
  /** Only the server reads it; it is removed once the step is completed. */
  taskToken?: string;
  linkIdHash: string;
  linkExpiresAt: number;
  deadline: string;
  remindersSent: number;
  requestedAt: string;
  lastSentAt: string;
  comment?: string | null;
  escalatedAt?: string;
  /** Who handed the step to the current recipient. */
  delegatedBy?: string;
  response?: StepResponse;
  completedAt?: string;
  completedBy?: Participant;
  completedLinkIdHash?: string;
  /** When a waiting step was closed because the case was cancelled. */
  closedAt?: string;
  /** How often the step was handed over through its link page, reassigned by MRPiPS, its link resent (each bounded). */
  handOvers?: number;
  reassignments?: number;
  resends?: number;
  /** The latest hand-over, kept so that a retry can finish its notices and timeline entry (see handOverStep). */
  handOver?: HandOver;
  /**
   * SES reported that mail to this address cannot be delivered (hard bounce, complaint, rejection): no reminder
   * goes to it. It holds only while `recipient` is this address: a hand-over or reassignment lifts it.
   */
  undeliverable?: Undeliverable;
}

export interface Undeliverable {
  recipient: string;
  /** The SES event: `Bounce`, `Complaint`, `Reject`, with its kind (`Permanent/General` …). */
  event: string;
  messageId: string;
  at: string;
}

/** Whether the step's current recipient cannot be reached by e-mail. */
export function recipientUnreachable(step: Pick<StepRecord, 'recipient' | 'undeliverable'>): boolean {
  return step.undeliverable?.recipient === step.recipient;
}

/** Counters of the step item, each bounded by configuration (lambdas/core/config.ts stepLimitsConfigSchema). */
export type StepCounter = 'handOvers' | 'reassignments' | 'resends';

export interface HandOver {
  /** Deterministic from the new link: the timeline entry's id and the notices' mail-once key. */
  id: string;
  /** The link that handed it over (a retry of the same POST comes through it). */
  fromLinkIdHash: string;
  from: string;
  to: string;
  by: { role: Role; email: string };
  at: string;
}

export interface Participant {
  email: string;
  role: Role;
  ip: string;
  userAgent: string;
  linkId: string;
}
