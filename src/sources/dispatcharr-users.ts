/**
 * Dispatcharr's users (`accounts_user`), active or not, in one statement whatever their number. Usernames
 * are returned as text and never cast; no password, e-mail, API key or custom property is read.
 */
import type { SchemaLevel, User } from '../snapshot.js';
import type { Queryable } from './postgres.js';

/** The users, ordered by id (numerically). `stream_limit` exists from Dispatcharr v0.22; before, every user is unlimited (0). */
export async function readUsers(db: Queryable, level: SchemaLevel): Promise<User[]> {
  const streamLimit = level.userStreamLimitColumn ? 'u.stream_limit' : '0';
  const rows = await db.query<{
    id: string;
    username: string;
    user_level: number;
    is_staff: boolean;
    date_joined: number;
    stream_limit: number;
  }>(
    // Ordered by the column u.id (a number), not by the text output column of the same name.
    `SELECT u.id::text AS id, u.username, u.user_level, u.is_staff,
            extract(epoch FROM u.date_joined)::float8 AS date_joined,
            ${streamLimit}::int AS stream_limit
       FROM accounts_user u
      ORDER BY u.id`,
  );
  return rows.map((row) => ({
    id: row.id,
    username: row.username,
    level: row.user_level,
    isStaff: row.is_staff,
    dateJoined: row.date_joined,
    streamLimit: row.stream_limit,
  }));
}
