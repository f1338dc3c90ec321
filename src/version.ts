import pkg from '../package.json' with { type: 'json' };

/** The package version: one source for --version, serverInfo and the upstream User-Agent. */
export const VERSION: string = pkg.version;
