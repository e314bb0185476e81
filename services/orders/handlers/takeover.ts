import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { scheduledEventId } from '../../shared/lambda';
import type { PeerOutcome, TakeoverStranded } from '../domain/takeover-stranded';

/** `takeover:<id of the scheduled event>`, which tags a run's logs, when the event has an id. */
export function takeoverCorrelationId(event: unknown): string | undefined {
  const id = scheduledEventId(event);
  return id === undefined ? undefined : `takeover:${id}`;
}

/**
 * Scheduled takeover of stranded orders (docs/decisions/007). The scheduled event carries nothing the
 * run needs; it returns what it saw per peer region. Errors propagate: the schedule's failure
 * destination and the function's error alarm report them, and the next run starts over.
 */
export function buildTakeoverHandler(deps: {
  readonly takeoverStranded: TakeoverStranded;
  readonly logger: Logger;
  readonly metrics: Metrics;
}): (event: unknown) => Promise<{ peers: PeerOutcome[] }> {
  return async () => {
    const peers = await deps.takeoverStranded.execute();
    let takenOver = 0;
    for (const peer of peers) {
      if (peer.state === 'taking-over') {
        takenOver += peer.takenOver.length;
        deps.logger.warn('taking over stranded orders of an unavailable region', { ...peer });
      } else if (peer.state === 'watching' || peer.state === 'deferred') {
        deps.logger.warn('peer region unavailable', { ...peer });
      } else if (peer.state === 'unknown') {
        deps.logger.warn('peer region health unknown', { region: peer.region });
      }
    }
    deps.metrics.addMetric('OrdersTakenOver', MetricUnit.Count, takenOver);
    deps.metrics.addMetric(
      'PeerRegionsUnavailable',
      MetricUnit.Count,
      peers.filter((p) => p.state !== 'healthy' && p.state !== 'unknown').length,
    );
    return { peers };
  };
}
