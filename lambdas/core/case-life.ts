import type { StepId } from './steps.js';
import type { StepTiming } from './timing.js';

/**
 * The longest a case can live, from its configuration: a Standard execution ends after one year (it times out and
 * nothing after that runs, so the case would never be marked), so a configuration that could pass it is refused
 * at synth (lib/config.ts). Worst case, every wait is waited out in full, along the longest path of
 * statemachine/procedure.asl.json:
 *  - the contact confirmation (lapses after `escalateAfterReminders + 1` response timeouts);
 *  - every other human step: reminders up to `stalledAfterReminders`, then the stalled wait (the last link);
 *    steps AGREE_VARIANT, NEW_COLLECTIONS, OLD_SD_DEACTIVATED, the longer of NEW_SD_FEEDING ‖ MZT_DEACTIVATED,
 *    VERIFY_COLLECTIONS in every round, and NEW_SD_FEEDING again in every round but the first;
 *  - hand-overs, resends and reassignments add nothing: they keep the step's task and deadline;
 *  - every incident the case may have: the operator's wait, then the resumed state waits again at most the
 *    longest single wait of any step;
 *  - every action's retries at their longest (RETRY_HORIZON_SECONDS each, the ASL's longest retrier, asserted by
 *    test/statemachine), over every action the path runs.
 */
export const VERIFICATION_ROUNDS = 3;

/**
 * The longest one action can take with its retries: the ASL's retriers of a task (transient errors: 6 retries
 * at most 120 s apart), each attempt running up to the function's timeout — under 20 minutes, rounded up to 30;
 * test/statemachine checks every task of the ASL against this bound. (No action waits for SES's quota: e-mail
 * goes through the outbox, core/outbox.ts.)
 */
export const RETRY_HORIZON_SECONDS = 30 * 60;

/** Actions of the parent on the longest path (register … inform), besides the steps' own. */
const PARENT_ACTIONS_ON_LONGEST_PATH = 15;

export const ONE_YEAR_SECONDS = 365 * 86_400;

export interface IncidentPolicy {
  incidentWaitSeconds: number;
  maxIncidentsPerCase: number;
}

export interface CaseLife {
  seconds: number;
  /** What each part contributes, seconds (for the message that names the keys). */
  parts: { steps: number; incidents: number; retries: number };
}

const silentStep = (t: StepTiming) => t.stalledAfterReminders * t.responseTimeoutSeconds + t.stalledWaitSeconds;
/** Request, reminders, escalation, the stall notice and the last link: the actions of one step's child. */
const stepActions = (t: StepTiming) => t.stalledAfterReminders + 4;

export function worstCaseLife(timings: Readonly<Record<StepId, StepTiming>>, policy: IncidentPolicy): CaseLife {
  const contact = timings.CONFIRM_CONTACT;
  const longestBranch = silentStep(timings.NEW_SD_FEEDING) >= silentStep(timings.MZT_DEACTIVATED) ? 'NEW_SD_FEEDING' : 'MZT_DEACTIVATED';
  const path: StepId[] = [
    'AGREE_VARIANT',
    'NEW_COLLECTIONS',
    'OLD_SD_DEACTIVATED',
    longestBranch,
    ...Array<StepId>(VERIFICATION_ROUNDS).fill('VERIFY_COLLECTIONS'),
    ...Array<StepId>(VERIFICATION_ROUNDS - 1).fill('NEW_SD_FEEDING'),
  ];
  const steps = (contact.escalateAfterReminders + 1) * contact.responseTimeoutSeconds + path.reduce((sum, step) => sum + silentStep(timings[step]), 0);
  const longestWait = Math.max(...Object.values(timings).flatMap((t) => [t.responseTimeoutSeconds, t.stalledWaitSeconds]));
  const incidents = policy.maxIncidentsPerCase * (policy.incidentWaitSeconds + longestWait);
  const actions =
    PARENT_ACTIONS_ON_LONGEST_PATH +
    contact.escalateAfterReminders + 1 +
    path.reduce((sum, step) => sum + stepActions(timings[step]), 0) +
    2 * policy.maxIncidentsPerCase;
  const retries = actions * RETRY_HORIZON_SECONDS;
  return { seconds: steps + incidents + retries, parts: { steps, incidents, retries } };
}
