import { Aws, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import type { MeridianEnvironment } from '../config';

/** The deployment stage of every regional API: URLs are `https://<id>.execute-api.<region>.<suffix>/v1/...`. */
export const API_STAGE_NAME = 'v1';

/** The deep health check's path, below the stage. */
export const HEALTH_PATH = '/health';

/** Props of {@link RegionalApi}. */
export interface RegionalApiProps {
  /** The environment: names, data protection, the optional custom domain (`config.dns`). */
  readonly config: MeridianEnvironment;
  /**
   * Steady-state requests per second of the stage, for every method.
   * @default 200
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of requests of the stage, for every method.
   * @default 400
   */
  readonly throttlingBurstLimit?: number;
}

/** The functions (their `live` aliases) behind the routes of {@link RegionalApi}. */
export interface RegionalApiRoutes {
  /** orders `api`: `/orders`, `/orders/{id}`, `/orders/{id}/cancel`, `/health`. */
  readonly orders: lambda.IFunction;
  /** inventory `api`: `GET`/`PUT /inventory/{sku}`. */
  readonly inventory: lambda.IFunction;
  /** payments `webhook`: `POST /payments/webhook`. */
  readonly paymentsWebhook: lambda.IFunction;
}

/** An error body in the services' shape (`{ error: { code, message, fields } }`), for gateway-made answers. */
function errorTemplate(code: string, message: string): Record<string, string> {
  return { 'application/json': JSON.stringify({ error: { code, message, fields: [] } }) };
}

/**
 * The region's REST API (regional endpoint): stage `v1` with JSON access logs, execution error logs,
 * X-Ray tracing, detailed metrics and throttling; a request validator; gateway-made errors in the services'
 * error shape; Lambda proxy routes to the `live` aliases (added by {@link addRoutes}); and, when the
 * environment has a DNS zone, a regional dual-stack custom domain with a DNS-validated certificate.
 */
export class RegionalApi extends Construct {
  readonly restApi: apigw.RestApi;
  /** Validates the declared path parameters; bodies are validated (field by field) by the functions. */
  readonly requestValidator: apigw.RequestValidator;
  /** The stage's access log group. */
  readonly accessLogs: logs.LogGroup;
  /** The custom domain (regional, dual-stack: IPv4 and IPv6), when `config.dns` is set. */
  readonly domainName?: apigw.DomainName;
  /** The hosted zone of the custom domain, when `config.dns` is set (imported by id: no lookups). */
  readonly hostedZone?: route53.IHostedZone;

  private routesAdded = false;

  constructor(scope: Construct, id: string, props: RegionalApiProps) {
    super(scope, id);
    const { config } = props;

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const f = apigw.AccessLogField;
    this.restApi = new apigw.RestApi(this, 'Api', {
      restApiName: `${config.prefix}-api`,
      description: `Meridian ${config.name} order API in ${Stack.of(this).region}`,
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      // Access and execution logs need the account's API Gateway CloudWatch role. It is an account-wide
      // setting of the region, shared with other stacks: never delete it with this stack.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: API_STAGE_NAME,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Request and response bodies carry e-mail addresses and payment tokens: never log them.
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttlingRateLimit ?? 200,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 400,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: f.contextRequestId(),
            extendedRequestId: f.contextExtendedRequestId(),
            xrayTraceId: f.contextXrayTraceId(),
            requestTime: f.contextRequestTime(),
            httpMethod: f.contextHttpMethod(),
            resourcePath: f.contextResourcePath(),
            path: f.contextPath(),
            status: f.contextStatus(),
            responseLength: f.contextResponseLength(),
            responseLatency: f.contextResponseLatency(),
            integrationLatency: f.contextIntegrationLatency(),
            integrationStatus: f.contextIntegrationStatus(),
            errorType: f.contextErrorResponseType(),
            errorMessage: f.contextErrorMessage(),
            sourceIp: f.contextIdentitySourceIp(),
            userAgent: f.contextIdentityUserAgent(),
            protocol: f.contextProtocol(),
          }),
        ),
      },
    });

    // The stack declares its own outputs (ApiUrl, HealthUrl); drop the RestApi's automatic duplicate.
    this.restApi.node.tryRemoveChild('Endpoint');

    // Parameters only. Bodies are validated by the functions, which answer with field-level errors
    // (`{ error: { code, message, fields } }`) and the right 400/413/415; a gateway model would answer
    // the same bad body with a coarser error and no field names.
    this.requestValidator = new apigw.RequestValidator(this, 'Validator', {
      restApi: this.restApi,
      requestValidatorName: 'parameters',
      validateRequestBody: false,
      validateRequestParameters: true,
    });
    this.addGatewayResponses();

    if (config.dns) {
      this.hostedZone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
        hostedZoneId: config.dns.hostedZoneId,
        zoneName: config.dns.zoneName,
      });
      const certificate = new acm.Certificate(this, 'Certificate', {
        domainName: config.dns.domainName,
        validation: acm.CertificateValidation.fromDns(this.hostedZone),
      });
      this.domainName = new apigw.DomainName(this, 'Domain', {
        domainName: config.dns.domainName,
        certificate,
        endpointType: apigw.EndpointType.REGIONAL,
        securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      });
      // Dual-stack, so the latency AAAA alias (RegionalDns) answers with addresses that serve the API.
      // DomainName has no prop for the IP address type (CDK 2.276): set it on the L1 resource.
      const cfnDomain = this.domainName.node.defaultChild as apigw.CfnDomainName;
      cfnDomain.endpointConfiguration = {
        ...(cfnDomain.endpointConfiguration as apigw.CfnDomainName.EndpointConfigurationProperty),
        ipAddressType: apigw.IpAddressType.DUAL_STACK,
      };
      this.domainName.addBasePathMapping(this.restApi, { stage: this.restApi.deploymentStage });
    }

    this.acknowledgeNagFindings();
  }

  /** The URL of the API's stage: `https://<id>.execute-api.<region>.<suffix>/v1/`. */
  get url(): string {
    return this.restApi.url;
  }

  /** The URL of the deep health check in this region. */
  get healthUrl(): string {
    return this.restApi.urlForPath(HEALTH_PATH);
  }

  /**
   * The region's own execute-api host name, `<id>.execute-api.<region>.<suffix>`, from the API id alone: it
   * does not depend on the deployment, so functions may reference it without a cycle.
   */
  get executeApiHost(): string {
    return `${this.restApi.restApiId}.execute-api.${Stack.of(this).region}.${Aws.URL_SUFFIX}`;
  }

  /** `https://<execute-api host>/v1<path>`, built from the API id (see {@link executeApiHost}). */
  endpointUrl(path: string): string {
    if (!path.startsWith('/'))
      throw new Error(`RegionalApi.endpointUrl: path must start with "/", got "${path}"`);
    return `https://${this.executeApiHost}/${API_STAGE_NAME}${path}`;
  }

  /** Adds the routes (Lambda proxy integrations) to the functions' aliases; call once. */
  addRoutes(routes: RegionalApiRoutes): void {
    if (this.routesAdded) throw new Error('RegionalApi.addRoutes: the routes were already added');
    this.routesAdded = true;
    const integration = (fn: lambda.IFunction) => new apigw.LambdaIntegration(fn, { allowTestInvoke: false });
    const orders = integration(routes.orders);
    const inventory = integration(routes.inventory);
    const webhook = integration(routes.paymentsWebhook);

    const root = this.restApi.root;
    const ordersResource = root.addResource('orders');
    this.addMethod(ordersResource, 'GET', orders);
    this.addMethod(ordersResource, 'POST', orders);
    const order = ordersResource.addResource('{id}');
    this.addMethod(order, 'GET', orders, { pathParameters: ['id'] });
    this.addMethod(order.addResource('cancel'), 'POST', orders, { pathParameters: ['id'] });
    // Route 53 health checkers call this without credentials.
    this.addMethod(root.addResource(HEALTH_PATH.slice(1)), 'GET', orders);

    const sku = root.addResource('inventory').addResource('{sku}');
    this.addMethod(sku, 'GET', inventory, { pathParameters: ['sku'] });
    this.addMethod(sku, 'PUT', inventory, { pathParameters: ['sku'] });

    // The body is verified against its HMAC signature byte for byte by the function.
    this.addMethod(root.addResource('payments').addResource('webhook'), 'POST', webhook);
  }

  private addMethod(
    resource: apigw.IResource,
    httpMethod: string,
    integration: apigw.Integration,
    options: { pathParameters?: string[] } = {},
  ): apigw.Method {
    const method = resource.addMethod(httpMethod, integration, {
      requestValidator: this.requestValidator,
      requestParameters: Object.fromEntries(
        (options.pathParameters ?? []).map((p) => [`method.request.path.${p}`, true]),
      ),
    });
    const route = `${httpMethod} ${resource.path}`;
    const why =
      route === 'POST /payments/webhook'
        ? 'The payment provider authenticates each webhook with an HMAC-SHA256 signature over the raw body and a timestamp (t=…,v1=…, ±5 min), verified by the webhook function; API Gateway has no HMAC authorizer.'
        : route === `GET ${HEALTH_PATH}`
          ? 'Route 53 health checkers call the health check anonymously; it returns only per-check status and latency, never data.'
          : `${route} is part of the public demo order API, open by design for now; client authentication (Cognito or IAM authorizers, API keys) is future work.`;
    Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason: why });
    Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: why });
    return method;
  }

  /** What API Gateway answers itself keeps the services' error shape, and a client error is never a 5xx. */
  private addGatewayResponses(): void {
    const responses: [string, apigw.ResponseType, string, string, string][] = [
      [
        'BadRequestBody',
        apigw.ResponseType.BAD_REQUEST_BODY,
        '400',
        'VALIDATION_FAILED',
        'request body is not JSON of the documented shape',
      ],
      [
        'BadRequestParameters',
        apigw.ResponseType.BAD_REQUEST_PARAMETERS,
        '400',
        'VALIDATION_FAILED',
        'request parameters are invalid',
      ],
      // Without authorizers, this is what API Gateway answers for an unknown path or method.
      [
        'RouteNotFound',
        apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        '404',
        'ROUTE_NOT_FOUND',
        'no route for this method and path',
      ],
      [
        'RequestTooLarge',
        apigw.ResponseType.REQUEST_TOO_LARGE,
        '413',
        'PAYLOAD_TOO_LARGE',
        'request too large',
      ],
      [
        'UnsupportedMediaType',
        apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE,
        '415',
        'UNSUPPORTED_MEDIA_TYPE',
        'unsupported media type',
      ],
      [
        'Throttled',
        apigw.ResponseType.THROTTLED,
        '429',
        'THROTTLED',
        'too many requests; retry with backoff',
      ],
      ['Default4xx', apigw.ResponseType.DEFAULT_4XX, '', 'REQUEST_REJECTED', 'request rejected'],
      ['Default5xx', apigw.ResponseType.DEFAULT_5XX, '', 'INTERNAL_ERROR', 'internal error'],
    ];
    for (const [id, type, statusCode, code, message] of responses) {
      this.restApi.addGatewayResponse(id, {
        type,
        ...(statusCode && { statusCode }),
        templates: errorTemplate(code, message),
      });
    }
  }

  private acknowledgeNagFindings(): void {
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        'The request validator checks parameters; bodies are validated by the functions (zod), which answer 400/413/415 with field-level errors ({ error: { code, message, fields } }). A gateway body model would reject the same bodies with a coarser message and no field names, and the webhook body must reach its function byte for byte for the HMAC check.',
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL yet: the stage throttles every method (rate and burst) and validates requests; a WAFv2 ACL with rate-based and managed rules comes with client authentication (future work).',
    });
    const cloudWatchRole = this.restApi.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level logging role: the AWS-maintained policy is the documented way to let API Gateway create and write its execution and access log groups.",
      });
    }
  }
}
