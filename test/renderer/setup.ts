// Before Dexie loads: liveQuery runs its querier only when a global indexedDB exists.
import 'fake-indexeddb/auto';

// findBy… and waitFor give up after 1 s by default: on a loaded 2-core CI machine a chain of
// React updates can take longer, and a test must not fail because the machine is slow (seen in
// CI: compose's Undo test). Waiting longer never makes a wrong screen pass.
import { configure } from '@testing-library/dom';
configure({ asyncUtilTimeout: 10_000 });
