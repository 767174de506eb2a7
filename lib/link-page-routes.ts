import { PAGE_SECURITY_HEADERS } from '../lambdas/core/html.js';
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
 * the per-address hourly limit notification-form itself applies, NOTIFICATIONS_PER_HOUR_PER_IP). This bucket is
 * shared by every client; what keeps one client from emptying it is WAF's per-client rate rule in front
 * (lib/link-pages-web-acl.ts, FORM_POST_PATHS below).
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

/** The paths whose POST submits the notification form: what the edge's per-client rate rule counts (lib/link-pages-web-acl.ts). */
export const FORM_POST_PATHS: readonly string[] = LINK_PAGE_ROUTES.filter((route) => route.target === 'notification-form' && route.methods.includes('POST')).map((route) => route.path);

/** The window AWS WAF counts a rate-based rule's requests over (its default, 5 minutes); locally shorter for the tests (local/edge.ts). */
export const FORM_POST_RATE_WINDOW_SECONDS = 300;

/**
 * What WAF answers a client over the form's rate (its custom response): 429 with Retry-After, one page in Polish and
 * English (WAF cannot choose by `lang`), and the pages' security headers (HSTS among them).
 */
export const RATE_LIMITED_ANSWER = {
  status: 429,
  bodyKey: 'form-posts-per-client',
  headers: { ...PAGE_SECURITY_HEADERS, 'retry-after': String(FORM_POST_RATE_WINDOW_SECONDS) },
  body:
    '<!doctype html><html lang="pl"><head><meta charset="utf-8"><meta name="robots" content="noindex, nofollow"><title>Zbyt wiele żądań — Zmiana dostawcy SD</title></head><body>' +
    '<h1>Zbyt wiele żądań</h1><p>Z tego adresu wysłano w krótkim czasie zbyt wiele formularzy. Nic nie zostało zapisane. Prosimy spróbować ponownie za kilka minut.</p>' +
    '<div lang="en"><h2>Too many requests</h2><p>Too many forms have been sent from this address in a short time. Nothing has been saved. Please try again in a few minutes.</p></div>' +
    '</body></html>',
} as const;
