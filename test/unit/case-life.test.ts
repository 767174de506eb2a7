import { describe, expect, it } from 'vitest';
import { ONE_YEAR_SECONDS, RETRY_HORIZON_SECONDS, VERIFICATION_ROUNDS, worstCaseLife } from '../../lambdas/core/case-life.js';
import { STEP_IDS } from '../../lambdas/core/steps.js';
import { stepTimings, type StepTiming } from '../../lambdas/core/timing.js';

const DAY = 86_400;
const week: StepTiming = { responseTimeoutSeconds: 7 * DAY, escalateAfterReminders: 2, stalledAfterReminders: 3, stalledWaitSeconds: 7 * DAY };
const policy = { incidentWaitSeconds: 7 * DAY, maxIncidentsPerCase: 3 };

describe('worstCaseLife', () => {
  it('GIVEN the default schedule THEN every wait of the longest path is counted once, and the case fits in a year with a margin', () => {
    const life = worstCaseLife(stepTimings(week, {}), policy);
    // contact: 3 timeouts; 9 silent steps (2, a, b, b‖c, d ×3, b again ×2) of 3 reminders + the stalled wait
    expect(life.parts.steps).toBe(3 * 7 * DAY + (3 + VERIFICATION_ROUNDS + (VERIFICATION_ROUNDS - 1) + 1) * (3 * 7 + 7) * DAY);
    // each incident: its wait, then the resumed state's longest wait
    expect(life.parts.incidents).toBe(3 * (7 + 7) * DAY);
    expect(life.parts.retries % RETRY_HORIZON_SECONDS).toBe(0);
    expect(life.seconds).toBe(life.parts.steps + life.parts.incidents + life.parts.retries);
    expect(life.seconds).toBeLessThan(ONE_YEAR_SECONDS - 28 * DAY); // four weeks to spare
  });

  it('GIVEN a longer step in one branch of b+c THEN only the longer branch counts', () => {
    const base = worstCaseLife(stepTimings(week, {}), policy);
    const slowMzt = worstCaseLife(stepTimings(week, { MZT_DEACTIVATED: { responseTimeoutSeconds: 14 * DAY } }), policy);
    expect(slowMzt.parts.steps - base.parts.steps).toBe(3 * 7 * DAY);
    // a shorter one changes nothing
    expect(worstCaseLife(stepTimings(week, { MZT_DEACTIVATED: { responseTimeoutSeconds: DAY } }), policy).parts.steps).toBe(base.parts.steps);
  });

  it('GIVEN more incidents or a longer incident wait THEN the life grows by exactly what they may add', () => {
    const base = worstCaseLife(stepTimings(week, {}), policy);
    const more = worstCaseLife(stepTimings(week, {}), { ...policy, maxIncidentsPerCase: 4 });
    expect(more.parts.incidents - base.parts.incidents).toBe((7 + 7) * DAY);
    expect(more.parts.retries - base.parts.retries).toBe(2 * RETRY_HORIZON_SECONDS);
  });

  it('GIVEN the old defaults (4 reminders, a 180-day last link) THEN the worst case is years, which is why they changed', () => {
    const old = worstCaseLife(stepTimings({ ...week, stalledAfterReminders: 4, stalledWaitSeconds: 180 * DAY }, {}), policy);
    expect(old.seconds).toBeGreaterThan(5 * ONE_YEAR_SECONDS);
  });

  it('counts every step of the catalogue that can stall', () => {
    // Each step's own schedule moves the figure: none is left out of the path.
    const base = worstCaseLife(stepTimings(week, {}), policy).parts.steps;
    for (const step of STEP_IDS) {
      const longer = worstCaseLife(stepTimings(week, { [step]: { responseTimeoutSeconds: 8 * DAY } }), policy).parts.steps;
      expect(longer, step).toBeGreaterThan(base);
    }
  });
});
