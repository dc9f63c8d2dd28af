/** Endpoint credentials (spec §8): validation, URL fetch, certificate fetch and pinning, token encryption. */
export { EndpointService, toSummary, trustMode } from './service.js';
export type { AddOptions, AddResult, CertificateSummary, EndpointServiceOptions, EndpointSummary, EndpointView, ValidationResult } from './service.js';
export { ENDPOINT_MEMBERS, MAX_DETAILS_BYTES, parseEndpointDetails, publicDetails, validateEndpointUrl, validateToken } from './validate.js';
export type { EndpointDetails, PublicDetails } from './validate.js';
export { fetchEndpointDetails, parseDetailsUrl } from './fetch-details.js';
export type { FetchDetailsOptions } from './fetch-details.js';
export { dialTarget, fetchCertificate } from './certificate.js';
export type { CertificateFetcher, FetchCertificateOptions, FetchedCertificate } from './certificate.js';
export { TokenCipher } from './token-cipher.js';
