import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  EventBridgePublisher,
  EventPublishError,
} from '../../../services/shared/adapters/eventbridge-publisher';
import { createEvent, type EventEnvelope } from '../../../services/shared/events';
import { AwsJsonServer, TEST_CREDENTIALS, type AwsJsonCall } from '../../support/aws-json-server';

const events = (n: number): EventEnvelope[] =>
  Array.from({ length: n }, (_, i) =>
    createEvent({
      type: 'OrderPlaced',
      source: 'meridian.orders',
      region: 'us-east-1',
      correlationId: `c-${i}`,
      id: `e-${i}`,
      data: { orderId: `ord_${i}`, customerId: 'CUST-1', currency: 'USD', total: 1, lines: [] },
    }),
  );

type Entry = { Detail: string; Source: string; DetailType: string; EventBusName: string };

async function withServer(
  respond: (call: AwsJsonCall) => { status?: number; body: unknown },
  run: (publisher: EventBridgePublisher, server: AwsJsonServer) => Promise<void>,
): Promise<void> {
  const server = new AwsJsonServer(respond);
  const endpoint = await server.start();
  const client = new EventBridgeClient({
    region: 'us-east-1',
    endpoint,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });
  try {
    await run(new EventBridgePublisher({ client, busName: 'meridian-bus', baseDelayMs: 1 }), server);
  } finally {
    client.destroy();
    await server.stop();
  }
}

describe('EventBridgePublisher (real SDK client against a loopback PutEvents server)', () => {
  it('sends envelopes as detail with source, detail-type and bus, in batches of at most 10', async () => {
    await withServer(
      ({ input }) => ({
        body: { FailedEntryCount: 0, Entries: (input.Entries as Entry[]).map(() => ({ EventId: 'x' })) },
      }),
      async (publisher, server) => {
        const batch = events(23);
        await publisher.publish(batch);
        const sizes = server.calls.map((c) => (c.input.Entries as Entry[]).length);
        expect(sizes).toEqual([10, 10, 3]);
        const first = (server.calls[0]!.input.Entries as Entry[])[0]!;
        expect(first).toMatchObject({
          Source: 'meridian.orders',
          DetailType: 'OrderPlaced',
          EventBusName: 'meridian-bus',
        });
        expect(JSON.parse(first.Detail)).toEqual(batch[0]);
      },
    );
  });

  it('retries only the entries PutEvents reports as failed', async () => {
    let call = 0;
    await withServer(
      ({ input }) => {
        call++;
        const entries = input.Entries as Entry[];
        if (call === 1) {
          return {
            body: {
              FailedEntryCount: 2,
              Entries: entries.map((_, i) =>
                i === 1 || i === 3
                  ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }
                  : { EventId: 'ok' },
              ),
            },
          };
        }
        return { body: { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: 'ok' })) } };
      },
      async (publisher, server) => {
        await publisher.publish(events(5));
        const retried = (server.calls[1]!.input.Entries as Entry[]).map(
          (e) => (JSON.parse(e.Detail) as EventEnvelope).id,
        );
        expect(retried).toEqual(['e-1', 'e-3']);
      },
    );
  });

  it('retries a whole batch after a transport-level error', async () => {
    let call = 0;
    await withServer(
      ({ input }) =>
        ++call === 1
          ? { status: 500, body: { __type: 'InternalException', message: 'boom' } }
          : {
              body: {
                FailedEntryCount: 0,
                Entries: (input.Entries as Entry[]).map(() => ({ EventId: 'ok' })),
              },
            },
      async (publisher, server) => {
        await publisher.publish(events(3));
        expect(server.calls).toHaveLength(2);
      },
    );
  });

  it('gives up after the configured attempts and names the failed events', async () => {
    await withServer(
      ({ input }) => ({
        body: {
          FailedEntryCount: 1,
          Entries: (input.Entries as Entry[]).map(() => ({
            ErrorCode: 'InternalFailure',
            ErrorMessage: 'no',
          })),
        },
      }),
      async (publisher, server) => {
        const err = await publisher.publish(events(1)).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(EventPublishError);
        expect((err as EventPublishError).failed).toEqual([
          { id: 'e-0', errorCode: 'InternalFailure', errorMessage: 'no' },
        ]);
        expect(server.calls).toHaveLength(4);
      },
    );
  });
});
