/**
 * The size limits of the NBWSS channel, one definition each (issue 10 E19).
 */

/**
 * The largest frame either side accepts (spec §7: "2 MB"), in bytes: 2 MiB = 2,097,152. An incoming message over it
 * closes the connection with 1009; nbwss never sends one over it (notification batches are cut under it, COMMAND
 * responses that would not fit become a 502, `EndpointConnection.send` refuses anything bigger).
 */
export const MAX_FRAME_BYTES = 2 * 1024 * 1024;

/**
 * The longest `id` accepted in an incoming message. A UUID is 36 characters (the guide's examples); 128 leaves room
 * for other id schemes an endpoint may use, and bounds what nbwss echoes (a COMMAND RESPONSE carries the request's
 * id) and logs. A longer id is a decode error (`NBWSS_ERR_DECODE_ID`, close 1007).
 */
export const MAX_ID_LENGTH = 128;
