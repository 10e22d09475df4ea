//! Endpoint statistics: success rate and latency percentiles of the attempts
//! of the last hour and the last day.

use serde::Serialize;
use tessera_kernel::ids::OrgId;
use tessera_kernel::{ApiResult, Millis};
use utoipa::ToSchema;

use super::Webhooks;
use crate::ids::EndpointId;
use crate::store;

/// The most attempts a window looks at (the newest).
const SAMPLE: u64 = 200_000;

/// One window's figures.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WindowStats {
    pub attempts: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Succeeded ÷ attempts (null without attempts).
    pub success_rate: Option<f64>,
    pub latency_ms_p50: Option<i32>,
    pub latency_ms_p90: Option<i32>,
    pub latency_ms_p99: Option<i32>,
}

/// Both windows.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointStats {
    pub last_hour: WindowStats,
    pub last_day: WindowStats,
}

/// The figures of `(duration_ms, status)` samples.
pub fn window(samples: &[(i32, Option<i32>)]) -> WindowStats {
    let mut durations: Vec<i32> = samples.iter().map(|s| s.0).collect();
    durations.sort_unstable();
    let succeeded = samples.iter().filter(|s| s.1.is_some_and(|c| (200..300).contains(&c))).count() as u64;
    let pct = |p: f64| {
        (!durations.is_empty())
            .then(|| durations[((durations.len() as f64 * p).ceil() as usize).clamp(1, durations.len()) - 1])
    };
    let attempts = samples.len() as u64;
    WindowStats {
        attempts,
        succeeded,
        failed: attempts - succeeded,
        success_rate: (attempts > 0).then(|| succeeded as f64 / attempts as f64),
        latency_ms_p50: pct(0.50),
        latency_ms_p90: pct(0.90),
        latency_ms_p99: pct(0.99),
    }
}

impl Webhooks {
    pub async fn stats(&self, org: OrgId, endpoint: EndpointId) -> ApiResult<EndpointStats> {
        self.endpoint(org, endpoint).await?;
        let now = self.core.clock.now_ms();
        let day = store::attempts::samples_since(&self.core.db.conn, endpoint, now - 86_400_000, SAMPLE).await?;
        let hour_from: Millis = now - 3_600_000;
        let hour: Vec<(i32, Option<i32>)> = day.iter().filter(|a| a.0 >= hour_from).map(|a| (a.1, a.2)).collect();
        let all: Vec<(i32, Option<i32>)> = day.iter().map(|a| (a.1, a.2)).collect();
        Ok(EndpointStats { last_hour: window(&hour), last_day: window(&all) })
    }
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn windows_count_successes_and_rank_latencies() {
        let mut samples: Vec<(i32, Option<i32>)> = (1..=100).map(|d| (d, Some(200))).collect();
        samples.push((1_000, None));
        samples.push((5, Some(500)));
        let w = window(&samples);
        assert_eq!((w.attempts, w.succeeded, w.failed), (102, 100, 2));
        assert_eq!(w.latency_ms_p50, Some(50));
        assert_eq!(w.latency_ms_p99, Some(100));
        assert_eq!(window(&[]).success_rate, None);
    }
}
