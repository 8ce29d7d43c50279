export { FleetSchema, UserNkey } from './fleet.js';
export type { Fleet, FleetAgent, FleetInput, FleetLead, FleetSite } from './fleet.js';
export { agentPermissions, jetstreamStoreSubjects, leadPermissions, leaseBucketSubjects, sitePermissions } from './permissions.js';
export type { Permissions } from './permissions.js';
export { renderHubConfig, renderLeafConfig, siteLogin } from './render.js';
export {
  FLEET_FILE,
  HUB_CONFIG_FILE,
  USERS_DIR,
  createNkeyIdentity,
  leafConfigFile,
  newSitePassword,
  parseFleet,
  readFleet,
  seedFile,
  writeNatsFiles,
  writeSeedFile,
} from './files.js';
export type { NkeyIdentity } from './files.js';
export { readNkeySeed } from './seed.js';
