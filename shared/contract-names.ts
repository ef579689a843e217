/**
 * The contract's method and event names without its schemas, so the renderer can build its
 * API object without loading zod. contract.ts checks at compile time that its map has exactly
 * these keys (and test/unit/contract-names.test.ts at run time).
 */
export const METHOD_NAMES = [
  'listAccounts',
  'addAccount',
  'updateAccount',
  'removeAccount',
  'reorderAccounts',
  'testConnection',
  'testSmtp',
  'syncNow',
  'syncStatus',
  'changesSince',
  'snapshot',
  'messageBody',
  'rawSource',
  'fetchFull',
  'setFlags',
  'moveToTrash',
  'restore',
  'moveMessages',
  'copyMessages',
  'archive',
  'markJunk',
  'markNotJunk',
  'trainJunk',
  'emptyTrash',
  'createFolder',
  'renameFolder',
  'deleteFolder',
  'deleteForGood',
  'saveAttachment',
  'saveMessage',
  'pendingDeletions',
  'inlinePart',
  'discoverServer',
  'getPreferences',
  'updatePreferences',
  'send',
  'outboxStatus',
  'cancelSend',
  'resendMessage',
  'markSent',
  'discardQueued',
  'composeFrom',
  'stageAttachment',
  'saveDraft',
  'openDraft',
  'suggestAddresses',
  'listRules',
  'saveRules',
  'previewRule',
  'runRules',
  'search',
] as const;

export const EVENT_NAMES = ['stateChanged', 'syncProgress', 'accountStatus', 'command', 'notice', 'accountsChanged', 'preferencesChanged', 'outboxChanged'] as const;

export type MethodName = (typeof METHOD_NAMES)[number];
export type EventNameKey = (typeof EVENT_NAMES)[number];
