/** A one-line progress bar on a terminal; plain lines elsewhere (CI logs, pipes). */
export class ProgressBar {
  private lastLine = '';
  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  update(done: number, total: number, text: string): void {
    if (!this.out.isTTY) {
      const line = `${done}/${total} ${text}`;
      if (line !== this.lastLine) this.out.write(`${line}\n`);
      this.lastLine = line;
      return;
    }
    const width = 30;
    const filled = total > 0 ? Math.round((done / total) * width) : 0;
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
    this.out.write(`\r\x1b[2K${bar} ${text}`.slice(0, (this.out.columns ?? 120) + 8));
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
