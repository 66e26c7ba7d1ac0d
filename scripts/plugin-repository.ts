/**
 * `npm run plugin-repository -- --repository-url https://host/path [folder]`: points the plugin repository that
 * `npm run package` wrote (by default dist/plugin-repository) at the address it will be served from, without
 * packaging again. Dispatcharr downloads the zip and the icon from there.
 */
import { resolve } from 'node:path';
import { errorMessage } from '../src/error-message.js';
import { REPOSITORY_MANIFEST, setRepositoryUrl } from './package/repository.js';
import { repositoryUrlOption } from './package/options.js';

function main(): void {
  const url = repositoryUrlOption(process.argv.slice(2));
  const folder = process.argv.slice(2).find((arg, index, args) => !arg.startsWith('--') && args[index - 1] !== '--repository-url');
  if (!url) throw new Error('usage: plugin-repository --repository-url URL [folder]');
  const target = resolve(folder ?? 'dist/plugin-repository');
  const manifest = setRepositoryUrl(target, url);
  process.stdout.write(`${resolve(target, REPOSITORY_MANIFEST)}: root_url ${manifest.root_url}\n`);
}

try {
  main();
} catch (error: unknown) {
  process.stderr.write(`plugin-repository failed: ${errorMessage(error)}\n`);
  process.exit(1);
}
