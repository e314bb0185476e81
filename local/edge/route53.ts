import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { HEALTH_CHECK_TAGS } from '../../services/shared/route53-health';
import type { HealthCheckUpdate, HealthObservation, RegionHealthCheck } from './health';
import { node, parseXml, XmlSyntaxError, xmlDocument, type XmlElement, type XmlNode } from './xml';

/** The Route 53 API's XML namespace. */
export const ROUTE53_NAMESPACE = 'https://route53.amazonaws.com/doc/2013-04-01/';
/** The API version prefix every Route 53 path starts with. */
export const ROUTE53_PREFIX = '/2013-04-01/';

const MAX_BODY_BYTES = 64 * 1024;
/** ListTagsForResources takes 1 to 10 ids of at most 64 characters (Route 53's limits). */
export const MAX_TAGGED_RESOURCE_IDS = 10;
const MAX_RESOURCE_ID_LENGTH = 64;

/** What the Route 53 endpoint needs from the edge. */
export interface Route53Backend {
  /** The checks, in region order. */
  checks(): readonly RegionHealthCheck[];
  /** The nominal RequestInterval reported in HealthCheckConfig (10 or 30 in AWS). */
  readonly intervalSeconds: number;
  /** The location reported as the checker's Region in observations (the edge's own location). */
  readonly checkerRegion: string;
  /** The environment's resource prefix (e.g. `meridian-local`): each check's `meridian:environment` tag. */
  readonly environment: string;
}

/** One Route 53 tag. */
export interface Route53Tag {
  readonly key: string;
  readonly value: string;
}

/**
 * The tags of a region's health check, as lib/regional/dns.ts puts them on the real one: the environment's
 * prefix and the region the check probes. Functions find their peers' checks by these.
 */
export function healthCheckTags(environment: string, region: string): readonly Route53Tag[] {
  return [
    { key: HEALTH_CHECK_TAGS.environment, value: environment },
    { key: HEALTH_CHECK_TAGS.region, value: region },
  ];
}

/** A Route 53 error: HTTP status, error code, who is at fault. */
export class Route53Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = 'Route53Error';
  }
}

const invalidInput = (message: string): Route53Error => new Route53Error(400, 'InvalidInput', message);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(invalidInput(`The request body is larger than ${MAX_BODY_BYTES} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
      failed = true;
    });
  });
}

function healthCheckConfig(check: RegionHealthCheck, intervalSeconds: number): XmlNode[] {
  const url = check.url;
  const https = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : https ? 443 : 80;
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return [
    isIP(host) ? node('IPAddress', host) : undefined,
    node('Port', port),
    node('Type', https ? 'HTTPS' : 'HTTP'),
    node('ResourcePath', `${url.pathname}${url.search}`),
    isIP(host) ? undefined : node('FullyQualifiedDomainName', host),
    node('RequestInterval', intervalSeconds),
    node('FailureThreshold', check.failureThreshold),
    node('MeasureLatency', true),
    node('Inverted', check.inverted),
    node('Disabled', check.disabled),
    node('EnableSNI', https),
  ].filter((n): n is XmlNode => n !== undefined);
}

function healthCheckNode(check: RegionHealthCheck, intervalSeconds: number): XmlNode {
  return node('HealthCheck', [
    node('Id', check.id),
    // The region the check belongs to: CallerReference is the linkage clients use.
    node('CallerReference', check.region),
    node('HealthCheckConfig', healthCheckConfig(check, intervalSeconds)),
    node('HealthCheckVersion', check.version),
  ]);
}

function observationsNode(checkerRegion: string, observation: HealthObservation | undefined): XmlNode {
  return node(
    'HealthCheckObservations',
    observation
      ? [
          node('HealthCheckObservation', [
            node('Region', checkerRegion),
            node('IPAddress', '127.0.0.1'),
            node('StatusReport', [
              node('Status', observation.report),
              node('CheckedTime', new Date(observation.at).toISOString()),
            ]),
          ]),
        ]
      : [],
  );
}

function parseBoolean(field: string, text: string): boolean {
  const t = text.trim();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw invalidInput(`${field} must be true or false (got '${t.slice(0, 40)}').`);
}

function parseInteger(field: string, text: string, min: number, max: number): number {
  const t = text.trim();
  const n = /^[+-]?\d{1,16}$/.test(t) ? Number(t) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw invalidInput(`${field} must be an integer from ${min} to ${max} (got '${t.slice(0, 40)}').`);
  }
  return n;
}

// Valid UpdateHealthCheck fields the local edge does not let callers change: its checks follow the
// regions' addresses, set by the runtime.
const FIXED_FIELDS = new Set([
  'IPAddress',
  'Port',
  'ResourcePath',
  'FullyQualifiedDomainName',
  'SearchString',
  'HealthThreshold',
  'ChildHealthChecks',
  'EnableSNI',
  'Regions',
  'AlarmIdentifier',
  'InsufficientDataHealthStatus',
  'ResetElements',
]);

/** A request body's XML document, whose root must be `rootName`; InvalidInput otherwise. */
function requestDocument(body: string, rootName: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(body);
  } catch (err) {
    if (err instanceof XmlSyntaxError) throw invalidInput(`Invalid XML: ${err.message}.`);
    throw err;
  }
  if (root.name !== rootName) {
    throw invalidInput(`Expected the root element ${rootName}, got ${root.name}.`);
  }
  return root;
}

/** Parses an UpdateHealthCheckRequest document into the expected version and the change. */
export function parseUpdateHealthCheck(body: string): { version?: number; change: HealthCheckUpdate } {
  const root = requestDocument(body, 'UpdateHealthCheckRequest');
  const seen = new Set<string>();
  let version: number | undefined;
  const change: { -readonly [K in keyof HealthCheckUpdate]: HealthCheckUpdate[K] } = {};
  for (const child of root.children) {
    if (seen.has(child.name)) throw invalidInput(`${child.name} appears more than once.`);
    seen.add(child.name);
    switch (child.name) {
      case 'HealthCheckVersion':
        version = parseInteger('HealthCheckVersion', child.text, 1, Number.MAX_SAFE_INTEGER);
        break;
      case 'FailureThreshold':
        change.failureThreshold = parseInteger('FailureThreshold', child.text, 1, 10);
        break;
      case 'Inverted':
        change.inverted = parseBoolean('Inverted', child.text);
        break;
      case 'Disabled':
        change.disabled = parseBoolean('Disabled', child.text);
        break;
      default:
        if (FIXED_FIELDS.has(child.name)) {
          throw invalidInput(
            `${child.name} cannot be changed on the local edge: its health checks follow the regions' addresses (Inverted, Disabled, FailureThreshold and HealthCheckVersion can be set).`,
          );
        }
        throw invalidInput(`Unexpected element ${child.name} in UpdateHealthCheckRequest.`);
    }
  }
  return { version, change };
}

/** Parses a ListTagsForResourcesRequest document into its resource ids (1 to 10, in request order). */
export function parseListTagsForResources(body: string): string[] {
  const root = requestDocument(body, 'ListTagsForResourcesRequest');
  let list: XmlElement | undefined;
  for (const child of root.children) {
    if (child.name !== 'ResourceIds') {
      throw invalidInput(`Unexpected element ${child.name} in ListTagsForResourcesRequest.`);
    }
    if (list) throw invalidInput('ResourceIds appears more than once.');
    list = child;
  }
  if (!list) throw invalidInput('ResourceIds is required.');
  const ids = list.children.map((child) => {
    if (child.name !== 'ResourceId') throw invalidInput(`Unexpected element ${child.name} in ResourceIds.`);
    const id = child.text.trim();
    if (id === '') throw invalidInput('ResourceId must not be empty.');
    if (id.length > MAX_RESOURCE_ID_LENGTH) {
      throw invalidInput(`ResourceId must be at most ${MAX_RESOURCE_ID_LENGTH} characters long.`);
    }
    return id;
  });
  if (ids.length < 1 || ids.length > MAX_TAGGED_RESOURCE_IDS) {
    throw invalidInput(
      `ResourceIds must list from 1 to ${MAX_TAGGED_RESOURCE_IDS} ResourceId elements (got ${ids.length}).`,
    );
  }
  return ids;
}

function resourceTagSetNode(check: RegionHealthCheck, environment: string): XmlNode {
  return node('ResourceTagSet', [
    node('ResourceType', 'healthcheck'),
    node('ResourceId', check.id),
    node(
      'Tags',
      healthCheckTags(environment, check.region).map((t) =>
        node('Tag', [node('Key', t.key), node('Value', t.value)]),
      ),
    ),
  ]);
}

function send(res: ServerResponse, status: number, requestId: string, xml: string): void {
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(xml),
    'x-amzn-requestid': requestId,
  });
  res.end(xml);
}

function sendError(res: ServerResponse, requestId: string, err: Route53Error): void {
  const xml = xmlDocument('ErrorResponse', ROUTE53_NAMESPACE, [
    node('Error', [node('Type', err.type), node('Code', err.code), node('Message', err.message)]),
    node('RequestId', requestId),
  ]);
  send(res, err.status, requestId, xml);
}

/** The operations the local endpoint serves, for the error that names an unserved one. */
const SERVED_OPERATIONS =
  'ListHealthChecks, GetHealthCheck, GetHealthCheckCount, GetHealthCheckStatus, GetHealthCheckLastFailureReason, UpdateHealthCheck, ListTagsForResource and ListTagsForResources';

/**
 * The Route 53 REST-XML subset on the edge's port: ListHealthChecks, GetHealthCheck,
 * GetHealthCheckStatus, GetHealthCheckLastFailureReason, GetHealthCheckCount, UpdateHealthCheck, and
 * ListTagsForResource(s) for health checks. Requests are not authenticated (any SigV4 signature, or
 * none, is accepted).
 */
export function route53Handler(
  backend: Route53Backend,
  log?: (line: string) => void,
): (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => Promise<void> {
  const decode = (raw: string, what: string): string => {
    try {
      return decodeURIComponent(raw);
    } catch {
      throw invalidInput(`The ${what} is not valid percent-encoding.`);
    }
  };
  const findById = (id: string): RegionHealthCheck => {
    const check = backend.checks().find((c) => c.id === id);
    if (!check) throw new Route53Error(404, 'NoSuchHealthCheck', `No health check exists with the ID ${id}.`);
    return check;
  };
  const find = (rawId: string): RegionHealthCheck => findById(decode(rawId, 'health check id'));

  /** The tagged resource type of a tags path: health checks are served; the edge has no hosted zones. */
  const tagResourceType = (rawType: string, ids: readonly string[]): void => {
    const type = decode(rawType, 'resource type');
    if (type === 'healthcheck') return;
    if (type === 'hostedzone') {
      throw new Route53Error(
        404,
        'NoSuchHostedZone',
        `No hosted zone found with ID: ${ids[0] ?? ''} (the local edge serves no hosted zones; only its health checks carry tags).`,
      );
    }
    throw invalidInput(`ResourceType must be healthcheck or hostedzone (got '${type.slice(0, 40)}').`);
  };

  const listTags = async (
    req: IncomingMessage,
    method: string,
    rawType: string | undefined,
    rawId: string | undefined,
  ): Promise<string | undefined> => {
    if (rawType === undefined || rawType === '') return undefined;
    if (rawId === undefined && method === 'POST') {
      const ids = parseListTagsForResources(await readBody(req));
      tagResourceType(rawType, ids);
      const checks = ids.map(findById);
      return xmlDocument('ListTagsForResourcesResponse', ROUTE53_NAMESPACE, [
        node(
          'ResourceTagSets',
          checks.map((c) => resourceTagSetNode(c, backend.environment)),
        ),
      ]);
    }
    if (rawId === undefined || rawId === '') return undefined;
    const id = decode(rawId, 'resource id');
    if (method === 'GET') {
      if (id.length > MAX_RESOURCE_ID_LENGTH) {
        throw invalidInput(`ResourceId must be at most ${MAX_RESOURCE_ID_LENGTH} characters long.`);
      }
      tagResourceType(rawType, [id]);
      return xmlDocument('ListTagsForResourceResponse', ROUTE53_NAMESPACE, [
        resourceTagSetNode(findById(id), backend.environment),
      ]);
    }
    if (method === 'POST') {
      req.resume();
      tagResourceType(rawType, [id]);
      findById(id);
      throw invalidInput(
        `The tags of the local edge's health checks are set by the runtime (${HEALTH_CHECK_TAGS.environment}, ${HEALTH_CHECK_TAGS.region}); ChangeTagsForResource is not served.`,
      );
    }
    return undefined;
  };

  const list = (query: URLSearchParams): string => {
    const checks = backend.checks();
    const maxRaw = query.get('maxitems');
    const maxItems = maxRaw === null ? 100 : Math.min(parseInteger('MaxItems', maxRaw, 1, 1_000_000), 1000);
    const marker = query.get('marker') ?? '';
    let start = 0;
    if (marker !== '') {
      start = checks.findIndex((c) => c.id === marker);
      if (start < 0) throw invalidInput(`The marker ${marker} is not the id of a health check.`);
    }
    const page = checks.slice(start, start + maxItems);
    const next = checks[start + maxItems];
    return xmlDocument('ListHealthChecksResponse', ROUTE53_NAMESPACE, [
      node(
        'HealthChecks',
        page.map((c) => healthCheckNode(c, backend.intervalSeconds)),
      ),
      node('Marker', marker),
      node('IsTruncated', next !== undefined),
      node('NextMarker', next?.id),
      node('MaxItems', maxItems),
    ]);
  };

  const route = async (req: IncomingMessage, path: string, query: URLSearchParams): Promise<string> => {
    const parts = path.slice(ROUTE53_PREFIX.length).split('/');
    const method = req.method ?? 'GET';
    const [resource, rawId, sub, ...rest] = parts;
    if (resource === 'tags' && rest.length === 0) {
      // /tags/<type> (ListTagsForResources) and /tags/<type>/<id> (ListTagsForResource).
      const xml = await listTags(req, method, rawId, sub);
      if (xml !== undefined) return xml;
    }
    if (rest.length === 0 && method === 'GET' && resource === 'healthcheck' && rawId === undefined) {
      return list(query);
    }
    if (method === 'GET' && resource === 'healthcheckcount' && rawId === undefined) {
      return xmlDocument('GetHealthCheckCountResponse', ROUTE53_NAMESPACE, [
        node('HealthCheckCount', backend.checks().length),
      ]);
    }
    if (resource === 'healthcheck' && rawId !== undefined && rawId !== '' && rest.length === 0) {
      if (sub === undefined && method === 'GET') {
        const check = find(rawId);
        return xmlDocument('GetHealthCheckResponse', ROUTE53_NAMESPACE, [
          healthCheckNode(check, backend.intervalSeconds),
        ]);
      }
      if (sub === undefined && method === 'POST') {
        const body = await readBody(req);
        const check = find(rawId);
        const { version, change } = parseUpdateHealthCheck(body);
        if (version !== undefined && version !== check.version) {
          throw new Route53Error(
            409,
            'HealthCheckVersionMismatch',
            `The value of HealthCheckVersion in the request (${version}) doesn't match the value of HealthCheckVersion in the health check (${check.version}).`,
          );
        }
        check.update(change);
        log?.(`edge: UpdateHealthCheck ${check.region} ${JSON.stringify(change)} → version ${check.version}`);
        return xmlDocument('UpdateHealthCheckResponse', ROUTE53_NAMESPACE, [
          healthCheckNode(check, backend.intervalSeconds),
        ]);
      }
      if (sub === 'status' && method === 'GET') {
        const check = find(rawId);
        return xmlDocument('GetHealthCheckStatusResponse', ROUTE53_NAMESPACE, [
          observationsNode(backend.checkerRegion, check.lastCheck),
        ]);
      }
      if (sub === 'lastfailurereason' && method === 'GET') {
        const check = find(rawId);
        return xmlDocument('GetHealthCheckLastFailureReasonResponse', ROUTE53_NAMESPACE, [
          observationsNode(backend.checkerRegion, check.lastFailure),
        ]);
      }
    }
    throw new Route53Error(
      404,
      'UnknownOperationException',
      `${method} ${path} is not an operation of the local Route 53 endpoint (it serves ${SERVED_OPERATIONS}).`,
    );
  };

  return async (req, res, path, query) => {
    const requestId = randomUUID();
    try {
      const xml = await route(req, path, query);
      send(res, 200, requestId, xml);
    } catch (err) {
      if (res.headersSent || res.destroyed) return;
      if (err instanceof Route53Error) {
        sendError(res, requestId, err);
      } else {
        log?.(`edge: Route 53 API internal failure on ${req.method} ${path}: ${(err as Error).stack ?? err}`);
        sendError(res, requestId, new Route53Error(500, 'InternalFailure', 'Internal failure.', 'Receiver'));
      }
    }
  };
}
