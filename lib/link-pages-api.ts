import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogField, AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnStage, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type ActionName, pascalCase } from './procedure-functions.js';

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

export interface LinkPageRoute {
  readonly path: string;
  readonly methods: readonly HttpMethod[];
  readonly target: PageAction;
  /** Route-level limits (override the stage default for these route keys). */
  readonly throttle?: Throttle;
}

/** The routes of the link pages (method, path, which function, route-level throttling). */
export const LINK_PAGE_ROUTES: readonly LinkPageRoute[] = [
  { path: '/', methods: [HttpMethod.GET], target: 'notification-form' },
  { path: '/zgloszenie', methods: [HttpMethod.GET], target: 'notification-form' },
  { path: '/zgloszenie', methods: [HttpMethod.POST], target: 'notification-form', throttle: FORM_POST_THROTTLE },
  { path: '/potwierdzenie', methods: [HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST], target: 'confirmation-links' },
  { path: '/sprawa', methods: [HttpMethod.GET, HttpMethod.HEAD], target: 'case-status' },
];

export interface LinkPagesApiProps {
  /** The function behind each page action (see LINK_PAGE_ROUTES). */
  readonly functions: Readonly<Record<PageAction, IFunction>>;
  readonly logRetention: RetentionDays;
  /** @default DEFAULT_THROTTLE */
  readonly throttle?: Throttle;
  /** Routes and their limits. @default LINK_PAGE_ROUTES */
  readonly routes?: readonly LinkPageRoute[];
}

/**
 * Access log line (JSON, HTTP API variables). `routeKey` is logged, not the URL:
 * the query string carries the signed link token and must not reach the logs.
 */
export const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: AccessLogField.contextRequestId(),
    requestTime: AccessLogField.contextRequestTime(),
    sourceIp: AccessLogField.contextIdentitySourceIp(),
    httpMethod: AccessLogField.contextHttpMethod(),
    routeKey: AccessLogField.contextRouteKey(),
    protocol: AccessLogField.contextProtocol(),
    status: AccessLogField.contextStatus(),
    responseLength: AccessLogField.contextResponseLength(),
    integrationStatus: AccessLogField.contextIntegrationStatus(),
    integrationError: AccessLogField.contextIntegrationErrorMessage(),
  }),
);

/**
 * The public pages: the notification form, the signed confirmation links and the read-only case status,
 * as an API Gateway HTTP API (Lambda proxy, payload v2) with a throttled `$default` stage, harder
 * route-level limits where a route asks for them (POST /zgloszenie), and JSON access logs without the
 * query string (see ACCESS_LOG_FORMAT).
 */
export class LinkPagesApi extends Construct {
  public readonly httpApi: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogs: LogGroup;

  public constructor(scope: Construct, id: string, props: LinkPagesApiProps) {
    super(scope, id);
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Zmiana dostawcy SD: notification form, confirmation links and case status',
      createDefaultStage: false,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const throttle = props.throttle ?? DEFAULT_THROTTLE;
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { burstLimit: throttle.burstLimit, rateLimit: throttle.rateLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });

    const integrations = new Map<PageAction, HttpLambdaIntegration>();
    const integrationOf = (target: PageAction) => {
      let integration = integrations.get(target);
      if (!integration) {
        integration = new HttpLambdaIntegration(pascalCase(target), props.functions[target]);
        integrations.set(target, integration);
      }
      return integration;
    };
    const routeSettings: Record<string, { ThrottlingBurstLimit: number; ThrottlingRateLimit: number }> = {};
    for (const route of props.routes ?? LINK_PAGE_ROUTES) {
      const routes = this.httpApi.addRoutes({ path: route.path, methods: [...route.methods], integration: integrationOf(route.target) });
      if (!route.throttle) continue;
      for (const method of route.methods) {
        // A route setting names only what it sets; both limits are given so none falls back to the account's.
        routeSettings[`${method} ${route.path}`] = { ThrottlingBurstLimit: route.throttle.burstLimit, ThrottlingRateLimit: route.throttle.rateLimit };
      }
      // API Gateway refuses route settings for a route key that does not exist yet.
      for (const r of routes) this.stage.node.addDependency(r);
    }
    if (Object.keys(routeSettings).length > 0) (this.stage.node.defaultChild as CfnStage).routeSettings = routeSettings;
  }

  /** https://<api-id>.execute-api.<region>.<suffix> — no trailing slash (the `$default` stage has no path). */
  public get url(): string {
    return this.httpApi.apiEndpoint;
  }
}
