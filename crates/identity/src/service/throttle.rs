//! Brute-force defence. Per account: after `max_failures` consecutive failures the
//! account locks for `base_lock_secs`, doubling with each lock in a row up to
//! `max_lock_secs`; attempts during a lock are refused without checking the
//! password, so they neither extend the lock nor reveal a correct guess. Per client
//! address: past `ip_max_failures` failures, each further attempt must wait a
//! delay that doubles per failure, capped the same way.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use tessera_kernel::Millis;
use tessera_kernel::redis::Redis;
use tessera_kernel::strikes::{self, Strikes};

use crate::config::LockoutConfig;
use crate::entity::users::{Column, Entity, Model};

/// Failures older than this no longer count towards a lock.
const FAILURE_WINDOW_MS: Millis = 15 * 60 * 1000;

/// Seconds left on the account's lock, if it is locked.
pub fn locked_for(user: &Model, now: Millis) -> Option<u64> {
    let until = user.locked_until?;
    (until > now).then(|| ((until - now) as u64).div_ceil(1000))
}

/// Counts a failed sign-in; locks the account when the count reaches the limit.
/// Returns the lock's length in seconds when this failure triggered one.
pub async fn record_failure<C: ConnectionTrait>(
    conn: &C,
    cfg: &LockoutConfig,
    user: &Model,
    now: Millis,
) -> Result<Option<u64>, DbErr> {
    use sea_orm::ExprTrait;
    let stale = user.last_failed_login_at.is_none_or(|t| now - t > FAILURE_WINDOW_MS);
    // Increment in SQL so parallel guesses cannot lose counts.
    let failed = if stale { Expr::value(1) } else { Expr::col(Column::FailedLogins).add(1) };
    Entity::update_many()
        .col_expr(Column::FailedLogins, failed)
        .col_expr(Column::LastFailedLoginAt, Expr::value(now))
        .filter(Column::Id.eq(user.id))
        .exec(conn)
        .await?;
    let lock_secs = Ord::min(cfg.base_lock_secs << user.lockouts.clamp(0, 20), cfg.max_lock_secs);
    let locked = Entity::update_many()
        .col_expr(Column::LockedUntil, Expr::value(now + lock_secs * 1000))
        .col_expr(Column::Lockouts, Expr::col(Column::Lockouts).add(1))
        .col_expr(Column::FailedLogins, Expr::value(0))
        .filter(Column::Id.eq(user.id))
        .filter(Column::FailedLogins.gte(cfg.max_failures))
        .exec(conn)
        .await?;
    Ok((locked.rows_affected > 0).then_some(lock_secs as u64))
}

/// Failed sign-ins per client address, remembered for 15 idle minutes: in memory,
/// or in Redis when configured so every node sees them (`tessera_kernel::strikes`).
pub struct IpStrikes {
    cfg: LockoutConfig,
    counter: Arc<dyn Strikes>,
}

impl IpStrikes {
    pub(crate) fn new(cfg: LockoutConfig, redis: Option<Arc<Redis>>) -> Self {
        let window = Duration::from_millis(FAILURE_WINDOW_MS as u64);
        Self { cfg, counter: strikes::counter(redis, "login_ip", window) }
    }

    /// Seconds this address must still wait before its next attempt, if any.
    pub(crate) async fn wait(&self, ip: IpAddr, now: Millis) -> Option<u64> {
        let s = self.counter.get(&ip.to_string()).await?;
        if now - s.last > FAILURE_WINDOW_MS || s.count < self.cfg.ip_max_failures {
            return None;
        }
        let over = (s.count - self.cfg.ip_max_failures).min(20);
        let delay_ms = (1000_i64 << over).min(self.cfg.max_lock_secs * 1000);
        let ready = s.last + delay_ms;
        (ready > now).then(|| ((ready - now) as u64).div_ceil(1000))
    }

    /// Counts one failure from `ip`.
    pub(crate) async fn strike(&self, ip: IpAddr, now: Millis) {
        self.counter.add(&ip.to_string(), now).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> LockoutConfig {
        LockoutConfig { max_failures: 5, base_lock_secs: 60, max_lock_secs: 900, ip_max_failures: 3 }
    }

    #[tokio::test]
    async fn an_address_waits_longer_after_each_failure_past_the_limit() {
        let strikes = IpStrikes::new(cfg(), None);
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let t = 1_000_000;
        for _ in 0..3 {
            assert_eq!(strikes.wait(ip, t).await, None);
            strikes.strike(ip, t).await;
        }
        assert_eq!(strikes.wait(ip, t).await, Some(1));
        strikes.strike(ip, t).await;
        assert_eq!(strikes.wait(ip, t).await, Some(2));
        for _ in 0..30 {
            strikes.strike(ip, t).await;
        }
        assert_eq!(strikes.wait(ip, t).await, Some(900), "capped");
        assert_eq!(strikes.wait(ip, t + 900_000).await, None, "and it ends");
    }
}
