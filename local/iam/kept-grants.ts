import type { KeptGrant } from './policies.js';

/**
 * Grants no test uses that stay, each with the reason: what needs them on AWS that the local stack does not run.
 * The run's report of unused grants (test/iam/global-setup.ts) names the reason beside each; a grant unused and
 * not listed here should be removed from lib/.
 */
export const KEPT_GRANTS: readonly KeptGrant[] = [];
