/** Entry point: read the configuration, start the HTTP server, stop cleanly on SIGTERM/SIGINT. */
import type { Server } from 'node:http';
import { defaultCollectors } from './collectors/registry.js';
import { ConfigError } from './config/errors.js';
import { helpText } from './config/help.js';
import { loadConfig } from './config/load.js';
import { ConnectionGuard } from './http/connection-guard.js';
import { createHandler, listen } from './http/server.js';
import { WebAccess } from './http/web-access.js';
import { createLogger } from './log.js';
import { startDemo } from './demo/collection.js';
import { Scraper } from './scrape/scraper.js';
import { DispatcharrVersion } from './sources/dispatcharr-version.js';
import { PostgresSource } from './sources/postgres.js';
import { EventLog } from './sources/event-log.js';
import { LiveDiscovery } from './sources/live-discovery.js';
import { RedisSource } from './sources/redis.js';
import { EXPORTER_VERSION } from './version.js';
import { fixedSettings, pluginSettings } from './scrape/settings-source.js';
import { errorMessage } from './error-message.js';

/** How long the start waits for the first look at the backends before it reports listening. */
const WARM_UP_MS = 500;

async function main(argv: readonly string[]): Promise<number> {
  let command: ReturnType<typeof loadConfig>;
  try {
    command = loadConfig(argv, process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`dispatcharr-exporter: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (command.kind === 'help') {
    process.stdout.write(helpText(EXPORTER_VERSION));
    return 0;
  }
  if (command.kind === 'version') {
    process.stdout.write(`dispatcharr-exporter ${EXPORTER_VERSION}\n`);
    return 0;
  }

  const { config } = command;
  const logger = createLogger(config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  // A stray rejection (a backend socket failing at an odd moment) must not take the exporter down.
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled rejection', { error: errorMessage(reason) });
  });
  // Demo mode reads a simulation instead: no connection to PostgreSQL or Redis is ever made.
  if (config.demo) logger.info('demo mode: serving a simulated Dispatcharr; PostgreSQL and Redis are not contacted');
  const db = config.demo ? undefined : new PostgresSource(config.postgres, logger);
  const redis = config.demo ? undefined : new RedisSource(config.redis, logger);
  const version = new DispatcharrVersion(
    {
      ...(config.dispatcharr.version !== undefined && { configured: config.dispatcharr.version }),
      ...(config.dispatcharr.timestamp !== undefined && { timestamp: config.dispatcharr.timestamp }),
      baseUrl: config.settings.base_url,
    },
    logger,
  );
  const scraper = new Scraper({
    collectors: defaultCollectors({ version: EXPORTER_VERSION, accessLog: config.accessLog }),
    ...(db && redis
      ? { sources: { db, redis, dispatcharrVersion: () => version.get(), liveDiscovery: new LiveDiscovery(), eventLog: new EventLog() } }
      : { collect: startDemo() }),
    settings:
      config.pluginKey === undefined || !db
        ? fixedSettings(config.settings)
        : pluginSettings(db, config.pluginKey, config.settings, logger),
    logger,
    collectionSeconds: config.scrapeTimeoutSeconds,
  });
  const guard = new ConnectionGuard(config.limits);
  const web = config.web && new WebAccess(config.web.path, config.web.config, logger);
  const handler = createHandler({
    ...(web && { access: web }),
    guard,
    scraper,
    exporterVersion: config.demo ? `${EXPORTER_VERSION} (demo mode: a simulated Dispatcharr)` : EXPORTER_VERSION,
    defaultTimeoutSeconds: config.scrapeTimeoutSeconds,
    accessLog: config.accessLog,
    logger,
  });

  let server: Server;
  try {
    server = await listen(handler, guard, config.settings.host, config.settings.port, web?.tls);
    // Before any connection is handled (that takes another turn of the event loop): client_auth_type, reloads.
    web?.attach(server);
    await web?.watch();
  } catch (error) {
    process.stderr.write(`dispatcharr-exporter: cannot listen: ${errorMessage(error)}\n`);
    await db?.close();
    redis?.close();
    return 1;
  }
  // Ask the backends at once, so /health (the plugin's Check Server Status) is true from the start rather than
  // "unknown" until Prometheus' first scrape; a slow backend delays the start by WARM_UP_MS at most.
  const warmUp = scraper.scrape(Date.now() + config.scrapeTimeoutSeconds * 1000);
  await Promise.race([warmUp, new Promise((resolve) => setTimeout(resolve, WARM_UP_MS).unref())]);
  const { host, port } = config.settings;
  const scheme = web?.tls ? 'https' : 'http';
  // plugin/plugin.py (LISTENING_MARKER) waits for this exact message, logged as logfmt `msg=listening`.
  logger.info('listening', {
    version: EXPORTER_VERSION,
    address: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
  });

  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      logger.info('stopping', { signal });
      web?.close();
      server.close();
      server.closeAllConnections();
      redis?.close();
      Promise.resolve(db?.close()).finally(() => resolve(0));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`dispatcharr-exporter: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
