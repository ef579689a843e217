/** How big a message will be on the wire, and whether the server (or Popbox) will take it. */
import { COMPOSE_LIMITS } from '../../../../shared/compose.js';
import { formatBytes } from '../../app/format.js';

/** Base64 with line breaks every 76 characters: 4/3 and then 78/76, about ×1.37. */
export const BASE64_GROWTH = (4 / 3) * (78 / 76);

/** The message's size as sent, near enough: the text twice at most (text and HTML) plus encoded attachments. */
export function estimatedSize(textBytes: number, attachmentBytes: number): number {
  return Math.ceil(textBytes + attachmentBytes * BASE64_GROWTH + 2048);
}

export interface SizeCheck {
  /** Sending is refused as it is (over Popbox's 25 MB of attachments). */
  blocking: boolean;
  message: string;
}

/** A warning in plain words, or null when the message fits. `sizeLimit`: the server's SIZE (0 or null: none known). */
export function checkSize(textBytes: number, attachmentBytes: number, sizeLimit: number | null): SizeCheck | null {
  if (attachmentBytes > COMPOSE_LIMITS.attachmentBytes) {
    return { blocking: true, message: `The attachments come to ${formatBytes(attachmentBytes)}; at most ${formatBytes(COMPOSE_LIMITS.attachmentBytes)} can be sent. Remove some, or share big files by a link.` };
  }
  const size = estimatedSize(textBytes, attachmentBytes);
  if (sizeLimit && size > sizeLimit) {
    return { blocking: false, message: `This message will be about ${formatBytes(size)} when sent; your outgoing server accepts at most ${formatBytes(sizeLimit)}, so it will probably be refused.` };
  }
  return null;
}
