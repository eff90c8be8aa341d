/**
 * What a command prints: results on stdout, problems on stderr, and progress
 * as a bar redrawn in place on a terminal or as plain lines otherwise (a log
 * file, a pipe, a CI job).
 */
export class CliOutput {
  private lastLine = '';
  private barShown = false;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly err: NodeJS.WriteStream = process.stderr,
  ) {}

  line(text: string): void {
    this.clearBar();
    this.out.write(`${text}\n`);
  }

  problem(text: string): void {
    this.clearBar();
    this.err.write(`${text}\n`);
  }

  /** `done` of `total` units of work, with what is being worked on. */
  progress(done: number, total: number, label: string): void {
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const percent = `${Math.floor(share * 100)}%`.padStart(4);
    if (!this.out.isTTY) {
      const plain = `${percent} ${label}`;
      if (plain !== this.lastLine) this.out.write(`${plain}\n`);
      this.lastLine = plain;
      return;
    }
    const width = 30;
    const filled = Math.round(share * width);
    this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent} ${label}`.padEnd(100));
    this.barShown = true;
  }

  private clearBar(): void {
    if (!this.barShown) return;
    this.out.write('\n');
    this.barShown = false;
  }
}
