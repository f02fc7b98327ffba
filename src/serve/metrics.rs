//! Request counters and latency histograms, rendered in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
pub const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

#[derive(Debug, Default)]
struct Series {
    /// Count per bucket (non-cumulative), plus one overflow slot.
    buckets: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

/// Counters by (route, status) and a latency histogram per route.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Series>>,
    /// Successful model reloads.
    pub reloads: AtomicU64,
    /// Failed reload attempts (the previous model kept serving).
    pub reload_failures: AtomicU64,
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections open now.
    pub open_connections: AtomicU64,
    /// Connections refused because `max_connections` were open.
    pub refused_connections: AtomicU64,
}

impl Metrics {
    /// Record one request.
    pub fn observe(&self, route: &str, status: u16, took: Duration) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((route.to_string(), status)).or_insert(0) += 1;
        }
        let s = took.as_secs_f64();
        if let Ok(mut l) = self.latency.lock() {
            let e = l.entry(route.to_string()).or_default();
            let b = BUCKETS
                .iter()
                .position(|&u| s <= u)
                .unwrap_or(BUCKETS.len());
            e.buckets[b] += 1;
            e.sum += s;
            e.count += 1;
        }
    }

    /// Requests seen for `route` with `status`.
    #[must_use]
    pub fn count(&self, route: &str, status: u16) -> u64 {
        self.requests
            .lock()
            .map(|r| r.get(&(route.to_string(), status)).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// The Prometheus text exposition.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP recsys_requests_total HTTP requests by route and status.\n");
        out.push_str("# TYPE recsys_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((route, status), n) in r.iter() {
                let _ = writeln!(
                    out,
                    "recsys_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP recsys_request_seconds Request latency by route.\n");
        out.push_str("# TYPE recsys_request_seconds histogram\n");
        if let Ok(l) = self.latency.lock() {
            for (route, s) in l.iter() {
                let mut cum = 0;
                for (i, ub) in BUCKETS.iter().enumerate() {
                    cum += s.buckets[i];
                    let _ = writeln!(
                        out,
                        "recsys_request_seconds_bucket{{route=\"{route}\",le=\"{ub}\"}} {cum}"
                    );
                }
                let _ = writeln!(
                    out,
                    "recsys_request_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                    s.count
                );
                let _ = writeln!(
                    out,
                    "recsys_request_seconds_sum{{route=\"{route}\"}} {}",
                    s.sum
                );
                let _ = writeln!(
                    out,
                    "recsys_request_seconds_count{{route=\"{route}\"}} {}",
                    s.count
                );
            }
        }
        let _ = writeln!(
            out,
            "# TYPE recsys_model_reloads_total counter\nrecsys_model_reloads_total {}",
            self.reloads.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# TYPE recsys_model_reload_failures_total counter\nrecsys_model_reload_failures_total {}",
            self.reload_failures.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# TYPE recsys_connections_total counter\nrecsys_connections_total {}",
            self.connections.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# TYPE recsys_open_connections gauge\nrecsys_open_connections {}",
            self.open_connections.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# TYPE recsys_refused_connections_total counter\nrecsys_refused_connections_total {}",
            self.refused_connections.load(Ordering::Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::default();
        m.observe("/similar", 200, Duration::from_micros(50));
        m.observe("/similar", 200, Duration::from_millis(3));
        m.observe("/similar", 404, Duration::from_secs(2));
        let t = m.render();
        assert!(t.contains("recsys_requests_total{route=\"/similar\",status=\"200\"} 2"));
        assert!(t.contains("recsys_request_seconds_bucket{route=\"/similar\",le=\"0.0001\"} 1"));
        assert!(t.contains("recsys_request_seconds_bucket{route=\"/similar\",le=\"0.005\"} 2"));
        assert!(t.contains("recsys_request_seconds_bucket{route=\"/similar\",le=\"1\"} 2"));
        assert!(t.contains("recsys_request_seconds_bucket{route=\"/similar\",le=\"+Inf\"} 3"));
        assert_eq!(m.count("/similar", 404), 1);
    }
}
