/** What an empty search result says: what was searched, so nobody concludes the mail is not there. */
export function noMatchText(search: string): string {
  return `No messages match “${search.trim()}”. Search looks at senders, subjects and the first lines of messages; message bodies are not searched yet.`;
}
