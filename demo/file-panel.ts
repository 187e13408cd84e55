// The file panel: pick a file and send it with a progress bar; files that arrive are listed with
// the result of their SHA-256 check and a link to save them.
import { FileReceiver, sendFile, type ReceivedFile, type SendFn } from '../src/cli/demo-files.js';

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;

export class FilePanel {
  private send: SendFn | undefined;
  private sending = false;

  constructor(
    form: HTMLFormElement,
    private readonly input: HTMLInputElement,
    private readonly button: HTMLButtonElement,
    private readonly progress: HTMLProgressElement,
    private readonly progressText: HTMLOutputElement,
    private readonly results: HTMLUListElement,
  ) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const file = input.files?.[0];
      if (file && this.send && !this.sending) void this.sendOne(file, this.send);
    });
  }

  enable(send: SendFn): void {
    this.send = send;
    this.input.disabled = this.button.disabled = false;
  }

  disable(): void {
    this.send = undefined;
    this.input.disabled = this.button.disabled = true;
  }

  /** A receiver for files arriving at the peer called `name`. */
  receiverFor(name: string): FileReceiver {
    return new FileReceiver({
      onProgress: (file, received, size) => {
        // While this page sends (both peers here), the bar follows the sender.
        if (!this.sending) this.showProgress(`receiving ${file}`, received, size);
      },
      onComplete: (file) => this.showReceived(name, file),
    });
  }

  private async sendOne(file: File, send: SendFn): Promise<void> {
    this.sending = true;
    this.button.disabled = true;
    const started = performance.now();
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      await sendFile(send, file.name, bytes, (delivered, size) => this.showProgress(`sending ${file.name}`, delivered, size));
      const seconds = (performance.now() - started) / 1000;
      this.addResult(`sent ${file.name}: ${mib(bytes.byteLength)} in ${seconds.toFixed(1)} s (${((bytes.byteLength * 8) / seconds / 1e6).toFixed(2)} Mbit/s)`);
    } catch (err) {
      this.addResult(`sending ${file.name} failed: ${(err as Error).message}`, 'bad');
    } finally {
      this.sending = false;
      this.button.disabled = this.send === undefined;
    }
  }

  private showProgress(what: string, done: number, size: number): void {
    this.progress.value = size === 0 ? 1 : done / size;
    this.progressText.textContent = `${what}: ${mib(done)} of ${mib(size)}`;
  }

  private showReceived(peer: string, file: ReceivedFile): void {
    const seconds = file.elapsedMs / 1000;
    const item = this.addResult(
      `${peer} received ${file.name}: ${mib(file.bytes.byteLength)} in ${seconds.toFixed(1)} s. SHA-256 ${file.ok ? 'matches' : 'does NOT match'}: `,
      file.ok ? 'ok' : 'bad',
    );
    item.dataset.ok = String(file.ok);
    item.dataset.name = file.name;
    const digest = document.createElement('code');
    digest.className = 'digest';
    digest.textContent = file.actual;
    const save = document.createElement('a');
    save.href = URL.createObjectURL(new Blob([file.bytes as Uint8Array<ArrayBuffer>]));
    save.download = file.name;
    save.textContent = 'save';
    item.append(digest, ' ', save);
  }

  private addResult(text: string, kind?: 'ok' | 'bad'): HTMLLIElement {
    const item = document.createElement('li');
    if (kind) item.className = kind;
    item.textContent = text;
    this.results.append(item);
    return item;
  }
}
