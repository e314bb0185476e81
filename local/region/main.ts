/**
 * The entry point of one region's OS process (spawned by the supervisor with `node --import tsx`): reads its
 * config from MERIDIAN_REGION_CONFIG, starts the region, tells the parent it is ready over IPC, and stops
 * cleanly on SIGTERM/SIGINT or when the supervisor goes away.
 */
import { REGION_CONFIG_VARIABLE, regionConfigSchema } from './config';
import { startRegion, type LocalRegion } from './region';

const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

async function main(): Promise<void> {
  const raw = process.env[REGION_CONFIG_VARIABLE];
  if (!raw)
    throw new Error(`${REGION_CONFIG_VARIABLE} is not set (this process is started by \`meridian up\`)`);
  const config = regionConfigSchema.parse(JSON.parse(raw));
  const running: { region?: LocalRegion } = {};
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await running.region?.close();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
  process.on('disconnect', () => void stop(0));
  // A bug in one component must not take the region down with everything it holds in flight: log it.
  process.on('uncaughtException', (err) => log(`uncaught exception: ${err.stack ?? String(err)}`));
  process.on('unhandledRejection', (err) =>
    log(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
  );
  const region = await startRegion(config, log);
  running.region = region;
  process.send?.({ type: 'ready', region: config.region, pid: process.pid, apiBaseUrl: region.apiBaseUrl });
  process.on(
    'message',
    (message: { type?: string; links?: Record<string, { lagMs: number; partitioned: boolean }> }) => {
      if (message.type === 'links' && message.links) region.setLinks(message.links);
    },
  );
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  log(`region failed to start: ${message}`);
  process.send?.({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
