/**
 * Ctrl-C for a study, shared by the local runner and the queue coordinator:
 * the first SIGINT marks the study interrupted and calls `onFirst` so it
 * stops waiting (what is on disk stays, and the same command resumes); a
 * second SIGINT exits at once with status 130. `enabled` false (tests driving
 * a study in-process) installs nothing.
 */
export class Interrupt {
  interrupted = false;
  private readonly handler = (): void => {
    if (this.interrupted) process.exit(130);
    this.interrupted = true;
    this.onFirst();
  };

  constructor(private readonly enabled: boolean, private readonly onFirst: () => void) {
    if (enabled) process.on('SIGINT', this.handler);
  }

  /** Remove the handler (the study is over). */
  dispose(): void {
    if (this.enabled) process.off('SIGINT', this.handler);
  }
}
