/** Everything of the versioned API lives under this prefix; operational routes (health, metrics) do not. */
export const API_PREFIX = 'api/v1';
