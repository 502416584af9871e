/**
 * Progress for long steps. On a terminal, one line is redrawn in place; in logs and CI,
 * progress is printed at most every 10% so output stays readable.
 */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  /**
   * A step that has started; returns a function to call when it is done, with `ok` false
   * when it failed (shown with ✗ instead of ✓).
   */
  step(message: string): (outcome?: string, ok?: boolean) => void;
  progress(label: string, done: number, total: number | undefined): void;
}

const tty = process.stderr.isTTY === true;
const color = (code: number) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
export const green = color(32);
export const red = color(31);
export const yellow = color(33);
export const dim = color(2);
export const bold = color(1);

/** "1 row", "2 rows". */
export const plural = (count: number | undefined, noun: string): string =>
  `${count ?? 0} ${noun}${count === 1 ? "" : "s"}`;

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function consoleReporter(stream: NodeJS.WriteStream = process.stderr): Reporter {
  const lastDecile = new Map<string, number>();
  let redrawing = false;
  const endLine = () => {
    if (redrawing) stream.write("\n");
    redrawing = false;
  };
  return {
    info(message) {
      endLine();
      stream.write(`${message}\n`);
    },
    warn(message) {
      endLine();
      stream.write(`${yellow("warning:")} ${message}\n`);
    },
    step(message) {
      endLine();
      const started = Date.now();
      stream.write(`${dim("•")} ${message}...\n`);
      return (outcome = "done", ok = true) => {
        endLine();
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        const mark = ok ? green("✓") : red("✗");
        stream.write(`${mark} ${message}: ${outcome} ${dim(`(${seconds}s)`)}\n`);
      };
    },
    progress(label, done, total) {
      const text = total
        ? `${label}: ${formatBytes(done)} of ${formatBytes(total)} (${Math.floor((done / total) * 100)}%)`
        : `${label}: ${formatBytes(done)}`;
      if (tty) {
        stream.write(`\r  ${text}\x1b[K`);
        redrawing = true;
        return;
      }
      const decile = total
        ? Math.floor((done / total) * 10)
        : Math.floor(done / (50 * 1024 * 1024));
      if (lastDecile.get(label) !== decile) {
        lastDecile.set(label, decile);
        stream.write(`  ${text}\n`);
      }
    },
  };
}
