/**
 * The endpoint JSON of spec §8 (what a cloud endpoint gives the NetBackup administrator): exactly these five
 * members. `endpoints/validate.ts` parses and checks it; the mock endpoint writes it.
 */
export interface EndpointDetails {
  /** The security token sent in CONNECT. Secret: never logged, never shown unless asked. */
  token: string;
  /** Lower is preferred within the group. */
  priority: number;
  /** Server group. */
  groupId: string;
  /** FQDN or IP of the endpoint; unique among stored endpoints. */
  hostName: string;
  /** Full `wss://` URL of the endpoint. */
  url: string;
}
