/** The one option of `npm run package` and `npm run plugin-repository`: `--repository-url URL` or `--repository-url=URL`. */
export function repositoryUrlOption(args: readonly string[]): string | undefined {
  for (const [index, arg] of args.entries()) {
    if (arg === '--repository-url') {
      const value = args[index + 1];
      if (!value || value.startsWith('--')) throw new Error('--repository-url needs a URL');
      return value;
    }
    if (arg.startsWith('--repository-url=')) return arg.slice('--repository-url='.length);
  }
  return undefined;
}
