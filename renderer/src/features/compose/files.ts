/**
 * Files the user adds: staged in main 1 MB at a time (stageAttachment), so no file crosses the
 * contract whole (a 25 MB file was a 35 MB base64 string held by both sides: issue 15 §5). The
 * page keeps only the upload id main answered; Send and Save draft name the file by it.
 */
import { STAGING_LIMITS } from '../../../../shared/compose.js';
import { call, type PopboxApi } from '../../api/client.js';

export interface NewFile {
  key: string;
  filename: string;
  contentType: string;
  size: number;
  /** Main's id for the staged bytes (stagedAttachments). */
  uploadId: string;
}

let next = 0;

/** base64 of some bytes, 32 KB at a time (String.fromCharCode on a whole megabyte overflows the stack). */
function base64(bytes: Uint8Array): string {
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/** Read a file a chunk at a time and stage each chunk in main, in order; the last one says it is complete. */
export async function stageFile(api: PopboxApi, accountId: string, file: File): Promise<NewFile> {
  const filename = file.name || 'attachment';
  const contentType = file.type || 'application/octet-stream';
  let uploadId: string | undefined;
  let offset = 0;
  for (;;) {
    const bytes = new Uint8Array(await file.slice(offset, offset + STAGING_LIMITS.chunkBytes).arrayBuffer());
    const final = offset + bytes.length >= file.size || bytes.length === 0;
    const r = await call(api, 'stageAttachment', { accountId, ...(uploadId !== undefined ? { uploadId } : {}), filename, contentType, offset, chunk: base64(bytes), final });
    uploadId = r.uploadId;
    offset += bytes.length;
    if (final) break;
  }
  next += 1;
  return { key: `f${next}`, filename, contentType, size: offset, uploadId: uploadId! };
}
