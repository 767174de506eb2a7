/**
 * AWS JSON 1.0 transport for the local service: POST / with `X-Amz-Target: AWSStepFunctions.<Operation>`.
 * Errors: HTTP 400 `{"__type":"com.amazonaws.swf.service.model#<Name>","message":"…"}` — the SDK v3 keeps the
 * part after '#' as `err.name`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SfnApiError } from './errors.js';
import type { LocalStepFunctionsService } from './service.js';

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const ERROR_NAMESPACE = 'com.amazonaws.swf.service.model#';
const MAX_BODY = 8 * 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: SfnApiError, requestId: string): void {
  send(res, err.statusCode, { __type: ERROR_NAMESPACE + err.type, message: err.message }, requestId);
}

export function createRequestListener(svc: LocalStepFunctionsService): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const requestId = randomUUID();
    if (req.method !== 'POST') {
      if (req.method === 'GET' && (req.url === '/' || req.url === '/health')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('local AWS Step Functions\n');
        return;
      }
      sendError(res, new SfnApiError('UnknownOperationException', `Method ${req.method} not supported`, 404), requestId);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooLarge) {
        sendError(res, new SfnApiError('ValidationException', 'Request body too large', 413), requestId);
        return;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const dot = target.indexOf('.');
      const service = target.slice(0, dot);
      const operation = target.slice(dot + 1);
      const handler = service === 'AWSStepFunctions' ? svc.operations[operation] : undefined;
      if (!handler) {
        sendError(res, new SfnApiError('UnknownOperationException', `Unknown operation ${target || '(no X-Amz-Target)'}`), requestId);
        return;
      }
      let input: Record<string, unknown>;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
        input = parsed as Record<string, unknown>;
      } catch {
        sendError(res, new SfnApiError('SerializationException', 'Request body is not a JSON object'), requestId);
        return;
      }
      Promise.resolve()
        .then(() => handler(input))
        .then(
          (out) => send(res, 200, out ?? {}, requestId),
          (err: unknown) => {
            if (err instanceof SfnApiError) sendError(res, err, requestId);
            else {
              console.error(`[local-sfn] ${operation} failed:`, err);
              sendError(res, new SfnApiError('InternalFailure', String((err as Error)?.message ?? err), 500), requestId);
            }
          },
        );
    });
  };
}
