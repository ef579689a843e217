export { classify, classifyTokens, learn, outcomeOf, DEFAULT_BAND, type Band, type Classification, type ClassifyOptions, type Outcome } from './classify.js';
export { tokenize, senderAddress, serverVerdict } from './tokenize.js';
export { WordList, type Verdict } from './wordlist.js';
export { chi2Q, combine, tokenProbability, DEFAULT_PARAMS, type ScoreParams } from './score.js';
export { loadWordList, saveWordList, resetWordList, updateWordList, withWordListLock, wordListLockPath, wordListPath } from './store.js';
