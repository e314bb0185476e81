import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Takeover } from '../domain/order';
import type { PeerTakeovers } from '../domain/ports';
import { takeoverFromItem, takeoverKey } from './dynamo-order-repository';

/**
 * Reads an order's takeover marker straight from each peer region's replica of the orders table (the
 * Global Table has the same name everywhere), strongly consistent there, all peers at once, each read
 * bounded by `timeoutMs`.
 */
export class DynamoPeerTakeovers implements PeerTakeovers {
  constructor(
    private readonly peers: ReadonlyMap<string, DynamoDBDocumentClient>,
    private readonly tableName: string,
    private readonly timeoutMs = 3_000,
  ) {}

  async find(orderId: string): Promise<{ takeover?: Takeover; unreachable: string[] }> {
    const answers = await Promise.all(
      [...this.peers].map(async ([region, client]) => {
        try {
          const out = await client.send(
            new GetCommand({ TableName: this.tableName, Key: takeoverKey(orderId), ConsistentRead: true }),
            { abortSignal: AbortSignal.timeout(this.timeoutMs) },
          );
          return { region, takeover: out.Item ? takeoverFromItem(out.Item) : undefined };
        } catch {
          return { region, unreachable: true as const };
        }
      }),
    );
    const takeover = answers.find((a) => 'takeover' in a && a.takeover)?.takeover;
    const unreachable = answers.filter((a) => 'unreachable' in a).map((a) => a.region);
    return takeover ? { takeover, unreachable } : { unreachable };
  }
}
