import packageJson from '../package.json' with { type: 'json' };

export const EXPORTER_VERSION: string = packageJson.version;
