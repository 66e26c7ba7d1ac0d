/** Statement counting for readers' tests: a Queryable that counts what it runs. */
import type { Queryable } from '../../src/sources/postgres.js';

/** A Queryable that counts the statements it runs. */
export function counting(db: Queryable): Queryable & { statements: number } {
  const wrapper = {
    statements: 0,
    query<Row>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
      wrapper.statements++;
      return db.query<Row>(sql, params);
    },
  };
  return wrapper;
}
