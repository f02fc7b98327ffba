//! The server's settings: limits, deadlines and reloading, and their check from the command
//! line's units.

use std::time::Duration;

use crate::error::{Error, Result};

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Largest `k` accepted.
    pub max_k: usize,
    /// Most keys in one `/vectors` or `/score` request.
    pub max_batch: usize,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Longest key or query value, in bytes.
    pub max_key: usize,
    /// Deadline of one request.
    pub timeout: Duration,
    /// How often the model directory is checked for a new model (`None` = never).
    pub reload_every: Option<Duration>,
    /// Most connections open at once; more are accepted and closed at once (counted).
    pub max_connections: usize,
    /// Time a client has to send a request's headers (slow-loris guard).
    pub header_timeout: Duration,
    /// A connection with no request for this long is closed (idle keep-alive guard).
    pub idle_timeout: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            max_k: 1000,
            max_batch: 1000,
            max_body: 1 << 20,
            max_key: 4096,
            timeout: Duration::from_secs(10),
            reload_every: Some(Duration::from_secs(2)),
            max_connections: 1024,
            header_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// The server's limits in the command line's units (`recsys serve` flags), before they are
/// checked and turned into a [`ServeConfig`].
#[derive(Debug, Clone, PartialEq)]
pub struct ServeFlags {
    /// Largest `k` (at least 1).
    pub max_k: usize,
    /// Most keys in one request (at least 1).
    pub max_batch: usize,
    /// Deadline of a request, milliseconds (at least 1).
    pub timeout_ms: u64,
    /// Seconds between checks of the model directory; 0 = never reload.
    pub reload_secs: f64,
    /// Most open connections (at least 1).
    pub max_connections: usize,
    /// Deadline for a request's headers, milliseconds (at least 1).
    pub header_timeout_ms: u64,
    /// Seconds a connection may stay idle (positive).
    pub idle_secs: f64,
}

impl ServeConfig {
    /// The configuration for `flags`: counts and milliseconds below 1 are raised to 1; a
    /// reload period that is negative or not a number, or an idle limit that is not a
    /// positive number of seconds, is an [`Error::Param`].
    pub fn from_flags(flags: &ServeFlags) -> Result<ServeConfig> {
        if !(flags.reload_secs.is_finite() && flags.reload_secs >= 0.0) {
            return Err(Error::Param(
                "--reload-secs must be a number of seconds >= 0".into(),
            ));
        }
        if !(flags.idle_secs.is_finite() && flags.idle_secs > 0.0 && flags.idle_secs < 1e9) {
            return Err(Error::Param(
                "--idle-secs must be a positive number of seconds".into(),
            ));
        }
        Ok(ServeConfig {
            max_k: flags.max_k.max(1),
            max_batch: flags.max_batch.max(1),
            timeout: Duration::from_millis(flags.timeout_ms.max(1)),
            reload_every: (flags.reload_secs > 0.0)
                .then(|| Duration::from_secs_f64(flags.reload_secs)),
            max_connections: flags.max_connections.max(1),
            header_timeout: Duration::from_millis(flags.header_timeout_ms.max(1)),
            idle_timeout: Duration::from_secs_f64(flags.idle_secs),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_a_checked_config() {
        let f = ServeFlags {
            max_k: 0,
            max_batch: 5,
            timeout_ms: 0,
            reload_secs: 0.0,
            max_connections: 0,
            header_timeout_ms: 250,
            idle_secs: 1.5,
        };
        let c = ServeConfig::from_flags(&f).unwrap();
        assert_eq!((c.max_k, c.max_batch, c.max_connections), (1, 5, 1));
        assert_eq!(c.timeout, Duration::from_millis(1));
        assert_eq!(c.reload_every, None);
        assert_eq!(c.header_timeout, Duration::from_millis(250));
        assert_eq!(c.idle_timeout, Duration::from_millis(1500));
        let c = ServeConfig::from_flags(&ServeFlags {
            reload_secs: 2.5,
            ..f.clone()
        })
        .unwrap();
        assert_eq!(c.reload_every, Some(Duration::from_millis(2500)));
        for bad in [
            ServeFlags {
                reload_secs: -1.0,
                ..f.clone()
            },
            ServeFlags {
                reload_secs: f64::NAN,
                ..f.clone()
            },
            ServeFlags {
                idle_secs: 0.0,
                ..f.clone()
            },
            ServeFlags {
                idle_secs: f64::INFINITY,
                ..f.clone()
            },
        ] {
            assert!(
                matches!(ServeConfig::from_flags(&bad), Err(Error::Param(_))),
                "{bad:?}"
            );
        }
    }
}
