// Composition root of the gateway process: read config, start, report, stop cleanly.
import { ConfigError, loadConfig, usage } from './config/config.ts';
import { startStrata } from './app.ts';

// File fsyncs run on libuv's pool (4 threads by default); concurrent durable
// writes would queue behind each other there. The pool starts on first use, after this.
process.env.UV_THREADPOOL_SIZE ??= '16';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage());
    return;
  }
  let config;
  try {
    ({ config } = loadConfig(argv, process.env));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`strata: ${err.message}\n\n${usage()}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const strata = await startStrata(config);
  console.log(`Strata S3 gateway listening on ${strata.url} (S3 API at ${strata.url}${config.prefix} and ${strata.url}/; data in ${config.dataDir})`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`received ${signal}, shutting down`);
    strata.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error('strata: failed to start:', err);
  process.exit(1);
});
