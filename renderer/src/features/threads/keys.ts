/** The conversation keys (e, Shift+J, Shift+K) reach the open conversation in the reading pane. */
export type ConversationKey = 'expand' | 'next' | 'previous';

const target = new EventTarget();

export function sendConversationKey(key: ConversationKey): void {
  target.dispatchEvent(new CustomEvent<ConversationKey>('key', { detail: key }));
}

export function onConversationKey(fn: (key: ConversationKey) => void): () => void {
  const listener = (e: Event) => fn((e as CustomEvent<ConversationKey>).detail);
  target.addEventListener('key', listener);
  return () => target.removeEventListener('key', listener);
}
