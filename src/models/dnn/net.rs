//! The network: embedding bags → concatenation → dense ReLU layers → one output, with the
//! forward and backward pass over a shard of a mini-batch (ndarray matrix products).

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::embedding::Combiner;
use crate::features::encode::Packed;

/// One embedding table of the network.
#[derive(Debug, Clone)]
pub struct Table {
    /// Column name (the saved tensor is `<name>/embedding`).
    pub name: String,
    /// `rows × dim`.
    pub w: Array2<f32>,
    /// How a bag becomes one vector.
    pub combiner: Combiner,
    /// False: the whole table is frozen.
    pub trainable: bool,
    /// Rows kept fixed (taken from a frozen prior); empty = none.
    pub frozen: Vec<bool>,
}

/// A dense layer `y = x·W + b` (`W` is `in × out`, TensorFlow's kernel layout).
#[derive(Debug, Clone)]
pub struct Dense {
    /// Kernel, `in × out`.
    pub w: Array2<f32>,
    /// Bias, `out`.
    pub b: Array1<f32>,
}

impl Dense {
    /// PyTorch's `nn.Linear` initialisation: kernel and bias uniform in `±1/sqrt(in)`.
    #[must_use]
    pub fn new(inputs: usize, outputs: usize, rng: &mut Xoshiro256PlusPlus) -> Dense {
        let bound = 1.0 / (inputs.max(1) as f32).sqrt();
        let mut u = || (rng.random::<f32>() * 2.0 - 1.0) * bound;
        let w = Array2::from_shape_simple_fn((inputs, outputs), &mut u);
        let b = Array1::from_shape_simple_fn(outputs, &mut u);
        Dense { w, b }
    }
}

/// What the output means and which loss trains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// A logit; binary cross-entropy (log-loss).
    Binary,
    /// A value; mean squared error.
    Regression,
}

/// Embedding tables and dense layers (the last has one output).
#[derive(Debug, Clone)]
pub struct Net {
    /// Tables in input order.
    pub tables: Vec<Table>,
    /// Hidden layers then the output layer.
    pub layers: Vec<Dense>,
    /// Loss and output.
    pub task: Task,
}

/// Gradients of the dense layers and of the network input, from one shard.
#[derive(Debug)]
pub struct Grads {
    /// `(dW, db)` per layer.
    pub layers: Vec<(Array2<f32>, Array1<f32>)>,
    /// Gradient of the concatenated input, `shard × input_dim`.
    pub dx: Array2<f32>,
    /// Per table: the gradient of each row the shard touched (empty for frozen tables).
    pub tables: Vec<SparseRows>,
    /// Summed (not averaged) loss of the shard's examples.
    pub loss: f64,
}

/// The gradients of the distinct rows of one table that a shard touched.
#[derive(Debug, Clone, Default)]
pub struct SparseRows {
    /// Row indices, in order of first touch.
    pub ids: Vec<u32>,
    /// `ids.len() × dim` gradients.
    pub vals: Vec<f32>,
}

/// Reusable per-worker memory: for each table, the slot of a row in the shard's
/// [`SparseRows`] (`u32::MAX` = untouched; reset after each use).
#[derive(Debug, Clone, Default)]
pub struct Scratch {
    slots: Vec<Vec<u32>>,
}

impl Net {
    /// A network over `tables` with ReLU `hidden` layers and one output.
    #[must_use]
    pub fn new(tables: Vec<Table>, hidden: &[usize], task: Task, seed: u64) -> Net {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0xd11);
        let mut layers = Vec::new();
        let mut width: usize = tables.iter().map(|t| t.w.ncols()).sum();
        for &h in hidden.iter().chain(std::iter::once(&1)) {
            layers.push(Dense::new(width, h, &mut rng));
            width = h;
        }
        Net {
            tables,
            layers,
            task,
        }
    }

    /// Width of the concatenated input.
    #[must_use]
    pub fn input_dim(&self) -> usize {
        self.tables.iter().map(|t| t.w.ncols()).sum()
    }

    /// Number of learned values (tables and layers).
    #[must_use]
    pub fn num_params(&self) -> usize {
        self.tables.iter().map(|t| t.w.len()).sum::<usize>()
            + self
                .layers
                .iter()
                .map(|l| l.w.len() + l.b.len())
                .sum::<usize>()
    }

    /// The concatenated, combined embeddings of examples `rows`.
    #[must_use]
    pub fn input(&self, x: &Packed, rows: &[usize]) -> Array2<f32> {
        let width = self.input_dim();
        let mut out = vec![0.0f32; rows.len() * width];
        for (r, (line, &e)) in out.chunks_exact_mut(width).zip(rows).enumerate() {
            // Shuffled examples are random reads: fetch a few ahead.
            if let Some(&ahead) = rows.get(r + 4) {
                crate::kernels::simd::prefetch(x.example(ahead));
            }
            let mut o = 0;
            for (t, bag) in self.tables.iter().zip(x.bags(e)) {
                let d = t.w.ncols();
                let w = t.w.as_slice().unwrap_or(&[]);
                let dst = &mut line[o..o + d];
                o += d;
                match bag {
                    [] => {}
                    [one] => {
                        let i = *one as usize * d;
                        dst.copy_from_slice(&w[i..i + d]);
                    }
                    bag => {
                        for &id in bag {
                            let i = id as usize * d;
                            for (a, v) in dst.iter_mut().zip(&w[i..i + d]) {
                                *a += v;
                            }
                        }
                        let s = t.combiner.scale(bag.len());
                        dst.iter_mut().for_each(|v| *v *= s);
                    }
                }
            }
        }
        Array2::from_shape_vec((rows.len(), width), out).unwrap_or_default()
    }

    /// Forward pass from the input: each layer's output, bias added and (except the last)
    /// ReLU applied.
    fn forward_from(&self, x: ArrayView2<'_, f32>) -> Vec<Array2<f32>> {
        let mut acts: Vec<Array2<f32>> = Vec::with_capacity(self.layers.len());
        let last = self.layers.len().saturating_sub(1);
        for (l, layer) in self.layers.iter().enumerate() {
            let mut z = standard(match acts.last() {
                None => x.dot(&layer.w),
                Some(prev) => prev.dot(&layer.w),
            });
            let b = layer.b.as_slice().unwrap_or(&[]);
            let width = b.len();
            if let Some(zs) = z.as_slice_mut() {
                for line in zs.chunks_exact_mut(width) {
                    for (v, bias) in line.iter_mut().zip(b) {
                        *v += bias;
                        if l < last && *v < 0.0 {
                            *v = 0.0;
                        }
                    }
                }
            }
            acts.push(z);
        }
        acts
    }

    /// Outputs (logits or values) of examples `rows`.
    #[must_use]
    pub fn outputs(&self, x: &Packed, rows: &[usize]) -> Vec<f32> {
        let input = self.input(x, rows);
        let zs = self.forward_from(input.view());
        zs.last().map_or_else(Vec::new, |z| z.column(0).to_vec())
    }

    /// Loss of one output against its label.
    #[must_use]
    pub fn loss(&self, z: f32, y: f32) -> f64 {
        let (z, y) = (f64::from(z), f64::from(y));
        match self.task {
            // log(1 + e^z) - y z, stably
            Task::Binary => z.max(0.0) - z * y + (-z.abs()).exp().ln_1p(),
            Task::Regression => (z - y) * (z - y),
        }
    }

    /// Forward and backward over examples `rows` of one mini-batch of `batch` examples; the
    /// gradients are of the batch-mean loss (so shards of one batch sum to it).
    #[must_use]
    pub fn backward(
        &self,
        x: &Packed,
        rows: &[usize],
        batch: usize,
        scratch: &mut Scratch,
    ) -> Grads {
        let input = self.input(x, rows);
        let zs = self.forward_from(input.view());
        let n_layers = self.layers.len();
        let out = &zs[n_layers - 1];
        let inv = 1.0 / batch as f32;
        let mut loss = 0.0;
        let mut dz = Array2::<f32>::zeros((rows.len(), 1));
        for (r, &e) in rows.iter().enumerate() {
            let (z, y) = (out[[r, 0]], x.labels[e]);
            loss += self.loss(z, y);
            dz[[r, 0]] = match self.task {
                Task::Binary => (sigmoid(z) - y) * inv,
                Task::Regression => 2.0 * (z - y) * inv,
            };
        }
        let mut grads: Vec<(Array2<f32>, Array1<f32>)> = Vec::with_capacity(n_layers);
        let mut dx = Array2::zeros((0, 0));
        for l in (0..n_layers).rev() {
            let layer = &self.layers[l];
            let dw = if l == 0 {
                input.t().dot(&dz)
            } else {
                zs[l - 1].t().dot(&dz)
            };
            let db = dz.sum_axis(Axis(0));
            let mut da = standard(dz.dot(&layer.w.t()));
            grads.push((standard(dw), db));
            if l == 0 {
                dx = da;
            } else {
                // ReLU: no gradient where the activation is zero
                if let (Some(g), Some(a)) = (da.as_slice_mut(), zs[l - 1].as_slice()) {
                    for (g, &a) in g.iter_mut().zip(a) {
                        *g = if a > 0.0 { *g } else { 0.0 };
                    }
                }
                dz = da;
            }
        }
        grads.reverse();
        let tables = self.sparse_grads(x, rows, dx.view(), scratch);
        Grads {
            layers: grads,
            dx,
            tables,
            loss,
        }
    }

    /// The tables' row gradients from the input gradient `dx` of examples `rows`, summed per
    /// distinct row (a bag's rows get the combiner's scale); frozen tables and rows get none.
    fn sparse_grads(
        &self,
        x: &Packed,
        rows: &[usize],
        dx: ArrayView2<'_, f32>,
        scratch: &mut Scratch,
    ) -> Vec<SparseRows> {
        if scratch.slots.len() != self.tables.len() {
            scratch.slots = self
                .tables
                .iter()
                .map(|t| vec![u32::MAX; if t.trainable { t.w.nrows() } else { 0 }])
                .collect();
        }
        let mut out = vec![SparseRows::default(); self.tables.len()];
        let width = dx.ncols();
        let Some(dx) = dx.as_slice() else { return out };
        for (line, &e) in dx.chunks_exact(width).zip(rows) {
            let mut o = 0;
            for (t, (table, bag)) in self.tables.iter().zip(x.bags(e)).enumerate() {
                let d = table.w.ncols();
                let g = &line[o..o + d];
                o += d;
                if !table.trainable {
                    continue;
                }
                let scale = table.combiner.scale(bag.len());
                let slots = &mut scratch.slots[t];
                let sr = &mut out[t];
                for &id in bag {
                    let id = id as usize;
                    if table.frozen.get(id).copied().unwrap_or(false) {
                        continue;
                    }
                    let k = match slots[id] {
                        u32::MAX => {
                            let k = sr.ids.len();
                            slots[id] = k as u32;
                            sr.ids.push(id as u32);
                            sr.vals.resize((k + 1) * d, 0.0);
                            k
                        }
                        k => k as usize,
                    };
                    for (a, v) in sr.vals[k * d..(k + 1) * d].iter_mut().zip(g) {
                        *a += scale * v;
                    }
                }
            }
        }
        for (slots, sr) in scratch.slots.iter_mut().zip(&out) {
            for &id in &sr.ids {
                slots[id as usize] = u32::MAX;
            }
        }
        out
    }

    /// The slice of the input that table `t` fills.
    #[must_use]
    pub fn input_range(&self, t: usize) -> std::ops::Range<usize> {
        let start: usize = self.tables[..t].iter().map(|x| x.w.ncols()).sum();
        start..start + self.tables[t].w.ncols()
    }
}

/// The same matrix in row-major layout (products of transposed views come out column-major;
/// updates and row slices need row-major).
fn standard(a: Array2<f32>) -> Array2<f32> {
    if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    }
}

/// The logistic function.
#[must_use]
pub fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}
