/**
 * The VOD catalogue part of the snapshot (v3 layout): what Dispatcharr's catalogue knows of the content each
 * streaming VOD session plays, for the M3U account of the session's profile.
 */

interface VodContentCommon {
  /** The VOD session (`vod_persistent_connection:<id>`) this row answers. */
  readonly sessionId: string;
  /** At most PROGRAMME_TEXT_LIMITS.description + 1 characters. */
  readonly description: string | null;
  /** `duration_secs`; null when Dispatcharr does not know it. */
  readonly durationSecs: number | null;
  /** `vod_vodlogo` id: the movie's logo, or the episode's series' logo. */
  readonly logoId: string | null;
  /** Category of the movie's (the series') relation with the M3U account of the session's profile. */
  readonly category: string | null;
}

/** A `vod_movie` row. */
export interface VodMovie extends VodContentCommon {
  readonly kind: 'movie';
  readonly name: string;
  readonly year: number | null;
  readonly genre: string | null;
  /** From the account's relation (`custom_properties.detailed_info.video`), as text: never trusted to be numbers. */
  readonly videoCodec: string | null;
  readonly videoWidth: string | null;
  readonly videoHeight: string | null;
}

/** A `vod_episode` row with its `vod_series`. */
export interface VodEpisode extends VodContentCommon {
  readonly kind: 'episode';
  /** The episode's own name (often `Series - S01E02 - Title` from XC providers). */
  readonly name: string;
  readonly seasonNumber: number | null;
  readonly episodeNumber: number | null;
  readonly seriesName: string;
}

export type VodContent = VodMovie | VodEpisode;
