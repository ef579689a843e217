/** What an empty search result says: what was searched and where, so nobody concludes the mail is not there. */
export function noMatchText(search: string, everywhere: boolean): string {
  const q = `“${search.trim()}”`;
  return everywhere ? `No messages match ${q} in any folder.` : `No messages match ${q} here. To look in every folder, use All folders.`;
}
