// Before Dexie loads: liveQuery runs its querier only when a global indexedDB exists.
import 'fake-indexeddb/auto';
