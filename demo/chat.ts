// The chat panel: a log of lines both ways and a form that sends one.
export class ChatPanel {
  private send: ((text: string) => Promise<void>) | undefined;

  constructor(
    private readonly log: HTMLOListElement,
    form: HTMLFormElement,
    private readonly input: HTMLInputElement,
    private readonly button: HTMLButtonElement,
  ) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value.trim();
      if (!text || !this.send) return;
      input.value = '';
      this.send(text).catch((err: Error) => this.note(`not delivered: ${err.message}`));
    });
  }

  /** `send` resolves once the peer has the line. */
  enable(send: (text: string) => Promise<void>): void {
    this.send = send;
    this.input.disabled = this.button.disabled = false;
  }

  disable(): void {
    this.send = undefined;
    this.input.disabled = this.button.disabled = true;
  }

  /** Adds a line; the returned item gets the class `delivered` once the peer has it. */
  show(from: string, text: string): HTMLLIElement {
    const item = document.createElement('li');
    const who = document.createElement('span');
    who.className = 'from';
    who.textContent = `${from}: `;
    item.append(who, text);
    this.append(item);
    return item;
  }

  note(text: string): void {
    const item = document.createElement('li');
    item.className = 'hint';
    item.textContent = text;
    this.append(item);
  }

  private append(item: HTMLLIElement): void {
    this.log.append(item);
    this.log.scrollTop = this.log.scrollHeight;
  }
}
