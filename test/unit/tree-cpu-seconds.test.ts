/**
 * test/support/servers.ts `treeCpuSeconds`: the CPU a process tree has used, as the POP3 bench
 * reads Dovecot's around a client's run (a server forks a process per login, which exits and is
 * reaped by the master, or still runs when the bench reads). A tree is built here with real
 * burners: each does a fixed amount of work (a count of loop turns, never a time) and reports its
 * own CPU from process.cpuUsage(); the figure must hold each burner's, whether it has exited and
 * been reaped or is still alive two levels down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { descendantsOf, treeCpuSeconds } from '../support/servers.js';

/** Loop turns per burner: about half a CPU second on this project's CI machine. */
const TURNS = 100_000_000;

/** Burns TURNS turns, prints its own CPU seconds (user + system) and, with `stay`, waits to be killed. */
const BURNER = `
let x = 0;
for (let i = 0; i < ${TURNS}; i++) x = (x * 31 + i) | 0;
const u = process.cpuUsage();
console.log(JSON.stringify({ burner: process.argv[1], pid: process.pid, cpu: (u.user + u.system) / 1e6, x }));
if (process.argv[1] === 'live') setInterval(() => {}, 1 << 30);
`;

/**
 * The master: runs one burner to its end and says once it has reaped it (node's exit event comes
 * after the wait), then starts a parent that runs a second burner which stays alive: a grandchild.
 * Every process writes its lines straight to the test's pipe (stdout inherited).
 */
const MASTER = `
const { spawn } = require('node:child_process');
const run = (code, ...args) => spawn(process.execPath, ['-e', code, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
run(${JSON.stringify(BURNER)}, 'reaped').on('exit', () => {
  console.log(JSON.stringify({ reaped: true }));
  run(${JSON.stringify(`require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(BURNER)}, 'live'], { stdio: ['ignore', 'inherit', 'inherit'] });`)});
});
`;

/** A clock tick of /proc's times (USER_HZ 100): user and system are each cut down to whole ticks. */
const TICK = 0.01;

let master: ChildProcess | undefined;

afterEach(() => {
  if (!master?.pid) return;
  for (const d of descendantsOf(master.pid)) process.kill(d.pid, 'SIGKILL');
  master.kill('SIGKILL');
  master = undefined;
});

describe('treeCpuSeconds', () => {
  it("holds a reaped child's CPU and a live grandchild's, each at least what it reported", async () => {
    master = spawn(process.execPath, ['-e', MASTER], { stdio: ['ignore', 'pipe', 'inherit'] });
    const burners = new Map<string, { pid: number; cpu: number }>();
    let reaped = false;
    for await (const line of createInterface({ input: master.stdout! })) {
      const said = JSON.parse(line) as { burner?: string; pid: number; cpu: number; reaped?: true };
      if (said.reaped) reaped = true;
      else burners.set(said.burner!, said);
      if (reaped && burners.has('live')) break;
    }
    const gone = burners.get('reaped')!;
    const live = burners.get('live')!;
    // Where each burner is when the figure is read: the first no longer exists, the second is
    // the master's grandchild.
    expect(descendantsOf(master.pid!).map((d) => d.pid)).not.toContain(gone.pid);
    expect(descendantsOf(master.pid!).map((d) => d.pid)).toContain(live.pid);

    const total = treeCpuSeconds(master.pid!);
    // Each process's user and system times lose under a tick each in /proc (the reaped one's
    // through the master's cutime and cstime). The master and the parent's own CPU come on top;
    // each burner's CPU is far above theirs, so a figure that left out either burner is below this.
    console.log(`tree ${total.toFixed(2)} s; reaped burner ${gone.cpu.toFixed(2)} s, live grandchild ${live.cpu.toFixed(2)} s`);
    expect(total).toBeGreaterThanOrEqual(gone.cpu + live.cpu - 4 * TICK);
  });
});
