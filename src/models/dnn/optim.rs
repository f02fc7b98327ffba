//! Optimisers: SGD, Adagrad and Adam with PyTorch's update rules, applied to dense slices and
//! to the touched rows of embedding tables (sparse updates with lazy state: a row's state
//! changes only when the row gets a gradient, like TensorFlow's `LazyAdam`; for SGD and
//! Adagrad this is exactly the dense update, since a zero gradient changes nothing).

use serde::{Deserialize, Serialize};

/// The update rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// `p -= lr·g`.
    Sgd,
    /// `s += g²; p -= lr·g / (sqrt(s) + eps)` (eps 1e-10).
    Adagrad,
    /// Adam with bias correction (β 0.9/0.999, eps 1e-8).
    Adam,
}

impl OptimizerKind {
    /// Parse `sgd`, `adagrad` or `adam`.
    pub fn parse(s: &str) -> Option<OptimizerKind> {
        match s.to_ascii_lowercase().as_str() {
            "sgd" => Some(OptimizerKind::Sgd),
            "adagrad" => Some(OptimizerKind::Adagrad),
            "adam" => Some(OptimizerKind::Adam),
            _ => None,
        }
    }

    /// Number of state slots per parameter.
    #[must_use]
    pub fn slots(self) -> usize {
        match self {
            OptimizerKind::Sgd => 0,
            OptimizerKind::Adagrad => 1,
            OptimizerKind::Adam => 2,
        }
    }
}

/// One optimiser step's constants.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    kind: OptimizerKind,
    lr: f32,
    eps: f32,
    b1: f32,
    b2: f32,
    /// Adam: 1 - β1^t and 1 - β2^t.
    c1: f32,
    c2: f32,
}

impl Step {
    /// The constants of step `t` (1-based).
    #[must_use]
    pub fn new(kind: OptimizerKind, lr: f32, t: u64) -> Step {
        let (b1, b2) = (0.9f32, 0.999f32);
        let t = t.min(i32::MAX as u64) as i32;
        Step {
            kind,
            lr,
            eps: if kind == OptimizerKind::Adam {
                1e-8
            } else {
                1e-10
            },
            b1,
            b2,
            c1: 1.0 - b1.powi(t),
            c2: 1.0 - b2.powi(t),
        }
    }

    /// Update `p` by gradient `g` (times `scale`), with state `s1` (Adagrad sum, Adam first
    /// moment) and `s2` (Adam second moment); unused slots may be empty.
    pub fn apply(&self, p: &mut [f32], g: &[f32], scale: f32, s1: &mut [f32], s2: &mut [f32]) {
        match self.kind {
            OptimizerKind::Sgd => {
                for (p, g) in p.iter_mut().zip(g) {
                    *p -= self.lr * scale * g;
                }
            }
            OptimizerKind::Adagrad => {
                for ((p, g), s) in p.iter_mut().zip(g).zip(s1.iter_mut()) {
                    let g = g * scale;
                    *s += g * g;
                    *p -= self.lr * g / (s.sqrt() + self.eps);
                }
            }
            OptimizerKind::Adam => {
                for (((p, g), m), v) in p.iter_mut().zip(g).zip(s1.iter_mut()).zip(s2.iter_mut()) {
                    let g = g * scale;
                    *m = self.b1 * *m + (1.0 - self.b1) * g;
                    *v = self.b2 * *v + (1.0 - self.b2) * g * g;
                    let mh = *m / self.c1;
                    let vh = *v / self.c2;
                    *p -= self.lr * mh / (vh.sqrt() + self.eps);
                }
            }
        }
    }
}

/// State slots for `n` parameters.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Adagrad sum of squares / Adam first moment.
    pub s1: Vec<f32>,
    /// Adam second moment.
    pub s2: Vec<f32>,
}

impl State {
    /// Zeroed state for `n` parameters under `kind`.
    #[must_use]
    pub fn new(kind: OptimizerKind, n: usize) -> State {
        let slots = kind.slots();
        State {
            s1: if slots >= 1 { vec![0.0; n] } else { Vec::new() },
            s2: if slots >= 2 { vec![0.0; n] } else { Vec::new() },
        }
    }

    /// The state of parameters `range` (empty slices for unused slots).
    pub fn slice(&mut self, range: std::ops::Range<usize>) -> (&mut [f32], &mut [f32]) {
        let s1 = if self.s1.is_empty() {
            &mut [][..]
        } else {
            &mut self.s1[range.clone()]
        };
        let s2 = if self.s2.is_empty() {
            &mut [][..]
        } else {
            &mut self.s2[range]
        };
        (s1, s2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The update rules against hand-computed values (PyTorch's formulas).
    #[test]
    fn updates_match_hand_computed_steps() {
        let mut p = [1.0f32];
        Step::new(OptimizerKind::Sgd, 0.1, 1).apply(&mut p, &[2.0], 1.0, &mut [], &mut []);
        assert!((p[0] - 0.8).abs() < 1e-7);
        let (mut p, mut s) = ([1.0f32], [0.0f32]);
        let st = Step::new(OptimizerKind::Adagrad, 0.1, 1);
        st.apply(&mut p, &[2.0], 1.0, &mut s, &mut []);
        assert!((s[0] - 4.0).abs() < 1e-7);
        assert!((p[0] - 0.9).abs() < 1e-6); // 1 - 0.1 * 2 / 2
        st.apply(&mut p, &[1.0], 1.0, &mut s, &mut []);
        assert!((p[0] - (0.9 - 0.1 / 5f32.sqrt())).abs() < 1e-6);
        // Adam's first step moves by lr·sign(g).
        let (mut p, mut m, mut v) = ([1.0f32], [0.0f32], [0.0f32]);
        Step::new(OptimizerKind::Adam, 0.01, 1).apply(&mut p, &[-3.0], 1.0, &mut m, &mut v);
        assert!((p[0] - 1.01).abs() < 1e-6, "{}", p[0]);
        assert_eq!(OptimizerKind::parse("ADAM"), Some(OptimizerKind::Adam));
        assert_eq!(OptimizerKind::parse("rmsprop"), None);
    }
}
