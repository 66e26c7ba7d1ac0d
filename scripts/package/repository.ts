/**
 * The plugin repository: a folder any static host can serve, from which Dispatcharr 0.23 and later install and
 * update the plugin. Its manifest.json has the flat (unsigned) form of Dispatcharr's Plugin_repo.md with one
 * plugin entry whose zip and icon are given relative to root_url. Dispatcharr resolves relative URLs against
 * root_url only, never against the address the manifest came from, so root_url must be where the folder is served:
 * by default this version's GitHub release (the folder's files uploaded as its assets).
 */
import { copyFileSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { PLUGIN_FOLDER } from './plugin-zip.js';
import { sha256File } from './xz.js';

export const REPOSITORY_MANIFEST = 'manifest.json';
export const REPOSITORY_ICON = 'logo.png';
/**
 * Shown as the repository's name. Dispatcharr refuses names that could pass for one of its own repositories, and
 * its guide asks third parties to keep "official" and "dispatcharr" out of them.
 */
export const REGISTRY_NAME = 'Prometheus Exporter Releases';

/** The fields of the plugin's plugin.json the repository repeats. */
export interface PluginJson {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly author: string;
  readonly min_dispatcharr_version: string;
}

export interface RepositoryPlugin {
  /** Dispatcharr installs the zip under its folder's name and matches the entry to it by slug: the same text. */
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly author: string;
  readonly license: string;
  readonly repo_url: string;
  /** Equal to plugin.json's version, or Dispatcharr keeps offering an update. */
  readonly latest_version: string;
  readonly last_updated: string;
  readonly latest_url: string;
  readonly latest_sha256: string;
  /** In Dispatcharr's unit, KiB: bytes / 1024, exact (a power of two), so the byte count can be read back. */
  readonly latest_size: number;
  readonly icon_url: string;
  readonly min_dispatcharr_version: string;
}

export interface RepositoryManifest {
  readonly registry_name: string;
  readonly registry_url: string;
  readonly root_url: string;
  readonly plugins: readonly RepositoryPlugin[];
}

export interface RepositorySource {
  readonly plugin: PluginJson;
  readonly zipPath: string;
  readonly rootUrl: string;
  /** The project's home (its GitHub page): the registry's and the plugin's source link. */
  readonly sourceUrl: string;
  readonly license: string;
  /** ISO 8601 time of the release. */
  readonly lastUpdated: string;
}

/** Where GitHub serves the assets of this version's release. */
export function releaseUrl(sourceUrl: string, version: string): string {
  return `${sourceUrl.replace(/\/+$/, '')}/releases/download/v${version}`;
}

/** An absolute http(s) URL without trailing slashes (Dispatcharr strips them and adds one before each path). */
export function checkedRootUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`repository URL "${text}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`repository URL "${text}" must be http or https`);
  if (url.search || url.hash) throw new Error(`repository URL "${text}" must have no query or fragment`);
  return url.href.replace(/\/+$/, '');
}

export function repositoryManifest(source: RepositorySource, zipSha256: string, zipBytes: number): RepositoryManifest {
  const { plugin } = source;
  return {
    registry_name: REGISTRY_NAME,
    registry_url: source.sourceUrl,
    root_url: checkedRootUrl(source.rootUrl),
    plugins: [
      {
        slug: PLUGIN_FOLDER,
        name: plugin.name,
        description: plugin.description,
        author: plugin.author,
        license: source.license,
        repo_url: source.sourceUrl,
        latest_version: plugin.version,
        last_updated: source.lastUpdated,
        latest_url: basename(source.zipPath),
        latest_sha256: zipSha256,
        latest_size: zipBytes / 1024,
        icon_url: REPOSITORY_ICON,
        min_dispatcharr_version: plugin.min_dispatcharr_version,
      },
    ],
  };
}

function writeManifest(folder: string, manifest: RepositoryManifest): void {
  writeFileSync(join(folder, REPOSITORY_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

function placeFile(source: string, target: string): void {
  try {
    linkSync(source, target);
  } catch {
    copyFileSync(source, target);
  }
}

/** (Re)creates `folder` with the manifest, the zip and the icon. */
export async function writePluginRepository(folder: string, source: RepositorySource): Promise<RepositoryManifest> {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  placeFile(source.zipPath, join(folder, basename(source.zipPath)));
  copyFileSync(resolve('plugin', 'logo.png'), join(folder, REPOSITORY_ICON));
  const manifest = repositoryManifest(source, await sha256File(source.zipPath), statSync(source.zipPath).size);
  writeManifest(folder, manifest);
  return manifest;
}

/** Points an existing repository folder at the address it is served from. */
export function setRepositoryUrl(folder: string, url: string): RepositoryManifest {
  const manifest = JSON.parse(readFileSync(join(folder, REPOSITORY_MANIFEST), 'utf8')) as RepositoryManifest;
  const moved = { ...manifest, root_url: checkedRootUrl(url) };
  writeManifest(folder, moved);
  return moved;
}
