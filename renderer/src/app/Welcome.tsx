/** The first run: no account yet, so the window is the add-account form. */
import { lazy, Suspense } from 'react';

// Loaded when first needed: most starts have an account already.
const AddAccount = lazy(() => import('../features/accounts/AddAccount.js').then((m) => ({ default: m.AddAccount })));

export function Welcome({ onDone }: { onDone: () => void }) {
  return (
    <main className="welcome">
      <h1>Welcome to Popbox</h1>
      <p>Your POP3 mail, downloaded safely to this computer and readable offline. Start by adding an account.</p>
      <Suspense fallback={<p>Loading…</p>}>
        <AddAccount onDone={onDone} />
      </Suspense>
    </main>
  );
}
