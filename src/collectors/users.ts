/**
 * Per-user families (gate include_user_stats): every Dispatcharr user, active or not, from the database,
 * and the streams each is watching now, from Redis' live state. Two collectors, so the database families
 * still publish while Redis is down.
 */
import { gauge, sample } from '../exposition/family.js';
import { partValue, type LiveState, type User } from '../snapshot.js';
import { boolLabel, type Collector } from './collector.js';
import { parseNumber } from './live-view.js';

/** Dispatcharr's level names: 0 streamer, 1 standard user, 10 and above admin; any other level as its number. */
export function userLevelName(level: number): string {
  if (level === 0) return 'streamer';
  if (level === 1) return 'standard';
  if (level >= 10) return 'admin';
  return String(level);
}

function userLabels(user: User): { user_id: string; username: string } {
  return { user_id: user.id, username: user.username };
}

/** A user id as Dispatcharr writes it into Redis (`str(user.id)`); `"0"`, empty or other text is anonymous. */
function userId(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed && /^[1-9]\d*$/.test(trimmed) ? trimmed : undefined;
}

function countStream(counts: Map<string, number>, text: string | undefined): void {
  const id = userId(text);
  if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
}

/** Streams per user id: live clients whose record carries the id, plus VOD sessions with an open response. */
export function streamsByUser(live: LiveState): Map<string, number> {
  const counts = new Map<string, number>();
  for (const channel of live.channels) for (const client of channel.clients) countStream(counts, client.fields.user_id);
  for (const session of live.vodSessions) {
    if ((parseNumber(session.fields.active_streams) ?? 0) > 0) countStream(counts, session.fields.user_id);
  }
  return counts;
}

export const usersCollector: Collector = {
  name: 'users',
  needs: ['users'],
  gate: 'include_user_stats',
  collect(snapshot) {
    const users = partValue(snapshot, 'users');
    return [
      gauge(
        'dispatcharr_user_info',
        'Dispatcharr user account, active or not (value always 1): user level (streamer, standard, admin) and staff flag',
        users.map((u) => sample(1, { ...userLabels(u), user_level: userLevelName(u.level), is_staff: boolLabel(u.isStaff) })),
      ),
      gauge(
        'dispatcharr_user_date_joined_timestamp',
        'When the user account was created, as a Unix time in seconds',
        users.map((u) => sample(u.dateJoined, userLabels(u))),
      ),
      gauge(
        'dispatcharr_user_stream_limit',
        'Concurrent streams the user may watch (0 = unlimited; always 0 before Dispatcharr 0.22, which had no per-user limit)',
        users.map((u) => sample(u.streamLimit, userLabels(u))),
      ),
    ];
  },
};

export const userStreamsCollector: Collector = {
  name: 'user_streams',
  needs: ['users', 'live'],
  gate: 'include_user_stats',
  collect(snapshot) {
    const users = partValue(snapshot, 'users');
    const counts = streamsByUser(partValue(snapshot, 'live'));
    return [
      gauge(
        'dispatcharr_user_active_streams',
        "Streams the user is watching now: live-channel clients carrying the user's id plus VOD sessions with an open response",
        users.map((u) => sample(counts.get(u.id) ?? 0, userLabels(u))),
      ),
    ];
  },
};
