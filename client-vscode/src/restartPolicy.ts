/**
 * When a crashed server is started again. A server that keeps dying is not restarted forever:
 * at most `maxRestarts` within `windowMs`, and never one that died before it finished
 * starting (that is a setup problem, which a restart cannot fix). Pure: time is injected.
 */

export interface RestartDecision {
  restart: boolean;
  /** Set when the policy gives up: the one message the user sees. */
  message?: string;
}

export class RestartPolicy {
  private restarts: number[] = [];

  constructor(
    readonly maxRestarts = 3,
    readonly windowMs = 3 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The connection closed; `wasRunning` tells whether the server had finished starting. */
  onClosed(wasRunning: boolean): RestartDecision {
    if (!wasRunning) {
      return {
        restart: false,
        message:
          "The Stitch server stopped while starting and will not be restarted. See its output for the reason.",
      };
    }
    const now = this.now();
    this.restarts = this.restarts.filter((at) => now - at < this.windowMs);
    if (this.restarts.length >= this.maxRestarts) {
      const minutes = Math.round(this.windowMs / 60_000);
      return {
        restart: false,
        message: `The Stitch server stopped ${this.restarts.length + 1} times in ${minutes} minutes and will not be restarted. See its output, then run "Stitch: Restart Server".`,
      };
    }
    this.restarts.push(now);
    return { restart: true };
  }

  /** A human asked for a restart: start counting afresh. */
  reset(): void {
    this.restarts = [];
  }
}
