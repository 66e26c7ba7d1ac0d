export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

/** Settles like `promise`, or rejects with DeadlineExceeded at `deadline` (epoch ms), whichever comes first. */
export function withDeadline<T>(promise: Promise<T>, deadline: number, what: string): Promise<T> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) return Promise.reject(new DeadlineExceeded(`${what}: no time left in the scrape`));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`${what}: scrape deadline reached after ${remaining} ms`)), remaining);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
