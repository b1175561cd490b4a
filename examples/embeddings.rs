//! An embedding store: a (N, 768) float32 matrix in a .npy file, filled in place, searched by
//! cosine similarity through an ndarray view of the mapped file — then the same file opened by
//! numpy:
//!
//! ```python
//! import numpy as np
//! emb = np.load("embeddings.npy", mmap_mode="r")        # (10000, 768) float32, no copy
//! q = emb[1234].copy(); q[0] += 0.05; q /= np.linalg.norm(q)   # the example's query
//! print(np.argsort(emb @ q)[::-1][:3])                   # [1234 3737 9074], as below
//! ```
//!
//! Run with `cargo run --example embeddings --features ndarray` (pass a path to keep the file).

use std::error::Error;

use ndarray::{Array1, Ix2};
use recmap::Array;

const N: usize = 10_000;
const DIM: usize = 768;

/// A deterministic pseudo-random unit vector for id `i` (xorshift), so the output is stable.
fn embedding(i: usize, out: &mut [f32]) {
    let mut x = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for v in out.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *v = (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
    }
    let norm = out.iter().map(|v| v * v).sum::<f32>().sqrt();
    out.iter_mut().for_each(|v| *v /= norm);
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let path = match std::env::args_os().nth(1) {
        Some(p) => p.into(),
        None => dir.path().join("embeddings.npy"),
    };
    // Zero-filled (N, 768) float32, like np.lib.format.open_memmap(mode="w+").
    let mut emb = Array::<f32>::create(&path, &[N, DIM])?;
    for (i, row) in emb.as_mut_slice().chunks_exact_mut(DIM).enumerate() {
        embedding(i, row);
    }
    emb.sync()?;

    // A query close to item 1234: its vector, nudged, normalised again.
    let mut q = vec![0f32; DIM];
    embedding(1234, &mut q);
    q[0] += 0.05;
    let norm = q.iter().map(|v| v * v).sum::<f32>().sqrt();
    let q = Array1::from_iter(q.iter().map(|v| v / norm));

    // Rows are unit vectors, so cosine similarity is a matrix-vector product over the map.
    let view = emb.view().into_dimensionality::<Ix2>()?;
    let scores = view.dot(&q);
    let mut best: Vec<(usize, f32)> = scores.iter().copied().enumerate().collect();
    best.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!(
        "{} embeddings of {} floats, {} MiB mapped",
        N,
        DIM,
        (N * DIM * 4) >> 20
    );
    for (id, score) in best.iter().take(3) {
        println!("id {id:>5}  cosine {score:.4}");
    }
    Ok(())
}
