/**
 * The fault proxy as its own process, for benchmarks whose timing harness blocks (spawnSync):
 * `tsx test/bench/latency-proxy.ts TARGET_PORT LATENCY_MS` prints the port it listens on and
 * forwards to 127.0.0.1:TARGET_PORT with LATENCY_MS added each way, until killed.
 */
import { startFaultProxy } from '../support/fault-proxy.js';

const [target, latency] = process.argv.slice(2).map(Number);
if (!target || latency === undefined || Number.isNaN(latency)) {
  console.error('usage: latency-proxy TARGET_PORT LATENCY_MS');
  process.exit(2);
}
const proxy = await startFaultProxy({ host: '127.0.0.1', port: target });
proxy.setPlan({ latencyMs: latency });
process.stdout.write(`${proxy.port}\n`);
process.on('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
