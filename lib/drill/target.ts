/**
 * What a drill runs against: a set of regions with their API endpoints, the faults it can inject, and the
 * AWS APIs it observes them through. The local runtime and a deployed environment differ only in the
 * endpoints and in which faults exist; observation always goes through the AWS SDK clients.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetHealthCheckCommand,
  GetHealthCheckStatusCommand,
  Route53Client,
  UpdateHealthCheckCommand,
  type HealthCheck,
} from '@aws-sdk/client-route-53';
import { DescribeExecutionCommand, SFNClient, paginateListStateMachines } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { environmentHealthChecks, routingHealthy } from '../../services/shared/route53-health';
import { sagaExecutionArn } from '../../services/shared/saga';
import type { Item, TableId } from './audit';

/** Faults a target can inject; a scenario needs some of them. */
export interface DrillFaults {
  /** Stops a region abruptly (the local runtime: SIGKILL of its process). */
  killRegion?(region: string): Promise<void>;
  restoreRegion?(region: string): Promise<void>;
  /**
   * Holds replication between two regions, both directions: locally the link (replication and forwarded
   * events); in AWS a FIS experiment pausing Global Tables replication of `a`'s replicas with every peer.
   */
  partition?(a: string, b: string): Promise<void>;
  heal?(a: string, b: string): Promise<void>;
  /** Sets the one-way lag of the link between two regions, both directions. */
  setLinkLag?(a: string, b: string, ms: number): Promise<number | undefined>;
  /** Inverts (or restores) a region's health check through the Route 53 API. */
  setHealthCheckInverted(region: string, inverted: boolean): Promise<void>;
}

/** A change of a region's health as DNS routing sees it. */
export interface HealthChange {
  readonly region: string;
  readonly at: number;
  readonly healthy: boolean;
  readonly cause?: string;
}

/** A saga execution as Step Functions describes it. */
export interface ExecutionInfo {
  readonly status: string;
  readonly startDate?: number;
  readonly stopDate?: number;
}

/** Everything a drill needs from its target. */
export interface DrillTarget {
  readonly kind: 'local' | 'aws';
  /** The environment name (`local`, `dev`, …). */
  readonly env: string;
  readonly regions: readonly string[];
  /** How much faster than AWS the target runs (1 on AWS). */
  readonly timeScale: number;
  /**
   * How long a region must be unhealthy before a surviving region takes over its stranded orders
   * (docs/decisions/007), AWS seconds, when the target knows it.
   */
  readonly takeoverGraceSeconds?: number;
  /** The latency-routed entry (the local edge, or the environment's DNS name); absent without DNS. */
  readonly edgeUrl?: string;
  /** Each region's own API base URL, stage included. */
  readonly apiUrls: Readonly<Record<string, string>>;
  readonly faults: DrillFaults;
  /** Health changes recorded since `startHealthWatch` (or known to the edge), oldest first. */
  healthChanges(): Promise<readonly HealthChange[]>;
  /** Starts recording health changes where the target cannot report them afterwards (Route 53 polling). */
  startHealthWatch(): void;
  /** Whether a region is up as far as the target knows (a killed local region is not). */
  regionUp(region: string): Promise<boolean>;
  /** Every item of a table in a region's replica (a full Scan). */
  scan(region: string, table: TableId): Promise<Item[]>;
  /** The saga execution of an order in a region (execution name = order id), if any. */
  execution(region: string, orderId: string): Promise<ExecutionInfo | undefined>;
  close(): Promise<void>;
}

/** Where the AWS APIs of one region answer; no endpoint = AWS itself. */
export interface RegionApis {
  readonly dynamodb?: string;
  readonly sfn?: string;
  readonly fis?: string;
}

/** What the SDK-backed observer needs to know. */
export interface SdkObserverOptions {
  /**
   * The environment's resource prefix (`meridian-<name>`): its health checks carry it as their
   * `meridian:environment` tag, which tells them from other environments' checks in the same account.
   */
  readonly environment: string;
  readonly regions: readonly string[];
  /** Physical table name of a table id. */
  readonly tableName: (table: TableId) => string;
  /** The saga's state machine name in every region. */
  readonly stateMachineName: string;
  /** Endpoint overrides per region (the local runtime's AWS-compatible servers). */
  readonly endpoints?: Readonly<Record<string, RegionApis>>;
  /** The Route 53 API endpoint (the local edge); AWS's global endpoint when absent. */
  readonly route53Endpoint?: string;
  /** Credentials for local endpoints (any value works there); the default provider chain when absent. */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  readonly log?: (line: string) => void;
}

/** A region's health check as the drill found it (ListHealthChecks and the checks' tags). */
export interface RegionHealthCheck {
  readonly region: string;
  readonly id: string;
  /** The checked API base URL (scheme, host, port, stage), derived from the check's configuration. */
  readonly apiBaseUrl: string;
}

const EXECUTE_API_HOST = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/;

/** The region and API base URL a health check watches, or undefined when it is not one of ours. */
export function regionOfHealthCheck(
  check: HealthCheck,
  regions: readonly string[],
): RegionHealthCheck | undefined {
  const config = check.HealthCheckConfig;
  if (!check.Id || !config?.ResourcePath?.endsWith('/health')) return undefined;
  const host = config.FullyQualifiedDomainName ?? config.IPAddress;
  if (!host) return undefined;
  // In AWS the region is in the execute-api host name; the local edge names it in CallerReference.
  const region = EXECUTE_API_HOST.exec(host)?.[1] ?? check.CallerReference;
  if (!region || !regions.includes(region)) return undefined;
  const scheme = config.Type === 'HTTPS' || config.Type === 'HTTPS_STR_MATCH' ? 'https' : 'http';
  const defaultPort = scheme === 'https' ? 443 : 80;
  const port = config.Port && config.Port !== defaultPort ? `:${config.Port}` : '';
  const stagePath = config.ResourcePath.slice(0, -'/health'.length);
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { region, id: check.Id, apiBaseUrl: `${scheme}://${hostPart}${port}${stagePath}` };
}

/** Reads tables, executions and health checks through the AWS SDK v3 clients. */
export class SdkObserver {
  private readonly documents = new Map<string, DynamoDBDocumentClient>();
  private readonly sfn = new Map<string, SFNClient>();
  readonly route53: Route53Client;
  private checks?: Promise<Map<string, RegionHealthCheck>>;
  private readonly machines = new Map<string, Promise<string>>();

  constructor(private readonly options: SdkObserverOptions) {
    const credentials = options.credentials && { credentials: options.credentials };
    for (const region of options.regions) {
      const endpoints = options.endpoints?.[region];
      const dynamo = new DynamoDBClient({
        region,
        maxAttempts: 3,
        ...credentials,
        ...(endpoints?.dynamodb && { endpoint: endpoints.dynamodb }),
      });
      this.documents.set(region, DynamoDBDocumentClient.from(dynamo));
      this.sfn.set(
        region,
        new SFNClient({
          region,
          maxAttempts: 2,
          ...credentials,
          ...(endpoints?.sfn && { endpoint: endpoints.sfn }),
        }),
      );
    }
    // Route 53 is a global service signed for us-east-1.
    this.route53 = new Route53Client({
      region: 'us-east-1',
      ...credentials,
      ...(options.route53Endpoint && { endpoint: options.route53Endpoint }),
    });
  }

  private client<T>(map: Map<string, T>, region: string): T {
    const client = map.get(region);
    if (!client) throw new Error(`unknown region ${region} (regions: ${this.options.regions.join(', ')})`);
    return client;
  }

  /** Every item of a table in one region (paginated Scan, eventually consistent). */
  async scan(region: string, table: TableId): Promise<Item[]> {
    const items: Item[] = [];
    const pages = paginateScan(
      { client: this.client(this.documents, region), pageSize: 500 },
      { TableName: this.options.tableName(table) },
    );
    for await (const page of pages) items.push(...((page.Items ?? []) as Item[]));
    return items;
  }

  /** The order's saga execution in a region, or undefined when there is none. */
  async execution(region: string, orderId: string): Promise<ExecutionInfo | undefined> {
    const machine = await this.stateMachineArn(region);
    const arn = sagaExecutionArn(machine, orderId);
    try {
      const out = await this.client(this.sfn, region).send(
        new DescribeExecutionCommand({ executionArn: arn }),
      );
      return {
        status: out.status ?? 'UNKNOWN',
        ...(out.startDate && { startDate: out.startDate.getTime() }),
        ...(out.stopDate && { stopDate: out.stopDate.getTime() }),
      };
    } catch (err) {
      if ((err as { name?: string }).name === 'ExecutionDoesNotExist') return undefined;
      throw err;
    }
  }

  /** The saga's ARN in a region, found by name (ListStateMachines), so the account need not be known. */
  private stateMachineArn(region: string): Promise<string> {
    let found = this.machines.get(region);
    if (!found) {
      found = (async () => {
        const name = this.options.stateMachineName;
        for await (const page of paginateListStateMachines({ client: this.client(this.sfn, region) }, {})) {
          const match = page.stateMachines?.find((m) => m.name === name);
          if (match?.stateMachineArn) return match.stateMachineArn;
        }
        throw new Error(`state machine ${name} not found in ${region}`);
      })();
      found.catch(() => this.machines.delete(region));
      this.machines.set(region, found);
    }
    return found;
  }

  /**
   * The environment's health checks by region (cached): those tagged with its prefix and a region, whose
   * configuration names an API of that same region. Another environment's check in the account is never
   * inverted by mistake.
   */
  healthChecks(): Promise<Map<string, RegionHealthCheck>> {
    this.checks ??= (async () => {
      const found = new Map<string, RegionHealthCheck>();
      const tagged = await environmentHealthChecks(this.route53, this.options.environment);
      for (const [region, check] of tagged) {
        const mine = regionOfHealthCheck(check, this.options.regions);
        if (mine?.region === region) found.set(region, mine);
      }
      return found;
    })();
    this.checks.catch(() => (this.checks = undefined));
    return this.checks;
  }

  private async checkOf(region: string): Promise<RegionHealthCheck> {
    const check = (await this.healthChecks()).get(region);
    if (!check) {
      throw new Error(
        `no Route 53 health check found for ${region} (looked for a check tagged meridian:environment=${this.options.environment}, meridian:region=${region} on <api>.execute-api.${region}.amazonaws.com/<stage>/health)`,
      );
    }
    return check;
  }

  /** Inverts or restores a region's health check (UpdateHealthCheck with the current version). */
  async setInverted(region: string, inverted: boolean): Promise<void> {
    const { id } = await this.checkOf(region);
    const current = await this.route53.send(new GetHealthCheckCommand({ HealthCheckId: id }));
    await this.route53.send(
      new UpdateHealthCheckCommand({
        HealthCheckId: id,
        HealthCheckVersion: current.HealthCheck?.HealthCheckVersion,
        Inverted: inverted,
      }),
    );
  }

  /**
   * Whether Route 53 counts a region healthy now: more than 18 % of its checkers report success (Route 53's
   * rule), then Inverted applied, Disabled counting as healthy.
   */
  async routingHealthy(region: string): Promise<boolean> {
    const { id } = await this.checkOf(region);
    const [check, status] = await Promise.all([
      this.route53.send(new GetHealthCheckCommand({ HealthCheckId: id })),
      this.route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: id })),
    ]);
    return routingHealthy(check.HealthCheck?.HealthCheckConfig, status.HealthCheckObservations ?? []);
  }

  destroy(): void {
    for (const c of this.documents.values()) c.destroy();
    for (const c of this.sfn.values()) c.destroy();
    this.route53.destroy();
  }
}

/**
 * Records health changes by polling Route 53 (what a drill against AWS has; the local edge keeps its own
 * history). The first observation of each region is its starting state, not a change.
 */
export class HealthPoller {
  private readonly changes: HealthChange[] = [];
  private readonly last = new Map<string, boolean>();
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly regions: readonly string[],
    private readonly healthy: (region: string) => Promise<boolean>,
    private readonly intervalMs: number,
    private readonly log?: (line: string) => void,
  ) {}

  start(): void {
    if (this.timer) return;
    const poll = async () => {
      if (this.polling) return;
      this.polling = true;
      try {
        await Promise.all(
          this.regions.map(async (region) => {
            try {
              const now = await this.healthy(region);
              const before = this.last.get(region);
              if (before !== undefined && before !== now) {
                this.changes.push({
                  region,
                  at: Date.now(),
                  healthy: now,
                  cause: 'Route 53 health check status',
                });
              }
              this.last.set(region, now);
            } catch (err) {
              this.log?.(
                `health of ${region} unavailable: ${err instanceof Error ? err.message : String(err)}`,
              );
            }
          }),
        );
      } finally {
        this.polling = false;
      }
    };
    void poll();
    this.timer = setInterval(() => void poll(), this.intervalMs);
    this.timer.unref();
  }

  history(): readonly HealthChange[] {
    return [...this.changes];
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
