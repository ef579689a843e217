/**
 * Property tests are reproducible: fast-check runs from a fixed seed unless POPBOX_FC_SEED names
 * another (a failure prints its seed and path) or POPBOX_SOAK asks for a fresh one each run. A
 * random seed in `npm test` made CI red by chance on a case nobody could replay.
 */
import fc from 'fast-check';

const fromEnv = process.env.POPBOX_FC_SEED;
const seed = fromEnv !== undefined ? Number(fromEnv) : process.env.POPBOX_SOAK ? (Math.random() * 2 ** 31) | 0 : 0x5eed;
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
