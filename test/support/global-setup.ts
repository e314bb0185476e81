import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';

/**
 * Starts one in-memory dynalite (a real DynamoDB-API server) on loopback for the whole run.
 * Test files create their own uniquely named tables, so they never share state.
 */
export default async function globalSetup(): Promise<void> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  (globalThis as { __DYNALITE__?: unknown }).__DYNALITE__ = server;
  process.env.MERIDIAN_TEST_DYNAMODB_ENDPOINT = `http://127.0.0.1:${port}`;
}
