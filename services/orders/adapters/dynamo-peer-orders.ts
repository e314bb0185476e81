import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PeerOrders, PeerReplica } from '../domain/ports';
import { orderKey, takeoverFromItem, takeoverKey } from './dynamo-order-repository';

/**
 * Reads an order (its owner region and takeover marker, one Query of the order's partition) straight from
 * each peer region's replica of the orders table (the Global Table has the same name everywhere), strongly
 * consistent there, all peers at once, each read bounded by `timeoutMs`.
 */
export class DynamoPeerOrders implements PeerOrders {
  constructor(
    private readonly peers: ReadonlyMap<string, DynamoDBDocumentClient>,
    private readonly tableName: string,
    private readonly timeoutMs = 3_000,
  ) {}

  read(orderId: string): Promise<PeerReplica[]> {
    const { pk } = orderKey(orderId);
    return Promise.all(
      [...this.peers].map(async ([region, client]): Promise<PeerReplica> => {
        try {
          const out = await client.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': pk },
              ConsistentRead: true,
            }),
            { abortSignal: AbortSignal.timeout(this.timeoutMs) },
          );
          const items = out.Items ?? [];
          const owner = items.find((i) => i.sk === orderKey(orderId).sk)?.ownerRegion;
          const marker = items.find((i) => i.sk === takeoverKey(orderId).sk);
          return {
            region,
            reachable: true,
            ...(typeof owner === 'string' ? { ownerRegion: owner } : {}),
            ...(marker ? { takeover: takeoverFromItem(marker) } : {}),
          };
        } catch {
          return { region, reachable: false };
        }
      }),
    );
  }
}
