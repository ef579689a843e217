/** Files the user adds: read as base64 for the contract, with a key the list can use. */
export interface NewFile {
  key: string;
  filename: string;
  contentType: string;
  size: number;
  /** The bytes in base64. */
  content: string;
}

let next = 0;

/** base64 of a file's bytes, in chunks (String.fromCharCode on a whole big file overflows the stack). */
export async function readFile(file: File): Promise<NewFile> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  next += 1;
  return { key: `f${next}`, filename: file.name || 'attachment', contentType: file.type || 'application/octet-stream', size: file.size, content: btoa(binary) };
}
