import { describeEd25519Contract } from './ed25519-contract.js';
import { nobleEd25519 } from './noble.js';

describeEd25519Contract(nobleEd25519);
