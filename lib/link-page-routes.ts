import type { ActionName } from './procedure-functions.js';

/**
 * The routes of the link pages, as plain data: CDK's LinkPagesApi (lib/link-pages-api.ts) creates exactly these
 * routes on the HTTP API, and the local pages server (local/pages-server.ts) selects among the same ones the way
 * API Gateway does. Nothing here imports CDK, so the local side can use it as it is.
 */

export interface Throttle {
  /** Requests that may arrive at once (bucket size). */
  readonly burstLimit: number;
  /** Steady requests per second. */
  readonly rateLimit: number;
}

/** Stage default for every route without its own limits. */
export const DEFAULT_THROTTLE: Throttle = { burstLimit: 50, rateLimit: 20 };
/**
 * Posting the notification form creates cases and sends e-mail: it is limited harder at the API (besides
 * the per-address hourly limit notification-form itself applies, NOTIFICATIONS_PER_HOUR_PER_IP).
 */
export const FORM_POST_THROTTLE: Throttle = { burstLimit: 10, rateLimit: 2 };

/** The actions that serve HTTP routes. */
export type PageAction = Extract<ActionName, 'notification-form' | 'confirmation-links' | 'case-status'>;

/** A route's method as HTTP APIs name it (CreateRoute's route key); `ANY` matches every method without a route of its own. */
export type RouteMethod = 'ANY' | 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export interface LinkPageRoute {
  readonly path: string;
  readonly methods: readonly RouteMethod[];
  readonly target: PageAction;
  /** Route-level limits (override the stage default for these route keys). */
  readonly throttle?: Throttle;
}

/**
 * Every page path answers every method (`ANY`): each handler already answers a method it does not serve with its
 * own 405 page (Polish, English with `lang=en`, `Allow` naming what it serves) and HEAD like GET without a body, so
 * that is what a PUT, DELETE, OPTIONS or HEAD gets on AWS too, not API Gateway's bare `{"message":"Not Found"}`
 * (which a path without a route still gets). Such a request is one more invocation, under the stage's throttle.
 *
 * POST on the form's paths (notification-form treats a POST to `/` as a submission too) has a route of its own so
 * the stage can throttle it harder: API Gateway prefers a route naming the method over `ANY`, and route settings
 * apply per route key.
 */
export const LINK_PAGE_ROUTES: readonly LinkPageRoute[] = [
  { path: '/', methods: ['ANY'], target: 'notification-form' },
  { path: '/', methods: ['POST'], target: 'notification-form', throttle: FORM_POST_THROTTLE },
  { path: '/zgloszenie', methods: ['ANY'], target: 'notification-form' },
  { path: '/zgloszenie', methods: ['POST'], target: 'notification-form', throttle: FORM_POST_THROTTLE },
  { path: '/potwierdzenie', methods: ['ANY'], target: 'confirmation-links' },
  { path: '/sprawa', methods: ['ANY'], target: 'case-status' },
];
