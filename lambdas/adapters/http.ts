import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { viewerOf } from '../core/edge.js';
import { ValidationError } from '../core/errors.js';
import { MAX_FORM_BYTES, parseFormBody } from '../core/form.js';
import { langOf, type Lang } from '../core/i18n.js';
import { log } from '../core/log.js';
import { messagePage, type PageResponse } from '../core/pages.js';
import { loadOriginSecret } from './origin-secret.js';

/** The parts of an HTTP API (payload 2.0) request the link pages use. */
export interface PageRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  rawQuery: string;
  body: string;
  /**
   * The viewer's IP as CloudFront forwards it (CloudFront-Viewer-Address, port dropped), what per-client limits
   * count; set by pageHandler once the request is verified to come through CloudFront. Never
   * requestContext.http.sourceIp: behind CloudFront that is an edge server's address, shared by many clients.
   */
  ip: string;
  userAgent: string;
  /** `Origin` and `Sec-Fetch-Site`, which tell a cross-site form post (absent from older clients). */
  origin?: string;
  fetchSite?: string;
}

export function toPageRequest(event: APIGatewayProxyEventV2): PageRequest {
  const rawQuery = event.rawQueryString ?? '';
  const query: Record<string, string> = {};
  // Repeated parameters are not merged (API Gateway would join them with commas): the first one counts.
  for (const [name, value] of new URLSearchParams(rawQuery)) if (!Object.hasOwn(query, name)) query[name] = value;
  const raw = event.body ?? '';
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    query,
    rawQuery,
    body: event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw,
    ip: '',
    userAgent: (event.requestContext.http.userAgent ?? '').slice(0, 300),
    origin: event.headers?.origin,
    fetchSite: event.headers?.['sec-fetch-site'],
  };
}

export function formOf(request: PageRequest): Record<string, string> {
  return parseFormBody(request.body);
}

export function toHttpResult(request: PageRequest, page: PageResponse): APIGatewayProxyStructuredResultV2 {
  return { statusCode: page.statusCode, headers: page.headers, body: request.method === 'HEAD' ? '' : page.body };
}

/** The language of the page a request asks for: `lang=en` in the query, otherwise Polish. */
export function langOfRequest(request: Pick<PageRequest, 'query'>): Lang {
  return langOf(request.query);
}

const NOT_THROUGH_EDGE = 'Żądanie nie zostało przyjęte: strony procedury są dostępne wyłącznie pod adresem podanym w wiadomości e-mail. Nic nie zostało zapisane.';

/**
 * Runs a page handler, only for requests that came through CloudFront: one without the origin-verification header's
 * secret value or the viewer's address (sent straight to the API's own endpoint) gets a 403 page before the handler
 * runs. Bad bodies are a 400/413 page, anything unexpected a 500/503 page (Polish, or English
 * with `lang=en`; logged without personal data); the raw error never reaches the participant.
 */
export function pageHandler(action: string, handle: (request: PageRequest) => Promise<PageResponse>) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const request = toPageRequest(event);
    const lang = langOfRequest(request);
    try {
      const ip = viewerOf(event.headers ?? {}, await loadOriginSecret());
      if (ip === undefined) return toHttpResult(request, messagePage(403, 'Dostęp zabroniony', NOT_THROUGH_EDGE, lang, request.rawQuery));
      return toHttpResult(request, await handle({ ...request, ip }));
    } catch (error) {
      if (error instanceof ValidationError) {
        const tooLarge = Buffer.byteLength(request.body) > MAX_FORM_BYTES;
        return toHttpResult(request, messagePage(tooLarge ? 413 : 400, 'Nieprawidłowe dane', error.message, lang, request.rawQuery));
      }
      const err = error instanceof Error ? error : new Error(String(error));
      log.error('page failed', { action, method: request.method, path: request.path, error: err.name, reason: err.message });
      return toHttpResult(
        request,
        messagePage(503, 'Chwilowy problem', 'Nie udało się teraz obsłużyć żądania. Nic nie zostało zapisane — spróbuj ponownie za kilka minut.', lang, request.rawQuery),
      );
    }
  };
}

export function methodNotAllowed(allowed: string[], lang: Lang = 'pl', query = ''): PageResponse {
  const page = messagePage(405, 'Niedozwolona metoda', 'Ta strona nie obsługuje takiego żądania.', lang, query);
  return { ...page, headers: { ...page.headers, allow: allowed.join(', ') } };
}
