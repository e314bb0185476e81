import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PeerOrders, PeerReplica } from '../domain/ports';
import { readOrderPartition, takeoverFromItem } from './dynamo-order-repository';

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
    return Promise.all(
      [...this.peers].map(async ([region, client]): Promise<PeerReplica> => {
        try {
          const { order, takeover: marker } = await readOrderPartition(
            client,
            this.tableName,
            orderId,
            AbortSignal.timeout(this.timeoutMs),
          );
          const owner = order?.ownerRegion;
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
