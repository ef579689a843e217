/** The two fingerprints of a certificate that changed, side by side, for people to compare. */
import type { CertificateChange } from './explain.js';

export function CertificateFingerprints({ change }: { change: CertificateChange }) {
  return (
    <dl className="certificate-change">
      <dt>Expected (pinned or last seen)</dt>
      <dd>{change.expected ? <code className="fingerprint">{change.expected}</code> : 'none: Popbox has never had a trusted connection to this server'}</dd>
      <dt>Presented now</dt>
      <dd>{change.presented ? <code className="fingerprint">{change.presented}</code> : 'unknown'}</dd>
    </dl>
  );
}
