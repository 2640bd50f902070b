// The gateway process: read config, start, report, stop cleanly. Loaded by
// main.ts once the compile cache is on.
import { ConfigError, loadConfig, usage } from './config/config.ts';
import { startStrata } from './app.ts';
import { enableGcPacing } from './util/gc-pacer.ts';

export async function runServer(argv: string[]): Promise<void> {
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
  enableGcPacing();
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
