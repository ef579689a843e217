/**
 * A reader that stops early (`popbox messages | head`) closes the pipe. The rest of the output has
 * nowhere to go, which is no failure: printing stops, quietly, and the command ends as it would
 * have (a sync still finishes and commits). Without a listener a write to the closed pipe (by
 * process.stdout.write, or by console.log under a loader such as tsx) ends in an EPIPE stack trace.
 */
export function quietOnClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    });
  }
}
