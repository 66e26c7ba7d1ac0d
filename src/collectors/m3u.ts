/** M3U provider accounts (gate include_m3u_stats). */
import type { Settings } from '../config/settings.js';
import { gauge, sample, type MetricFamily } from '../exposition/family.js';
import { redactUrl } from '../redact.js';
import { partValue, type M3uAccount } from '../snapshot.js';
import { boolLabel, type Collector } from './collector.js';
import { countByStatus } from './status-counts.js';

/** Dispatcharr's M3UAccount.status choices, in declaration order. */
export const M3U_STATUSES = ['idle', 'fetching', 'parsing', 'error', 'success', 'pending_setup', 'disabled'] as const;

function accountLabels(account: M3uAccount, settings: Settings, extra: Record<string, string> = {}): Record<string, string> {
  const labels: Record<string, string> = {
    account_id: account.id,
    account_name: account.name,
    account_type: account.accountType || 'unknown',
    status: account.status,
    is_active: boolLabel(account.isActive),
    ...extra,
  };
  if (settings.include_source_urls) {
    if (account.accountType === 'XC' && account.username) labels['username'] = account.username;
    if (account.serverUrl) labels['server_url'] = redactUrl(account.serverUrl);
  }
  return labels;
}

/** Labels that stay put while the account's status changes, so a refresh-time series is one series. */
function refreshLabels(account: M3uAccount): Record<string, string> {
  return { account_id: account.id, account_name: account.name };
}

/** Provider accounts, without the locked built-in account that holds user-made custom streams. */
export function providerAccounts(accounts: readonly M3uAccount[]): M3uAccount[] {
  return accounts.filter((account) => !account.locked);
}

export const m3uCollector: Collector = {
  name: 'm3u',
  needs: ['m3uAccounts'],
  gate: 'include_m3u_stats',
  collect(snapshot, settings) {
    const accounts = providerAccounts(partValue(snapshot, 'm3uAccounts'));
    const families: MetricFamily[] = [
      gauge(
        'dispatcharr_m3u_accounts',
        'M3U provider accounts (status="total": all, status="active": enabled); the built-in custom-streams account is not counted',
        [sample(accounts.length, { status: 'total' }), sample(accounts.filter((a) => a.isActive).length, { status: 'active' })],
      ),
      gauge('dispatcharr_m3u_account_status', 'M3U provider accounts per refresh status', countByStatus(accounts, M3U_STATUSES)),
      gauge(
        'dispatcharr_m3u_account_stream_count',
        'Streams Dispatcharr holds for the M3U account',
        accounts.map((a) => sample(a.streamCount, accountLabels(a, settings))),
      ),
      gauge(
        'dispatcharr_m3u_account_last_refresh_timestamp_seconds',
        'When the M3U account last refreshed successfully, as a Unix time in seconds (accounts that have refreshed)',
        accounts.flatMap((a) => (a.refreshedAt === null ? [] : [sample(a.refreshedAt, refreshLabels(a))])),
      ),
      gauge(
        'dispatcharr_m3u_account_refresh_interval_seconds',
        'Seconds between scheduled refreshes of the active M3U account (0 = no schedule)',
        accounts.filter((a) => a.isActive).map((a) => sample(Math.max(0, a.refreshIntervalHours) * 3600, refreshLabels(a))),
      ),
    ];
    if (settings.include_legacy_metrics) {
      families.push(
        gauge(
          'dispatcharr_m3u_account_info',
          'Deprecated: M3U account with its stream count as a label (value always 1); use dispatcharr_m3u_account_stream_count',
          accounts.map((a) => sample(1, accountLabels(a, settings, { stream_count: String(a.streamCount) }))),
        ),
      );
    }
    return families;
  },
};
