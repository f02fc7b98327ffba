//! The Huffman tree of hierarchical softmax: each word's path from the root as inner-node
//! rows (`points`) and left/right turns (`codes`), built in linear time from counts sorted
//! in decreasing order (the two-queue construction of word2vec.c).

/// Codes and points of every word, stored flat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Huffman {
    offsets: Vec<u32>,
    codes: Vec<u8>,
    points: Vec<u32>,
}

impl Huffman {
    /// Build the tree of `counts`, which must be sorted in decreasing order (as a
    /// [`super::WordVocab`] is). Inner nodes are numbered `0..n-1`, the root is `n-2`.
    #[must_use]
    pub fn new(counts: &[u64]) -> Huffman {
        let n = counts.len();
        debug_assert!(counts.windows(2).all(|w| w[0] >= w[1]));
        let mut h = Huffman {
            offsets: vec![0; n + 1],
            ..Default::default()
        };
        if n < 2 {
            return h;
        }
        let mut count = vec![u64::MAX; 2 * n - 1];
        count[..n].copy_from_slice(counts);
        let mut parent = vec![0usize; 2 * n - 1];
        let mut binary = vec![0u8; 2 * n - 1];
        // leaves are consumed from the least frequent end, inner nodes in creation order
        let mut leaf = n as isize - 1;
        let mut inner = n;
        let mut pick = |count: &[u64], next: usize| -> usize {
            if leaf >= 0 && (inner >= next || count[leaf as usize] < count[inner]) {
                leaf -= 1;
                (leaf + 1) as usize
            } else {
                inner += 1;
                inner - 1
            }
        };
        for a in 0..n - 1 {
            let next = n + a;
            let m1 = pick(&count, next);
            let m2 = pick(&count, next);
            count[next] = count[m1].saturating_add(count[m2]);
            parent[m1] = next;
            parent[m2] = next;
            binary[m2] = 1;
        }
        let root = 2 * n - 2;
        let mut code = Vec::new();
        let mut point = Vec::new();
        for w in 0..n {
            code.clear();
            point.clear();
            let mut b = w;
            while b != root {
                code.push(binary[b]);
                b = parent[b];
                point.push((b - n) as u32);
            }
            // walked leaf → root; training walks root → leaf
            h.codes.extend(code.iter().rev());
            h.points.extend(point.iter().rev());
            h.offsets[w + 1] = h.codes.len() as u32;
        }
        h
    }

    /// The path of word `w`: inner-node rows and the turn taken at each.
    #[inline]
    #[must_use]
    pub fn path(&self, w: usize) -> (&[u32], &[u8]) {
        let (a, b) = (self.offsets[w] as usize, self.offsets[w + 1] as usize);
        (&self.points[a..b], &self.codes[a..b])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_frequencies_get_optimal_codes() {
        // CLRS 16.3: a:45 d:16 b:13 c:12 e:9 f:5 → code lengths 1,3,3,3,4,4, cost 224
        let counts = [45, 16, 13, 12, 9, 5];
        let h = Huffman::new(&counts);
        let lens: Vec<usize> = (0..6).map(|w| h.path(w).0.len()).collect();
        assert_eq!(lens, vec![1, 3, 3, 3, 4, 4]);
        let cost: u64 = counts.iter().zip(&lens).map(|(c, l)| c * *l as u64).sum();
        assert_eq!(cost, 224);
        // the paths start at the root (inner node n-2) and codes are prefix-free
        let codes: Vec<Vec<u8>> = (0..6).map(|w| h.path(w).1.to_vec()).collect();
        for (w, (p, _)) in (0..6).map(|w| h.path(w)).enumerate() {
            assert_eq!(p[0], 4, "word {w}");
            assert!(p.iter().all(|&x| x < 5));
        }
        for a in 0..6 {
            for b in 0..6 {
                if a != b {
                    assert!(!codes[b].starts_with(&codes[a]), "{a} prefixes {b}");
                }
            }
        }
        // Kraft equality of a full binary tree
        let kraft: f64 = lens.iter().map(|&l| 0.5f64.powi(l as i32)).sum();
        assert!((kraft - 1.0).abs() < 1e-12);
    }

    #[test]
    fn tiny_vocabularies() {
        assert_eq!(Huffman::new(&[3]).path(0).0.len(), 0);
        let h = Huffman::new(&[3, 1]);
        // word2vec.c's convention: the second-picked (more frequent) child is the 1 branch
        assert_eq!(h.path(0), (&[0u32][..], &[1u8][..]));
        assert_eq!(h.path(1), (&[0u32][..], &[0u8][..]));
    }
}
